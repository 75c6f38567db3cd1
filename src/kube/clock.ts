import { performance } from 'node:perf_hooks';
import { abortableSleep } from './errors.ts';

/**
 * Time as leader election needs it. Every decision is measured on a monotonic clock: wall
 * time (Date.now) jumps when NTP steps it and differs between nodes, so a deadline computed
 * from it can pass early, late, or never. Tests pass a fake one they move by hand.
 */
export interface Clock {
  /** Monotonic milliseconds (any origin). */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A signal that aborts after `ms`: the bound of an API request. */
  timeout(ms: number): AbortSignal;
}

export const monotonicClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => abortableSleep(ms, signal).catch(() => {}),
  timeout: (ms) => AbortSignal.timeout(Math.max(0, Math.ceil(ms))),
};
