import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PHASES, type Phase } from '../release/schema.ts';
import type { AdmissionStatus } from '../release/state.ts';

/**
 * The operator's Prometheus metrics, on a Registry of its own so two operators in one
 * process (tests, a restart) never share counters.
 */
export interface OperatorMetrics {
  registry: Registry;
  guards: Gauge<'phase'>;
  probeRequests: Counter<'mode'>;
  leaks: Counter<'target'>;
  reverts: Counter<'why'>;
  revertSeconds: Histogram;
  reconcileErrors: Counter;
  reconciles: Counter;
  admissionEnforced: Gauge<'reason'>;
  /** Sets vakt_admission_policies_enforced{reason}: one series, the state's reason. */
  setAdmission(state: AdmissionStatus): void;
  /** Sets vakt_guards{phase} from the phase of every guard known now. */
  setPhases(phases: Iterable<Phase>): void;
}

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
  const admissionEnforced = new Gauge({
    name: 'vakt_admission_policies_enforced',
    help: "1 when the chart's admission policies are installed, failurePolicy Fail and bound with Deny; 0 otherwise (reason says why)",
    labelNames: ['reason'] as const,
    registers,
  });
  return {
    registry,
    guards,
    probeRequests: new Counter({
      name: 'vakt_probe_requests_total',
      help: 'probe requests sent, by probe mode (canary, bake, guard)',
      labelNames: ['mode'] as const,
      registers,
    }),
    leaks: new Counter({
      name: 'vakt_leaks_total',
      help: 'cross-tenant leaks found, by what was probed (candidate or stable)',
      labelNames: ['target'] as const,
      registers,
    }),
    reverts: new Counter({
      name: 'vakt_reverts_total',
      help: 'releases taken back after a leak: candidate scaled to zero, or stable restored',
      labelNames: ['why'] as const,
      registers,
    }),
    revertSeconds: new Histogram({
      name: 'vakt_revert_seconds',
      help: 'from the first leaking response to the API server accepting the revert',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
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
    // No series until the policies are read: a replica standing by for the Lease reads
    // nothing, and must not look like a cluster without them.
    admissionEnforced,
    setAdmission(state) {
      admissionEnforced.reset();
      admissionEnforced.set({ reason: state.reason }, state.reason === 'Enforced' ? 1 : 0);
    },
    setPhases(phases) {
      const counts = new Map<Phase, number>(PHASES.map((p) => [p, 0]));
      for (const phase of phases) counts.set(phase, (counts.get(phase) ?? 0) + 1);
      for (const [phase, n] of counts) guards.set({ phase }, n);
    },
  };
}
