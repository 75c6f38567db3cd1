import type { Logger } from '../log.ts';
import type { Notifier } from '../notify/notifier.ts';
import { decide } from '../release/decide.ts';
import type { Report } from '../release/state.ts';
import { runActions } from './actions.ts';
import type { AdmissionSource } from './admission-source.ts';
import type { ApprovalChecker } from './approvals.ts';
import { DeploymentIndex } from './deployment-index.ts';
import { FINALIZER, handBackGuard } from './hand-back-guard.ts';
import type { OperatorMetrics } from './metrics.ts';
import { observeGuard } from './observe-guard.ts';
import { PassTurns } from './pass-turns.ts';
import type { PlatformSource } from './platform-source.ts';
import { guardPods } from './pods.ts';
import { policyDigest, resolveGuardPolicy } from './policy.ts';
import { type Cluster, type GuardRef, STATUS_CHANGED } from './ports.ts';
import type { ProbeManager } from './probes.ts';
import { describeError as describe, guardKey } from './refs.ts';
import { sameStatus } from './same-status.ts';
import { backoff, isForeignStableChange, isLeak, type Work } from './work.ts';

/**
 * Event-driven reconciliation: no tick. Each guard has one serialized queue; triggers
 * (the guard or its Deployments changed, a probe or approval report, a requeue timer)
 * coalesce into the next pass. A pass reads, calls decide(), runs the actions in order and
 * writes status. Nothing slow is awaited: approval checks and probe runs report back.
 */

/** Touching this annotation (any new value) makes the operator ask the gate again now. */
export const RECHECK_ANNOTATION = 'vakt.dev/recheck-approval';
/** A missing ConfigMap, Secret or key has no watch: look again this often. */
const EXTERNAL_RETRY_MS = 30_000;
/**
 * Passes running at once across all guards (see pass-turns.ts). A pass is a handful of API
 * calls; 32 keeps the API server busy while a thousand guards are adopted, without holding
 * a thousand passes' objects and connections at once.
 */
const PASSES_AT_ONCE = 32;

export interface ReconcilerOptions {
  cluster: Cluster;
  probes: ProbeManager;
  approvals: ApprovalChecker;
  metrics: OperatorMetrics;
  log: Logger;
  clock: () => number;
  /** The admin's floors and allow-lists, current at each pass. */
  platform: PlatformSource;
  /** The chart's admission policies, current at each pass (none: no such condition). */
  admission?: AdmissionSource;
  /** Passes running at once, across all guards (default PASSES_AT_ONCE). */
  passesAtOnce?: number;
  /** Told of each decision as its Event goes out (none: no notifications). */
  notifier?: Notifier;
}

export class Reconciler {
  private readonly options: ReconcilerOptions;
  private readonly works = new Map<string, Work>();
  private readonly deployments = new DeploymentIndex();
  private readonly turns: PassTurns;
  private stopped = false;

  constructor(options: ReconcilerOptions) {
    this.options = options;
    this.turns = new PassTurns(options.passesAtOnce ?? PASSES_AT_ONCE);
  }

  guardChanged(ref: GuardRef): void {
    this.trigger(ref);
  }

  /** One of vakt's Services changed: its guard repairs it now, not at its next pass. */
  serviceChanged(ref: GuardRef): void {
    if (this.works.has(guardKey(ref))) this.trigger(ref);
  }

  /** A pod labelled for this guard changed: its next pass checks the guard's pods. */
  podChanged(ref: GuardRef): void {
    const work = this.works.get(guardKey(ref));
    if (!work) return; // a guard seen for the first time checks its pods anyway
    work.podsDirty = true;
    this.trigger(ref);
  }

  /** An Ingress or HTTPRoute changed: guards that may scale a candidate read them again. */
  routesChanged(namespace: string): void {
    for (const work of this.works.values()) {
      if (work.ref.namespace !== namespace) continue;
      if (work.phase && !['Initializing', 'Blocked', 'Canary'].includes(work.phase)) continue;
      this.trigger(work.ref);
    }
  }

  /**
   * A Deployment changed. A `-stable` copy whose spec moved from the generation the
   * operator's own write left (or that is gone) may be serving users an unapproved
   * template: its pass goes ahead of the queue like a leak's, instead of waiting behind
   * every guard's routine passes when the operator is busy.
   */
  deploymentChanged(ref: GuardRef, generation?: number | null): void {
    for (const key of this.deployments.guardsOf(guardKey(ref))) {
      const work = this.works.get(key);
      if (work) this.trigger(work.ref, isForeignStableChange(work, ref.name, generation));
    }
  }

  /** The platform configuration (or the admission policies) changed: every guard is judged again. */
  platformChanged(): void {
    for (const work of this.works.values()) this.trigger(work.ref);
  }

  /** A probe or approval report: the next pass hands it to decide(). */
  report(ref: GuardRef, report: Report): void {
    if (this.stopped) return;
    const work = this.work(ref);
    if (isLeak(report)) work.leakAt ??= performance.now();
    if (isLeak(report) && report.target === 'candidate' && report.via !== 'edge') {
      this.reflex(work, report.templateHash);
    }
    work.reports.push(report);
    this.trigger(ref, isLeak(report));
  }

