import { formatCount } from '../report/numbers.ts';
import type { ProbeCounters } from './types.ts';

/**
 * The failures of a probe run, each reason counted once however often it happens, and
 * which of them are credentials refused (401, 403): a target that refuses a login is
 * reachable, and a report calling it unreachable would send someone the wrong way.
 */
export class FailureTally {
  readonly #counts = new Map<string, number>();
  readonly #refusals = new Set<string>();

  add(reason: string, refused: boolean): void {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
    if (refused) this.#refusals.add(reason);
  }

  /** The most frequent reasons, each with its count. */
  top(n = 5): { reason: string; count: number }[] {
    return [...this.#counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([reason, count]) => ({ reason, count }));
  }

  /** Why a run that exceeded its failure allowance stopped, in words that point at the fix. */
  stopReason(counters: ProbeCounters): string {
    if (counters.unchecked > counters.failed)
      return `stopped after ${formatCount(counters.unchecked)} responses that could not be checked whole`;
    const top = this.top(1)[0]?.reason;
    const why =
      top !== undefined && this.#refusals.has(top) ? top : 'the target is unreachable or failing';
    return `stopped after ${formatCount(counters.failed)} failed requests: ${why}`;
  }
}
