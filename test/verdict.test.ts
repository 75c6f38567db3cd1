import { describe, expect, it } from 'vitest';
import { leakRateUpperBound, samplesNeeded } from '../src/probe/stats.ts';
import { type JudgeInput, judge } from '../src/probe/verdict.ts';

describe('leak-rate bound', () => {
  it('is the exact zero-event binomial bound, about 3/n at 95%', () => {
    expect(leakRateUpperBound(3000, 0.95)).toBeCloseTo(0.000998, 5);
    expect(leakRateUpperBound(300, 0.95) * 300).toBeCloseTo(2.99, 1);
    expect(leakRateUpperBound(0, 0.95)).toBe(1);
    expect(leakRateUpperBound(100, 0.99)).toBeGreaterThan(leakRateUpperBound(100, 0.95));
  });
  it('names the samples a policy needs', () => {
    expect(samplesNeeded(0.001, 0.95)).toBe(2995);
    expect(leakRateUpperBound(samplesNeeded(0.001, 0.95), 0.95)).toBeLessThanOrEqual(0.001);
    expect(leakRateUpperBound(samplesNeeded(0.001, 0.95) - 1, 0.95)).toBeGreaterThan(0.001);
  });
});

describe('judge', () => {
  const pass = { maxLeakRate: 0.001, confidence: 0.95, maxErrorRate: 0.01 };
  const base: JudgeInput = {
    checked: 3000,
    failed: 0,
    identityChecks: { alice: 10, bob: 10 },
    pass,
  };
  const leak = {
    kind: 'foreign-marker' as const,
    summary: 'bob received marker #0 of alice in the body',
    request: {
      number: 2,
      tenant: 'bob',
      method: 'GET',
      path: '/api/me',
      pattern: 'interleaved' as const,
      pool: 'shared' as const,
    },
    status: 200,
    headers: {},
    elapsedMs: 3,
    latencyMs: 1,
  };
  it.each<[string, Partial<JudgeInput>, string, RegExp]>([
    [
      'enough clean samples pass',
      {},
      'pass',
      /^no leak in 3,000 samples: leak rate below 0\.0999% at 95% confidence$/,
    ],
    ['a leak is a leak whatever the counts', { leak }, 'leak', /bob received/],
    ['a leak wins over failures', { leak, failed: 5000 }, 'leak', /bob received/],
    [
      'too few samples are inconclusive',
      { checked: 1000 },
      'inconclusive',
      /^1,000 clean samples bound the leak rate below 0\.3% at 95% confidence, above maxLeakRate 0\.1%: needs 2,995 samples/,
    ],
    [
      'nothing checked is inconclusive',
      { checked: 0, failed: 30, topFailure: 'ECONNREFUSED' },
      'inconclusive',
      /no response could be checked.*ECONNREFUSED/,
    ],
    [
      'too many failures are inconclusive',
      { failed: 100, topFailure: 'HTTP 503 on /api/me' },
      'inconclusive',
      /^100 of 3,100 requests failed \(3\.23%, allowed 1%\).*HTTP 503/,
    ],
    ['failures within the allowance still pass', { failed: 20 }, 'pass', /no leak/],
    [
      'a tenant never checked is inconclusive',
      { identityChecks: { alice: 10, bob: 0 } },
      'inconclusive',
      /never checked for bob/,
    ],
    [
      'a run stopped early is inconclusive',
      { abortedBecause: 'stopped after 21 failed requests' },
      'inconclusive',
      /stopped after 21/,
    ],
    [
      'a stop that names its failure says it once',
      {
        abortedBecause: 'stopped after 21 failed requests: login for tenant bob refused (401)',
        topFailure: 'login for tenant bob refused (401)',
      },
      'inconclusive',
      /^stopped after 21 failed requests: login for tenant bob refused \(401\)$/,
    ],
    [
      'a stop for another reason names the most common failure',
      {
        abortedBecause: 'stopped after 21 failed requests: the target is unreachable or failing',
        topFailure: 'ECONNREFUSED',
      },
      'inconclusive',
      /unreachable or failing \(most common: ECONNREFUSED\)$/,
    ],
  ])('%s', (_name, input, outcome, reason) => {
    const result = judge({ ...base, ...input });
    expect(result.outcome).toBe(outcome);
    expect(result.reason).toMatch(reason);
    if (outcome === 'leak') expect(result.leakRateBound).toBeNull();
    else
      expect(result.leakRateBound).toBeCloseTo(leakRateUpperBound(input.checked ?? 3000, 0.95), 10);
  });
});