  /**
   * The one decision that does not wait for a pass: a leak on the candidate scales it to
   * zero now, in one request that also marks the template rejected, instead of after the
   * reads a pass makes (or behind a pass already under way). decide() would answer the
   * same: it never keeps a leaking candidate up. The pass that follows records the
   * decision and its Event, and repeats the scale if this one failed.
   */
  private reflex(work: Work, templateHash: string): void {
    const { cluster, log } = this.options;
    if (!work.target) return;
    work.reflexPending = true;
    const marks = { rejectTemplate: templateHash, guardedBy: work.ref.name };
    cluster.scaleDeployment(work.ref.namespace, work.target, 0, marks).then(
      () => this.reverted(work, 'candidate'),
      (error) =>
        log.warn(
          { guard: work.key, err: describe(error) },
          'leak: scale to zero failed; the pass will retry',
        ),
    );
  }

  /**
   * Asks for a pass. After a failed pass only the retry timer and a leak (`urgent`) start
   * one: a pass that keeps failing after its writes must not be re-run by their watch
   * events at API speed, repeating its Events.
   */
  trigger(ref: GuardRef, urgent = false): void {
    if (this.stopped) return;
    const work = this.work(ref);
    work.pending = true;
    work.urgent ||= urgent;
    if (!this.mayRun(work)) return;
    if (!work.busy) {
      work.busy = this.drain(work).finally(() => {
        work.busy = null;
      });
    }
  }

