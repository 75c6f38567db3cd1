import { DeadlineError } from './transport.ts';
import type { ProbeVerdict } from './types.ts';

/** How the run loop words an error and sums up latencies: small and pure, kept apart. */

/** A failure's reason as reports count it: an error code, a name, or the message. */
export function describeError(error: unknown): string {
  if (error instanceof DeadlineError) return `${error.message} (load.timeout)`;
  if (error && typeof error === 'object') {
    const e = error as {
      code?: unknown;
      cause?: { code?: unknown };
      name?: unknown;
      message?: unknown;
    };
    const code = e.code ?? e.cause?.code;
    if (typeof code === 'string') return code;
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
    if (typeof e.message === 'string') return e.message;
  }
  return String(error);
}

export function percentiles(values: number[]): ProbeVerdict['latencyMs'] {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: at(0.5), p99: at(0.99), max: round(sorted[sorted.length - 1] ?? 0) };
}

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
