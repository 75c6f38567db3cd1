import { describe, expect, it } from 'vitest';
import { burstWave, OPENING_CANCELS, openingPlan, sustainedRequest } from '../src/probe/plan.ts';

// Three tenants; request 0 is the identity request, 1 and 2 are endpoints.
const shape = { tenants: 3, requests: 3 };
const NOBODY = 3;

describe('request plan', () => {
  it('opens with every tenant asking each request back to back, then nobody, identity first', () => {
    const plan = openingPlan(shape);
    expect(plan.slice(0, 4).map((p) => [p.tenant, p.request, p.identity, p.anonymous])).toEqual([
      [0, 0, true, false],
      [1, 0, true, false],
      [2, 0, true, false],
      [NOBODY, 0, true, true],
    ]);
    for (const pool of ['shared', 'tenant'] as const) {
      for (const request of [0, 1, 2]) {
        const senders = plan
          .filter((p) => p.pattern === 'interleaved' && p.pool === pool && p.request === request)
          .map((p) => p.tenant);
        expect(senders).toEqual([0, 1, 2, NOBODY]);
      }
    }
  });

  it('follows each abandoned request with another tenant, at every cancel point', () => {
    const plan = openingPlan(shape);
    const cancelled = plan.flatMap((p, i) => (p.cancel === undefined ? [] : [i]));
    // Each tenant abandons one request at each point: once written, at fractions of the
    // median latency, and when its headers come.
    expect(cancelled.map((i) => plan[i]?.cancel)).toEqual(
      OPENING_CANCELS.flatMap((c) => [c, c, c]),
    );
    expect(OPENING_CANCELS).toEqual(expect.arrayContaining(['sent', 'headers', 0.5]));
    for (const i of cancelled) {
      const next = plan[i + 1];
      expect(next?.cancel).toBeUndefined();
      expect(next?.anonymous).toBe(false);
      expect(next?.tenant).not.toBe(plan[i]?.tenant);
      expect(next?.request).toBe(plan[i]?.request);
    }
  });

  it('fires bursts across all tenants, nobody, and both pool kinds', () => {
    const wave = burstWave(shape, 0, 16);
    expect(wave).toHaveLength(16);
    expect(new Set(wave.map((p) => p.tenant))).toEqual(new Set([0, 1, 2, NOBODY]));
    expect(new Set(wave.map((p) => p.pool))).toEqual(new Set(['shared', 'tenant']));
  });

  it('abandons the configured share of sustained tenant requests, none when the ratio is 0', () => {
    const all = (ratio: number) =>
      Array.from({ length: 10_000 }, (_, i) => sustainedRequest(shape, i, ratio, 0.5));
    const cancels = (ratio: number) => all(ratio).filter((p) => p.cancel !== undefined);
    // 7,500 of 10,000 are tenant requests (a quarter go without credentials).
    expect(cancels(0.01)).toHaveLength(75);
    expect(cancels(0.1)).toHaveLength(750);
    expect(cancels(0)).toHaveLength(0);
    expect(cancels(0.01).every((p) => !p.anonymous)).toBe(true);
    const points = cancels(0.01).map((p) => (typeof p.cancel === 'number' ? 'timed' : p.cancel));
    expect(new Set(points)).toEqual(new Set(['sent', 'timed', 'headers']));
  });

  it('keeps tenants, then nobody, on the same request in turn during sustained load', () => {
    const round = [0, 1, 2, 3].map((i) => sustainedRequest(shape, i, 0, 0));
    expect(new Set(round.map((p) => p.request)).size).toBe(1);
    expect(round.map((p) => p.tenant)).toEqual([0, 1, 2, NOBODY]);
    expect(round.map((p) => p.anonymous)).toEqual([false, false, false, true]);
  });
});