  /** Stops timers and waits for passes under way; later triggers are ignored. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const work of this.works.values()) clearTimeout(work.timer);
    await Promise.all([...this.works.values()].map((w) => w.busy));
  }

  private work(ref: GuardRef): Work {
    const key = guardKey(ref);
    let work = this.works.get(key);
    if (!work) {
      work = {
        ref,
        key,
        reports: [],
        pending: false,
        busy: null,
        failures: 0,
        backoffUntil: 0,
        urgent: false,
        reflexPending: false,
        deployments: [],
        podsDirty: true,
      };
      this.works.set(key, work);
    }
    return work;
  }

  private mayRun(work: Work): boolean {
    return work.urgent || work.backoffUntil <= performance.now();
  }

  private async drain(work: Work): Promise<void> {
    // Yield once, so triggers in the same tick (a burst of watch events) make one pass.
    await Promise.resolve();
    const wanted = () => work.pending && !this.stopped && !work.forgotten && this.mayRun(work);
    while (wanted()) {
      // A leak to record first, then other urgent passes (a foreign -stable edit, a retry).
      const turn = await this.turns.take(() =>
        work.urgent ? (work.reports.some(isLeak) ? 2 : 1) : 0,
      );
      try {
        // Triggers kept coming while this pass waited for its turn: one pass serves them.
        if (!wanted()) break;
        work.pending = false;
        work.urgent = false;
        await this.pass(work);
      } finally {
        turn.release();
      }
    }
  }

  private async pass(work: Work): Promise<void> {
    const { metrics, log } = this.options;
    metrics.reconciles.inc();
    const timer = metrics.reconcileSeconds.startTimer();
    const reports = work.reports.splice(0);
    try {
      await this.reconcile(work, reports);
      work.failures = 0;
      work.backoffUntil = 0;
    } catch (error) {
      // Nothing is lost: the reports go back, and the pass runs again after a backoff.
      work.reports.unshift(...reports);
      work.failures += 1;
      metrics.reconcileErrors.inc();
      const delay = backoff(work.failures);
      work.backoffUntil = performance.now() + delay;
      log.warn({ guard: work.key, err: describe(error), retryInMs: delay }, 'reconcile failed');
      this.schedule(work, delay);
    } finally {
      timer();
    }
  }

  private async reconcile(work: Work, reports: Report[]): Promise<void> {
    const { cluster, clock, log } = this.options;
    const guard = await cluster.getGuard(work.ref);
    if (!guard) {
      this.forget(work);
      return;
    }
    if (guard.deleting) {
      const handed = guard.finalizers.includes(FINALIZER)
        ? await handBackGuard(this.options, work.ref, work.key, guard)
        : 'done';
      if (handed === 'done') this.forget(work);
      else work.pending = true; // changed meanwhile: read it again
      return;
    }
    if (!guard.finalizers.includes(FINALIZER)) {
      // Before anything is taken over, so a deletion always hands back first.
      const written = await cluster.setFinalizer(guard, FINALIZER, true);
      if (written === null) {
        work.pending = true; // changed or gone meanwhile: read it again
        work.reports.unshift(...reports);
        return;
      }
      guard.resourceVersion = written;
      guard.finalizers = [...guard.finalizers, FINALIZER];
    }
    const resolved = await resolveGuardPolicy(cluster, guard, this.options.platform.current());
    this.deployments.index(work, guard);
    const recheck = guard.annotations[RECHECK_ANNOTATION] ?? '';
    if (work.recheckSeen !== undefined && recheck !== work.recheckSeen) {
      reports.push({ kind: 'approvalRecheck' });
    }
    const observed = await observeGuard(this.options, work, guard, resolved);
    work.exposed = (observed.exposedBy?.length ?? 0) + (observed.canaryRoutes?.length ?? 0) > 0;
    if (work.reflexPending && !reports.some(isLeak)) {
      // A leak overtook this pass, and the reflex may have scaled the candidate down under
      // its reads: deciding on them would scale it up again, or record the rejection
      // without its evidence. Start over with the leak.
      work.reports.unshift(...reports);
      work.pending = true;
      return;
    }
    const now = clock();
    const output = decide({
      now,
      guard: {
        name: guard.name,
        generation: guard.generation,
        spec: guard.spec,
        ...(guard.status && { status: guard.status }),
      },
      observed,
      reports,
      policyProblems: resolved.problems,
      ...(resolved.policy && { policyDigest: policyDigest(resolved.policy) }),
      ...(this.options.admission && { admission: this.options.admission.current() }),
    });
    const leakInPass = reports.some(isLeak);
    if (leakInPass) work.reflexPending = false;
    await runActions(output.actions, {
      ...this.options,
      guard,
      ref: work.ref,
      resolved,
      onRevert: (why) => this.reverted(work, why),
      // What the operator itself last wrote to -stable: a later change by anyone else
      // shows as another generation, and decide() repairs it (see hold.ts).
      onStableWritten: (generation) => {
        if (generation === undefined) delete output.status.stableGeneration;
        else output.status.stableGeneration = generation;
        // At once, not at the pass's end: the write's own watch event is not foreign.
        work.stableGeneration = generation;
      },
      onDecision: (event) =>
        this.options.notifier?.decided({
          guard,
          event,
          ...(guard.status && { before: guard.status }),
          status: output.status,
          ...(observed.target && { target: observed.target.template }),
          now,
        }),
    });
    if (work.podsDirty) {
      work.podsDirty = false;
      try {
        await guardPods(cluster, guard, output.status, log);
      } catch (error) {
        work.podsDirty = true;
        throw error;
      }
    }
    if (!sameStatus(guard.status, output.status)) {
      const written = await cluster.writeStatus(guard, output.status);
      if (written === null) {
        this.forget(work);
        return;
      }
      if (written === STATUS_CHANGED) {
        // Another decision landed first: decide again on it, with this pass's reports.
        log.info({ guard: work.key }, 'status changed meanwhile: deciding again');
        work.reports.unshift(...reports);
        work.pending = true;
        return;
      }
    }
    work.recheckSeen = recheck;
    work.stableGeneration = output.status.stableGeneration;
    // A leak decide() saw but answered without a revert (on stable, or stale): stop timing it.
    if (reports.some(isLeak) && !work.reports.some(isLeak)) work.leakAt = undefined;
    const approval = output.status.candidate ? output.status.approval?.outcome : undefined;
    if (work.phase !== output.status.phase || work.approval !== approval) {
      if (work.phase !== output.status.phase) {
        log.info(
          { guard: work.key, phase: output.status.phase, message: output.status.message },
          'phase',
        );
      }
      work.phase = output.status.phase;
      work.approval = approval;
      this.countPhases();
    }
    let after = output.requeueAfterMs;
    if (resolved.problems.length > 0)
      after = Math.min(after ?? EXTERNAL_RETRY_MS, EXTERNAL_RETRY_MS);
    if (after === undefined) clearTimeout(work.timer);
    else this.schedule(work, after);
  }

  /** A revert the API server accepted, answering a leak that arrived at `leakAt`. */
  private reverted(work: Work, why: 'candidate' | 'restore'): void {
    const { metrics, log } = this.options;
    // Not answering a leak: a zero that decide() keeps in place, or the reflex's again.
    if (work.leakAt === undefined) return;
    metrics.reverts.inc({ why });
    const seconds = (performance.now() - work.leakAt) / 1000;
    metrics.revertSeconds.observe(seconds);
    log.info({ guard: work.key, why, revertMs: Math.round(seconds * 1000) }, 'reverted');
    work.leakAt = undefined;
  }

  private schedule(work: Work, ms: number): void {
    clearTimeout(work.timer);
    if (this.stopped) return;
    work.timer = setTimeout(() => this.trigger(work.ref, true), Math.max(0, ms));
    work.timer.unref?.();
  }

  /** The guard is gone: its probe stops, its timers too, and its bookkeeping goes. */
  private forget(work: Work): void {
    this.options.probes.forget(work.ref);
    clearTimeout(work.timer);
    this.deployments.unindex(work);
    work.reports = [];
    work.pending = false;
    work.forgotten = true;
    if (this.works.get(work.key) === work) this.works.delete(work.key);
    this.countPhases();
  }

  /** The gauges by phase and by the gate's answer, from every guard known now. */
  private countPhases(): void {
    const works = [...this.works.values()];
    this.options.metrics.setPhases(works.flatMap((w) => (w.phase ? [w.phase] : [])));
    this.options.metrics.setApprovals(works.flatMap((w) => (w.approval ? [w.approval] : [])));
  }
}
