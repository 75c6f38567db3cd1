import type { ApprovalStatus, Phase } from '../release/schema.ts';
import type { ProbeReport, Report } from '../release/state.ts';
import type { GuardRef } from './ports.ts';

/** What the reconciler keeps about one guard between passes (see reconciler.ts). */

const BACKOFF = { firstMs: 250, maxMs: 60_000 };

export interface Work {
  ref: GuardRef;
  key: string;
  /** Reports not yet handed to decide(), oldest first. */
  reports: Report[];
  /** Another pass is wanted. */
  pending: boolean;
  /** The drain loop runs (at most one per guard). */
  busy: Promise<void> | null;
  timer?: NodeJS.Timeout;
  failures: number;
  /** After a failed pass, ordinary triggers wait for the retry timer (performance.now()). */
  backoffUntil: number;
  /** A trigger that does not wait for the backoff (the retry timer, a leak). */
  urgent: boolean;
  /** The recheck annotation's value last seen; undefined before the first pass. */
  recheckSeen?: string;
  /** When the oldest leak report not yet answered by a revert arrived (performance.now()). */
  leakAt?: number;
  /** The generation of `-stable` the operator's own write left, as of the last pass. */
  stableGeneration?: number;
  /** The target's name as the guard's spec gave it at the last pass. */
  target?: string;
  /** The reflex scaled the candidate down; no pass has handed decide() that leak yet. */
  reflexPending: boolean;
  phase?: Phase;
  /** The gate's latest answer about the candidate; undefined without a candidate. */
  approval?: ApprovalStatus['outcome'];
  /** Keys `namespace/deployment` this guard is indexed under. */
  deployments: string[];
  /** The guard is gone and this record dropped; a new one serves a guard of the same name. */
  forgotten?: boolean;
  /** The last pass saw another Service selecting the target's pods. */
  exposed?: boolean;
  /** A pod claiming this guard changed since its pods were last checked (true at first). */
  podsDirty: boolean;
}

/** How long to wait after `failures` failed passes in a row: doubling, jittered. */
export function backoff(failures: number): number {
  const ms = Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** (failures - 1));
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

export function isLeak(report: Report): report is ProbeReport {
  return report.kind === 'probe' && report.outcome === 'leak';
}

/**
 * A watch event on Deployment `name` that may be someone else's change of the guard's
 * `-stable`: its generation is not the one the operator's own last write left, or it is
 * gone (`null`). Unknown either way (no generation in the event, none recorded): not.
 */
export function isForeignStableChange(
  work: Work,
  name: string,
  generation: number | null | undefined,
): boolean {
  if (name !== `${work.ref.name}-stable`) return false;
  if (work.stableGeneration === undefined || generation === undefined) return false;
  return generation !== work.stableGeneration;
}
