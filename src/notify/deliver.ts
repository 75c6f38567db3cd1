import { type Dispatcher, request } from 'undici';

/**
 * One notification to one webhook: POST, a deadline per try, a bounded number of tries
 * with backoff, and Retry-After honoured on 429 and 503. What it says about a failure is
 * an HTTP status or an error code, never the URL: the URL is the credential, and error
 * messages of HTTP clients may carry it.
 */

export interface DeliveryOptions {
  attempts: number;
  timeoutMs: number;
  /** Wait before the second try; doubled for each further one (default 1 s). */
  backoffMs?: number;
  /** A longer Retry-After is cut to this (default 60 s): a try must end in bounded time. */
  maxRetryAfterMs?: number;
  /** Ends tries and waits at once (the operator is stopping). */
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
  /** Waits between tries (tests pass one that records the wait). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Now, for an HTTP-date Retry-After (default Date.now). */
  now?: () => number;
}

export type Delivery =
  | { outcome: 'sent'; attempts: number }
  | { outcome: 'failed'; attempts: number; reason: string };

type Try = { ok: true } | { ok: false; retry: boolean; reason: string; retryAfterMs?: number };

const DEFAULT_BACKOFF_MS = 1000;
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/** Enough to read an error answer; a receiver's body is never kept or logged. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export async function deliver(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: DeliveryOptions,
): Promise<Delivery> {
  const sleep = options.sleep ?? wait;
  let last: Try = { ok: false, retry: false, reason: 'not tried' };
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (options.signal?.aborted)
      return { outcome: 'failed', attempts: attempt - 1, reason: 'stopped' };
    last = await once(url, body, headers, options);
    if (last.ok) return { outcome: 'sent', attempts: attempt };
    if (!last.retry || attempt === options.attempts) {
      return { outcome: 'failed', attempts: attempt, reason: last.reason };
    }
    const backoff = (options.backoffMs ?? DEFAULT_BACKOFF_MS) * 2 ** (attempt - 1);
    const cap = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    await sleep(Math.min(last.retryAfterMs ?? backoff, cap), options.signal).catch(() => {});
  }
  return { outcome: 'failed', attempts: options.attempts, reason: last.ok ? '' : last.reason };
}

async function once(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: DeliveryOptions,
): Promise<Try> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal,
      ...(options.dispatcher && { dispatcher: options.dispatcher }),
    });
    await drain(response.body);
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { ok: true };
    const retryable = status === 408 || status === 429 || status >= 500;
    const retryAfterMs =
      status === 429 || status === 503
        ? retryAfter(response.headers['retry-after'], options.now ?? Date.now)
        : undefined;
    return {
      ok: false,
      retry: retryable,
      reason: `HTTP ${status}`,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
  } catch (error) {
    if (options.signal?.aborted) return { ok: false, retry: false, reason: 'stopped' };
    if (deadline.aborted) {
      return { ok: false, retry: true, reason: `no answer within ${options.timeoutMs} ms` };
    }
    return { ok: false, retry: true, reason: errorCode(error) };
  }
}

/** Reads a little of the answer and drops the rest, so the connection can be reused or closed. */
async function drain(body: Dispatcher.ResponseData['body']): Promise<void> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_RESPONSE_BYTES) {
      body.destroy();
      return;
    }
  }
}

/** Retry-After as seconds or an HTTP-date; undefined when absent or unreadable. */
export function retryAfter(
  value: string | string[] | undefined,
  now: () => number,
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}

/** ECONNREFUSED, UND_ERR_SOCKET, ...: a code, never a message that could hold the URL. */
function errorCode(error: unknown): string {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.name : 'request failed';
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
