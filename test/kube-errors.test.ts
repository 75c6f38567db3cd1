import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  isConflict,
  isNetworkError,
  retryAfterMs,
  retryable,
  statusOf,
  withRetry,
} from '../src/kube/errors.ts';

function apiError(code: number, reason: string, headers: Record<string, string> = {}) {
  return new ApiException(code, reason, JSON.stringify({ kind: 'Status', code, reason }), headers);
}

describe('kube error helpers', () => {
  it('reads status, conflicts and Retry-After from ApiException', () => {
    expect(statusOf(apiError(404, 'NotFound'))).toBe(404);
    expect(isConflict(apiError(409, 'Conflict'))).toBe(true);
    expect(isConflict(apiError(409, 'AlreadyExists'))).toBe(false);
    expect(retryAfterMs(apiError(429, 'TooManyRequests', { 'retry-after': '3' }))).toBe(3000);
  });

  it('retries throttling, server and network failures; conflicts only when asked', () => {
    const network = new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    expect(isNetworkError(network)).toBe(true);
    expect(retryable(network)).toBe(true);
    expect(retryable(apiError(429, 'TooManyRequests'))).toBe(true);
    expect(retryable(apiError(503, 'ServiceUnavailable'))).toBe(true);
    expect(retryable(apiError(404, 'NotFound'))).toBe(false);
    expect(retryable(apiError(422, 'Invalid'))).toBe(false);
    expect(retryable(apiError(409, 'Conflict'))).toBe(false);
    expect(retryable(apiError(409, 'Conflict'), { conflicts: true })).toBe(true);
    expect(retryable(new Error('bug'))).toBe(false);
  });

  it('backs off exponentially with jitter, honours Retry-After, and stops on a final failure', async () => {
    const waits: number[] = [];
    const failures = [
      apiError(500, 'InternalError'),
      apiError(500, 'InternalError'),
      apiError(429, 'TooManyRequests', { 'retry-after': '2' }),
    ];
    const result = await withRetry(
      async (attempt) => {
        const failure = failures[attempt - 1];
        if (failure) throw failure;
        return attempt;
      },
      { baseMs: 100, maxMs: 1000, random: () => 1, sleep: async (ms) => void waits.push(ms) },
    );
    expect(result).toBe(4);
    expect(waits).toEqual([100, 200, 2000]);

    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw apiError(404, 'NotFound');
        },
        { sleep: async () => {} },
      ),
    ).rejects.toMatchObject({ code: 404 });
    expect(calls).toBe(1);

    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw apiError(500, 'InternalError');
        },
        { attempts: 3, sleep: async () => {} },
      ),
    ).rejects.toMatchObject({ code: 500 });
    expect(calls).toBe(3);
  });
});
