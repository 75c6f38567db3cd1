/**
 * The decisions of leader election, free of I/O and of wall clocks (see lease.ts for the
 * requests). As in client-go, a follower never compares the Lease's renewTime with its own
 * clock: clocks of two nodes may disagree by seconds. It notes instead when *it* saw the
 * Lease change, on its own monotonic clock, and takes the Lease only once the holder's
 * lease duration has passed locally without a change.
 */

export interface LeaseTimings {
  /** How long a follower waits after the last change it saw before it takes the Lease. */
  leaseMs: number;
  /** How long a leader keeps leading after the start of its last successful renewal. */
  renewDeadlineMs: number;
  /** Pause between attempts: renewals of a leader, tries of a follower. */
  retryMs: number;
  /** Bound of one attempt (a read and at most one write); never past the renew deadline. */
  requestTimeoutMs: number;
}

/** client-go's defaults (15 s, 10 s, 2 s); one attempt may use half the renew deadline. */
export const DEFAULT_TIMINGS: LeaseTimings = {
  leaseMs: 15_000,
  renewDeadlineMs: 10_000,
  retryMs: 2_000,
  requestTimeoutMs: 5_000,
};

/** The timings with defaults filled in; throws naming the option when they cannot be safe. */
export function leaseTimings(given: Partial<LeaseTimings>): LeaseTimings {
  const t = { ...DEFAULT_TIMINGS, ...given };
  if (given.requestTimeoutMs === undefined) {
    t.requestTimeoutMs = Math.min(DEFAULT_TIMINGS.requestTimeoutMs, t.renewDeadlineMs / 2);
  }
  for (const [key, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`leader election: ${key} expects a positive number of ms, got ${value}`);
    }
  }
  // The margin between the two is what keeps an old leader from overlapping a new one.
  if (t.renewDeadlineMs >= t.leaseMs) {
    throw new Error(
      `leader election: renewDeadlineMs (${t.renewDeadlineMs}) must be less than leaseMs (${t.leaseMs})`,
    );
  }
  if (t.retryMs * 1.2 >= t.renewDeadlineMs) {
    throw new Error(
      `leader election: retryMs (${t.retryMs}) must be well under renewDeadlineMs (${t.renewDeadlineMs})`,
    );
  }
  if (t.requestTimeoutMs > t.renewDeadlineMs) {
    throw new Error(
      `leader election: requestTimeoutMs (${t.requestTimeoutMs}) must not exceed renewDeadlineMs (${t.renewDeadlineMs})`,
    );
  }
  return t;
}

/** What of a Lease the decisions look at. */
export interface LeaseRecord {
  holder: string;
  /** As the holder wrote it: compared for change only, never with a local clock. */
  renewTime: string;
  transitions: number;
  resourceVersion: string;
  /** spec.leaseDurationSeconds in ms; 0 when absent. */
  durationMs: number;
}

/** The Lease as last seen, and when (local monotonic ms) it was seen to change. */
export interface Observation {
  record: LeaseRecord;
  changedAt: number;
}

/** Notes the Lease read at `now`: the time moves only when the Lease itself changed. */
export function observe(
  previous: Observation | undefined,
  record: LeaseRecord,
  now: number,
): Observation {
  const p = previous?.record;
  const same =
    p !== undefined &&
    p.holder === record.holder &&
    p.renewTime === record.renewTime &&
    p.transitions === record.transitions &&
    p.resourceVersion === record.resourceVersion;
  return same && previous ? { record, changedAt: previous.changedAt } : { record, changedAt: now };
}

/**
 * May `identity` write itself into the Lease now? When free or already its own, yes;
 * otherwise only after the holder's lease duration (ours when it names none) has passed on
 * the local clock since the last change seen.
 */
export function mayTake(
  observation: Observation,
  identity: string,
  now: number,
  fallbackLeaseMs: number,
): boolean {
  const { holder, durationMs } = observation.record;
  if (!holder || holder === identity) return true;
  return now - observation.changedAt >= (durationMs > 0 ? durationMs : fallbackLeaseMs);
}

/**
 * A leader leads while within its renew deadline of the start of its last successful
 * renewal: the write may have landed any time after it was sent, so followers start their
 * wait no earlier than that, and stop waiting leaseMs - renewDeadlineMs after we stopped.
 */
export function leadsAt(renewedAt: number | undefined, now: number, renewDeadlineMs: number) {
  return renewedAt !== undefined && now - renewedAt < renewDeadlineMs;
}

/** How long the next attempt may take: the request bound, cut at the renew deadline. */
export function attemptBudgetMs(
  timings: LeaseTimings,
  now: number,
  renewedAt: number | undefined,
): number {
  if (renewedAt === undefined) return timings.requestTimeoutMs;
  return Math.min(timings.requestTimeoutMs, renewedAt + timings.renewDeadlineMs - now);
}
