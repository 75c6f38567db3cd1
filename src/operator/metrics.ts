import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GitHubObserver } from '../github/observe.ts';
import { PHASES, type Phase } from '../release/schema.ts';
import type { AdmissionStatus, ProbeMode } from '../release/state.ts';

/**
 * The operator's Prometheus metrics, on a Registry of its own so two operators in one
 * process (tests, a restart) never share counters. docs/operator.md lists them, and the
 * chart's alerts and dashboard query them: test/monitoring.test.ts reads this registry.
 */

/** The gate's latest answer about a guard's candidate, as status.approval.outcome says it. */
export const APPROVAL_OUTCOMES = ['pending', 'approved', 'denied', 'undecided'] as const;
export type ApprovalOutcome = (typeof APPROVAL_OUTCOMES)[number];

/** A probe run's end: the outcomes decide() gets (a stopped run has none). */
export type RunOutcome = 'pass' | 'leak' | 'inconclusive';

export interface OperatorMetrics {
  registry: Registry;
  guards: Gauge<'phase'>;
  guardApprovals: Gauge<'outcome'>;
  probeRequests: Counter<'mode'>;
  probeFailures: Counter<'mode'>;
  probeSeconds: Histogram<'mode'>;
  probeRuns: Counter<'mode' | 'outcome'>;
  leaks: Counter<'target'>;
  reverts: Counter<'why'>;
  revertSeconds: Histogram;
  reconcileErrors: Counter;
  reconciles: Counter;
  reconcileSeconds: Histogram;
  admissionEnforced: Gauge<'reason'>;
  /** Notifications of decisions, by sink, event and outcome (see src/notify/notifier.ts). */
  notifications: Counter<'sink' | 'event' | 'outcome'>;
  /** Feeds the vakt_github_* metrics from the operator's GitHub client. */
  github: GitHubObserver;
  /** Sets vakt_admission_policies_enforced{reason}: one series, the state's reason. */
  setAdmission(state: AdmissionStatus): void;
  /** Sets vakt_guards{phase} from the phase of every guard known now. */
  setPhases(phases: Iterable<Phase>): void;
  /** Sets vakt_guard_approvals{outcome} from the answer about every guard's candidate. */
  setApprovals(outcomes: Iterable<ApprovalOutcome>): void;
}

/** Probe latencies and API round trips: milliseconds on loopback to seconds on a bad day. */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const PROBE_MODES: readonly ProbeMode[] = ['canary', 'bake', 'guard'];

