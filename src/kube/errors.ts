import { setTimeout as delay } from 'node:timers/promises';

/**
 * How to read client-node's failures and when to try again. ApiException carries `code`
 * and a `body` that is a JSON *string*; Watch failures carry `statusCode`; network failures
 * (undici) carry neither, only a `cause` with an errno-style code.
 */

type Loose = { [key: string]: unknown };

function asLoose(value: unknown): Loose | undefined {
  return typeof value === 'object' && value !== null ? (value as Loose) : undefined;
}

/** The HTTP status of a failed API call, if it got that far. */
export function statusOf(error: unknown): number | undefined {
  const e = asLoose(error);
  if (!e) return undefined;
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** The Kubernetes Status body of a failed call (parsed when it came as a string). */
export function statusBody(error: unknown): Loose | undefined {
  const body = asLoose(error)?.body;
  if (typeof body === 'string') {
    try {
      return asLoose(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  return asLoose(body);
}

function reasonOf(error: unknown): string | undefined {
  const reason = statusBody(error)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/** 409 because the object changed since it was read (not because it already exists). */
export function isConflict(error: unknown): boolean {
  return statusOf(error) === 409 && reasonOf(error) !== 'AlreadyExists';
}

export function isAlreadyExists(error: unknown): boolean {
  return statusOf(error) === 409 && reasonOf(error) === 'AlreadyExists';
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The request never got an HTTP answer: connection refused or reset, DNS, timeouts. */
export function isNetworkError(error: unknown): boolean {
  for (let e = asLoose(error), depth = 0; e && depth < 5; e = asLoose(e.cause), depth++) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
    if (e instanceof TypeError && e.message === 'fetch failed') return true;
  }
  return false;
}

/**
 * Worth trying again: throttling (429), server trouble (5xx) and network failures; a 409
 * Conflict only where the caller re-reads before writing again (`conflicts`), since
 * repeating the same stale write would only conflict again.
 */
export function retryable(error: unknown, options: { conflicts?: boolean } = {}): boolean {
  const status = statusOf(error);
  if (status === undefined) return isNetworkError(error);
  if (status === 409) return (options.conflicts ?? false) && isConflict(error);
  return status === 429 || status >= 500;
}

/** The server's Retry-After (header, or the Status body's details) in milliseconds. */
export function retryAfterMs(error: unknown): number | undefined {
  const headers = asLoose(asLoose(error)?.headers);
  const header = headers?.['retry-after'] ?? headers?.['Retry-After'];
  const fromHeader = typeof header === 'string' ? Number(header) : Number.NaN;
  if (Number.isFinite(fromHeader) && fromHeader >= 0) return fromHeader * 1000;
  const seconds = asLoose(statusBody(error)?.details)?.retryAfterSeconds;
  return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : undefined;
}

export interface RetryOptions {
  /** Tries in all, the first included (default 5). */
  attempts?: number;
  /** Backoff before the second try; doubles each time up to maxMs (defaults 200 and 5000). */
  baseMs?: number;
  maxMs?: number;
  /** Retry-After is honoured up to this (default 30 s), so a hostile value cannot stall us. */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  /** Which failures to try again (default: retryable() without conflicts). */
  retryable?: (error: unknown) => boolean;
  /** Injectable for tests. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
}

export const abortableSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  await delay(ms, undefined, signal ? { signal } : {});
};

/**
 * "Equal jitter": half the capped exponential delay, plus a random part of the other half,
 * so replicas that failed together do not retry in lockstep.
 */
export function backoffMs(
  failures: number,
  options: { baseMs: number; maxMs: number; random?: () => number },
): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, failures - 1));
  return cap / 2 + (options.random ?? Math.random)() * (cap / 2);
}

/** Runs fn until it succeeds, fails for good, runs out of attempts or is aborted. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const baseMs = options.baseMs ?? 200;
  const maxMs = options.maxMs ?? 5000;
  const isRetryable = options.retryable ?? ((error: unknown) => retryable(error));
  const sleep = options.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error) || options.signal?.aborted) throw error;
      const jittered = backoffMs(attempt, {
        baseMs,
        maxMs,
        ...(options.random ? { random: options.random } : {}),
      });
      const asked = Math.min(retryAfterMs(error) ?? 0, options.maxRetryAfterMs ?? 30_000);
      const waitMs = Math.max(jittered, asked);
      options.onRetry?.(error, attempt, waitMs);
      await sleep(waitMs, options.signal);
    }
  }
}
