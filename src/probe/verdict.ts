import { formatCount, formatRate } from '../report/numbers.ts';
import { leakRateUpperBound, samplesNeeded } from './stats.ts';
import type { LeakEvidence, Outcome } from './types.ts';

/**
 * Pass, leak or inconclusive, from what a run counted. Pure. A run that could not look
 * properly never passes: too few samples, too many failures, or a tenant whose identity
 * was never checked is inconclusive.
 */

export interface JudgeInput {
  leak?: LeakEvidence;
  checked: number;
  failed: number;
  /** Responses read in part: they count against the error allowance like failures. */
  unchecked?: number;
  /** Checked identity responses per tenant name. */
  identityChecks: Record<string, number>;
  topFailure?: string;
  pass: { maxLeakRate: number; confidence: number; maxErrorRate: number };
  /** Why the run stopped early, if it did (e.g. too many failures). */
  abortedBecause?: string;
}

export interface Judgement {
  outcome: Outcome;
  reason: string;
  leakRateBound: number | null;
}

export function judge(input: JudgeInput): Judgement {
  if (input.leak) {
    return { outcome: 'leak', reason: `leak: ${input.leak.summary}`, leakRateBound: null };
  }
  const bound = leakRateUpperBound(input.checked, input.pass.confidence);
  const inconclusive = (reason: string): Judgement => ({
    outcome: 'inconclusive',
    reason,
    leakRateBound: bound,
  });
  const why = input.topFailure ? ` (most common: ${input.topFailure})` : '';
  if (input.checked === 0) return inconclusive(`no response could be checked${why}`);
  const unchecked = input.unchecked ?? 0;
  const attempts = input.checked + input.failed + unchecked;
  const errorRate = (input.failed + unchecked) / attempts;
  if (input.abortedBecause) {
    // A reason that names its failure already (a refused login) says it once.
    const named = input.topFailure && input.abortedBecause.includes(input.topFailure);
    return inconclusive(named ? input.abortedBecause : input.abortedBecause + why);
  }
  if (errorRate > input.pass.maxErrorRate) {
    const what =
      unchecked === 0
        ? `${formatCount(input.failed)} of ${formatCount(attempts)} requests failed`
        : `${formatCount(input.failed)} failed and ${formatCount(unchecked)} could not be checked whole, of ${formatCount(attempts)} requests`;
    return inconclusive(
      `${what} (${formatRate(errorRate)}, allowed ${formatRate(input.pass.maxErrorRate)})${why}`,
    );
  }
  const neverChecked = Object.entries(input.identityChecks)
    .filter(([, n]) => n === 0)
    .map(([name]) => name);
  if (neverChecked.length > 0)
    return inconclusive(`identity never checked for ${neverChecked.join(', ')}${why}`);
  const confidence = formatRate(input.pass.confidence);
  const below = formatRate(bound, 'up');
  if (bound > input.pass.maxLeakRate) {
    const needed = samplesNeeded(input.pass.maxLeakRate, input.pass.confidence);
    return inconclusive(
      `${formatCount(input.checked)} clean samples bound the leak rate below ${below} at ${confidence} confidence, ` +
        `above maxLeakRate ${formatRate(input.pass.maxLeakRate)}: needs ${formatCount(needed)} samples (raise load.requests or load.duration)`,
    );
  }
  return {
    outcome: 'pass',
    reason: `no leak in ${formatCount(input.checked)} samples: leak rate below ${below} at ${confidence} confidence`,
    leakRateBound: bound,
  };
}
