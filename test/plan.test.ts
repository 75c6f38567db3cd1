import { describe, expect, it } from 'vitest';
import { burstWave, openingPlan, sustainedRequest } from '../src/probe/plan.ts';

const shape = { tenants: 3, identityPath: '/api/me', endpoints: ['/api/orders', '/api/profile'] };

describe('request plan', () => {
  it('opens with every tenant asking each path back to back, identity first', () => {
    const plan = openingPlan(shape);
    expect(plan.slice(0, 3).map((p) => [p.tenant, p.path, p.identity])).toEqual([
      [0, '/api/me', true],
      [1, '/api/me', true],
      [2, '/api/me', true],
    ]);
    for (const pool of ['shared', 'tenant'] as const) {
      for (const path of ['/api/me', '/api/orders', '/api/profile']) {
        const tenants = plan
          .filter((p) => p.pattern === 'interleaved' && p.pool === pool && p.path === path)
          .map((p) => p.tenant);
        expect(tenants).toEqual([0, 1, 2]);
      }
    }
  });

  it('follows each abandoned request with another tenant on the same path', () => {
    const plan = openingPlan(shape);
    const cancelled = plan.flatMap((p, i) => (p.cancelAfter === undefined ? [] : [i]));
    // Each tenant abandons one request once it is written and one after half the latency.
    expect(cancelled.map((i) => plan[i]?.cancelAfter)).toEqual([0, 0, 0, 0.5, 0.5, 0.5]);
    for (const i of cancelled) {
      const next = plan[i + 1];
      expect(next?.cancelAfter).toBeUndefined();
      expect(next?.tenant).not.toBe(plan[i]?.tenant);
      expect(next?.path).toBe(plan[i]?.path);
    }
  });

  it('fires bursts across all tenants and both pool kinds', () => {
    const wave = burstWave(shape, 0, 16);
    expect(wave).toHaveLength(16);
    expect(new Set(wave.map((p) => p.tenant))).toEqual(new Set([0, 1, 2]));
    expect(new Set(wave.map((p) => p.pool))).toEqual(new Set(['shared', 'tenant']));
  });

  it('abandons the configured share of sustained requests, none when the ratio is 0', () => {
    const cancels = (ratio: number) =>
      Array.from({ length: 10_000 }, (_, i) => sustainedRequest(shape, i, ratio, 0.5)).filter(
        (p) => p.cancelAfter !== undefined,
      ).length;
    expect(cancels(0.01)).toBe(100);
    expect(cancels(0.1)).toBe(1000);
    expect(cancels(0)).toBe(0);
    const kinds = Array.from(
      { length: 10_000 },
      (_, i) => sustainedRequest(shape, i, 0.01, 0.5).cancelAfter,
    ).filter((c) => c !== undefined);
    expect(kinds.filter((c) => c === 0)).toHaveLength(50);
  });

  it('keeps tenants on the same path in turn during sustained load', () => {
    const round = [0, 1, 2].map((i) => sustainedRequest(shape, i, 0, 0));
    expect(new Set(round.map((p) => p.path)).size).toBe(1);
    expect(round.map((p) => p.tenant)).toEqual([0, 1, 2]);
  });
});