export function createMetrics(): OperatorMetrics {
  const registry = new Registry();
  const registers = [registry];
  const guards = new Gauge({
    name: 'vakt_guards',
    help: 'ReleaseGuards by phase',
    labelNames: ['phase'] as const,
    registers,
  });
  for (const phase of PHASES) guards.set({ phase }, 0);
  const guardApprovals = new Gauge({
    name: 'vakt_guard_approvals',
    help: "ReleaseGuards with a candidate, by the two-person gate's latest answer about it (pending, approved, denied, undecided)",
    labelNames: ['outcome'] as const,
    registers,
  });
  for (const outcome of APPROVAL_OUTCOMES) guardApprovals.set({ outcome }, 0);
  const admissionEnforced = new Gauge({
    name: 'vakt_admission_policies_enforced',
    help: "1 when the chart's admission policies are installed, failurePolicy Fail and bound with Deny; 0 otherwise (reason says why)",
    labelNames: ['reason'] as const,
    registers,
  });
  const probeRuns = new Counter({
    name: 'vakt_probe_runs_total',
    help: 'probe runs ended, by probe mode and outcome (pass, leak, inconclusive)',
    labelNames: ['mode', 'outcome'] as const,
    registers,
  });
  const leaks = new Counter({
    name: 'vakt_leaks_total',
    help: 'cross-tenant leaks found, by what was probed (candidate or stable)',
    labelNames: ['target'] as const,
    registers,
  });
  const reverts = new Counter({
    name: 'vakt_reverts_total',
    help: 'releases taken back after a leak: candidate scaled to zero, or stable restored',
    labelNames: ['why'] as const,
    registers,
  });
  // Zeros from the start: increase() sees the first leak only on a series that was there
  // before it, and the alerts watch these.
  for (const mode of PROBE_MODES) {
    for (const outcome of ['pass', 'leak', 'inconclusive'] as const)
      probeRuns.inc({ mode, outcome }, 0);
  }
  for (const target of ['candidate', 'stable'] as const) leaks.inc({ target }, 0);
  for (const why of ['candidate', 'restore'] as const) reverts.inc({ why }, 0);
  return {
    registry,
    guards,
    guardApprovals,
    probeRequests: new Counter({
      name: 'vakt_probe_requests_total',
      help: 'probe requests sent, by probe mode (canary, bake, guard)',
      labelNames: ['mode'] as const,
      registers,
    }),
    probeFailures: new Counter({
      name: 'vakt_probe_request_failures_total',
      help: 'probe requests that failed (no answer, timeout, an error status), by probe mode',
      labelNames: ['mode'] as const,
      registers,
    }),
    probeSeconds: new Histogram({
      name: 'vakt_probe_request_seconds',
      help: 'time from sending a probe request to having read and checked its whole answer, by probe mode',
      labelNames: ['mode'] as const,
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    probeRuns,
    leaks,
    reverts,
    revertSeconds: new Histogram({
      name: 'vakt_revert_seconds',
      help: 'from the first leaking response to the API server accepting the revert',
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'vakt_reconcile_errors_total',
      help: 'reconcile passes that failed and were retried with backoff',
      registers,
    }),
    reconciles: new Counter({
      name: 'vakt_reconciles_total',
      help: 'reconcile passes run',
      registers,
    }),
    reconcileSeconds: new Histogram({
      name: 'vakt_reconcile_seconds',
      help: 'how long a reconcile pass took, failed ones included',
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    // No series until the policies are read: a replica standing by for the Lease reads
    // nothing, and must not look like a cluster without them.
    admissionEnforced,
    // No series until a notification is sent: sinks are the operator's configuration.
    notifications: new Counter({
      name: 'vakt_notifications_total',
      help: 'notifications of decisions by sink, event and outcome: sent, failed after its tries, or dropped (its queue was full, or the operator stopped)',
      labelNames: ['sink', 'event', 'outcome'] as const,
      registers,
    }),
    github: githubMetrics(registers),
    setAdmission(state) {
      admissionEnforced.reset();
      admissionEnforced.set({ reason: state.reason }, state.reason === 'Enforced' ? 1 : 0);
    },
    setPhases(phases) {
      const counts = new Map<Phase, number>(PHASES.map((p) => [p, 0]));
      for (const phase of phases) counts.set(phase, (counts.get(phase) ?? 0) + 1);
      for (const [phase, n] of counts) guards.set({ phase }, n);
    },
    setApprovals(outcomes) {
      const counts = new Map<ApprovalOutcome, number>(APPROVAL_OUTCOMES.map((o) => [o, 0]));
      for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      for (const [outcome, n] of counts) guardApprovals.set({ outcome }, n);
    },
  };
}

/** The GitHub client's traffic and rate limits; no series until the first request. */
function githubMetrics(registers: Registry[]): GitHubObserver {
  const requests = new Counter({
    name: 'vakt_github_requests_total',
    help: 'HTTP requests to GitHub (retries included), by answer status, or "error" when none came',
    labelNames: ['status'] as const,
    registers,
  });
  const limit = new Gauge({
    name: 'vakt_github_rate_limit',
    help: "GitHub's request quota per window, by resource (x-ratelimit-limit of the latest answer)",
    labelNames: ['resource'] as const,
    registers,
  });
  const remaining = new Gauge({
    name: 'vakt_github_rate_limit_remaining',
    help: 'requests left in the current window, by resource (x-ratelimit-remaining of the latest answer)',
    labelNames: ['resource'] as const,
    registers,
  });
  const rateLimited = new Counter({
    name: 'vakt_github_rate_limited_total',
    help: 'rate limits GitHub answered with, by kind (primary, secondary, graphql) and whether the client waited it out (waited) or failed the request (gave_up)',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  for (const kind of ['primary', 'secondary', 'graphql'] as const) {
    for (const outcome of ['waited', 'gave_up'] as const) rateLimited.inc({ kind, outcome }, 0);
  }
  return {
    answered(status, figures) {
      requests.inc({ status: String(status) });
      if (!figures) return;
      limit.set({ resource: figures.resource }, figures.limit);
      remaining.set({ resource: figures.resource }, figures.remaining);
    },
    rateLimited(kind, waited) {
      rateLimited.inc({ kind, outcome: waited ? 'waited' : 'gave_up' });
    },
  };
}
