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

/** The latencies of checked responses: a bounded sample for the report, the recent ones to time cancels. */
export class Latencies {
  readonly #sample: number[] = [];
  readonly #recent: number[] = [];
  #seen = 0;

  add(latency: number): void {
    this.#seen++;
    this.#recent[this.#seen % RECENT] = latency;
    // At most 100,000 kept (a uniform sample) so long runs stay small.
    if (this.#sample.length < SAMPLE) this.#sample.push(latency);
    else {
      const slot = Math.floor(Math.random() * this.#seen);
      if (slot < SAMPLE) this.#sample[slot] = latency;
    }
  }

  /**
   * The median of recent latencies: when to abandon a request so it is mid-flight. A median,
   * because the first requests on a connection include the TCP handshake and would push an
   * average past the moment the server is busy with the request.
   */
  typical(): number {
    const recent = [...this.#recent].sort((a, b) => a - b);
    return recent[Math.floor(recent.length / 2)] ?? 1;
  }

  percentiles(): ProbeVerdict['latencyMs'] {
    return percentiles(this.#sample);
  }
}

const RECENT = 32;
const SAMPLE = 100_000;

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
