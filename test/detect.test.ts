import { describe, expect, it } from 'vitest';
import {
  cacheRisk,
  type DetectContext,
  detect,
  identityFingerprint,
  type Observation,
} from '../src/probe/detect.ts';

const ctx: DetectContext = {
  tenants: [
    { name: 'alice', identity: 'u-1001' },
    { name: 'bob', identity: 'u-1002' },
  ],
  owners: [
    { tenant: 0, kind: 'marker', index: 0 }, // 0 alice@probe.example
    { tenant: 0, kind: 'identity' }, // 1 u-1001
    { tenant: 1, kind: 'marker', index: 0 }, // 2 bob@probe.example
    { tenant: 1, kind: 'marker', index: 1 }, // 3 Testvägen 2
    { tenant: 1, kind: 'credential' }, // 4 bob's token
  ],
};

const base: Observation = {
  tenant: 0,
  status: 200,
  bodyHits: [],
  headerHits: [],
  headers: { 'cache-control': 'private, no-store' },
};

describe('detect', () => {
  const cases: [string, Partial<Observation>, Record<string, unknown>][] = [
    [
      'own identity, own marker: clean',
      { identity: { value: 'u-1001' }, bodyHits: [{ pattern: 0, offset: 10 }] },
      { leak: undefined, failure: undefined },
    ],
    [
      'identity compares case- and space-insensitively',
      { identity: { value: ' U-1001 ' } },
      { leak: undefined },
    ],
    [
      'numeric-looking identity of another tenant',
      { identity: { value: 'u-1002' } },
      {
        kind: 'identity-mismatch',
        owner: 'bob',
        observedIdentity: 'u-1002',
        expectedIdentity: 'u-1001',
      },
    ],
    [
      'identity of nobody: a real customer',
      { identity: { value: 'c-9001' } },
      { kind: 'unknown-identity', observedIdentity: identityFingerprint('c-9001') },
    ],
    [
      'foreign marker in the body',
      {
        bodyHits: [
          { pattern: 0, offset: 3 },
          { pattern: 3, offset: 99 },
        ],
      },
      {
        kind: 'foreign-marker',
        owner: 'bob',
        match: { owner: 'bob', kind: 'marker', index: 1, where: 'body', offset: 99 },
      },
    ],
    [
      'foreign marker only in a header',
      { headerHits: [{ pattern: 2, header: 'x-last-customer' }] },
      {
        kind: 'foreign-marker',
        match: {
          owner: 'bob',
          kind: 'marker',
          index: 0,
          where: 'header',
          header: 'x-last-customer',
        },
      },
    ],
    [
      'foreign credential',
      { bodyHits: [{ pattern: 4, offset: 40 }] },
      { kind: 'foreign-credential', owner: 'bob' },
    ],
    [
      'session issued to another tenant',
      { crossover: { owner: 1, via: 'a Set-Cookie session value' } },
      { kind: 'session-crossover', owner: 'bob' },
    ],
    ['own session is fine', { crossover: { owner: 0, via: 'x' } }, { leak: undefined }],
    [
      'identity mismatch wins over a marker',
      { identity: { value: 'u-1002' }, bodyHits: [{ pattern: 2, offset: 1 }] },
      { kind: 'identity-mismatch' },
    ],
    [
      'HTTP 500 is a failure, not a sample',
      { status: 500 },
      { leak: undefined, failure: 'HTTP 500' },
    ],
    [
      'a leak in an error page is still a leak',
      { status: 500, bodyHits: [{ pattern: 2, offset: 1 }] },
      { kind: 'foreign-marker', failure: 'HTTP 500' },
    ],
    [
      'identity missing is a failure',
      { identity: { missing: 'identity response is not JSON' } },
      { failure: 'identity response is not JSON' },
    ],
  ];
  it.each(cases)('%s', (_name, obs, expected) => {
    const result = detect({ ...base, ...obs }, ctx);
    const { failure, leak, ...fields } = expected as { failure?: string; leak?: undefined };
    if ('leak' in expected && leak === undefined) expect(result.leak).toBeUndefined();
    if ('failure' in expected) expect(result.failure).toBe(failure);
    if (Object.keys(fields).length > 0) expect(result.leak).toMatchObject(fields);
    if (result.leak) expect(result.leak.summary).toMatch(/alice/);
  });

  it('flags a personal response that a shared cache may store', () => {
    const risky = detect(
      {
        ...base,
        identity: { value: 'u-1001' },
        headers: { 'cache-control': 'public, max-age=60' },
      },
      ctx,
    );
    expect(risky.leak).toBeUndefined();
    expect(risky.cacheRisk).toMatch(/public/);
  });

  it('does not flag a public response that carries nobody’s data', () => {
    const catalog = detect(
      { ...base, headers: { 'cache-control': 'public, max-age=60', age: '3' } },
      ctx,
    );
    expect(catalog.cacheRisk).toBeUndefined();
  });
});

describe('cacheRisk', () => {
  it.each([
    [{ 'cache-control': 'private, no-store' }, undefined],
    [{ 'cache-control': 'no-store' }, undefined],
    [{ 'cache-control': 'private, max-age=60' }, undefined],
    [{ 'cache-control': 'public, max-age=30' }, /shared caches/],
    [{ 'cache-control': 'max-age=0, s-maxage=60' }, /shared caches/],
    [{ 'cache-control': 'max-age=60' }, /neither private nor no-store/],
    [{}, /no Cache-Control/],
    [{ 'cache-control': 'private', 'x-cache': 'HIT from edge' }, /x-cache/],
    [{ 'cache-control': 'private', 'cf-cache-status': 'HIT' }, /cf-cache-status/],
    [{ 'cache-control': 'no-store', age: '12' }, /Age: 12/],
    [{ 'cache-control': 'no-store', age: '0' }, undefined],
  ])('%j', (headers, expected) => {
    const risk = cacheRisk(headers as Record<string, string>);
    if (expected === undefined) expect(risk).toBeUndefined();
    else expect(risk).toMatch(expected);
  });
});
