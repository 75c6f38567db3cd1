/**
 * When the gate waits out a GitHub rate limit and when it gives up. A decision is awaited
 * by a deploy job or by the operator's queue, so a long wait is worse than an honest
 * "undecided": a primary limit resets on the hour, up to an hour away.
 */

/**
 * The longest wait worth making, in seconds. GitHub tells clients to wait a minute after a
 * secondary limit that names no time, so a minute covers every wait that is about pacing;
 * anything longer is a spent quota and fails closed at once.
 */
export const MAX_RATE_LIMIT_WAIT_S = 60;

/** Retries of one request after a rate limit: a limit hit three times in a row is no blip. */
export const MAX_RATE_LIMIT_RETRIES = 2;

/** Whether to retry after `retryAfter` seconds, the `retryCount`-th time (0 at first). */
export function retryAfterRateLimit(retryAfter: number, retryCount: number): boolean {
  return retryAfter <= MAX_RATE_LIMIT_WAIT_S && retryCount < MAX_RATE_LIMIT_RETRIES;
}

/** "14:05:09 UTC", from the epoch seconds of an x-ratelimit-reset header. */
export function resetTime(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(11, 19)} UTC`;
}
