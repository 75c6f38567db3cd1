import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { ProbeSpec } from '../policy/schema.ts';
import type { ResolvedProbe } from '../policy/secrets.ts';
import { type ProbeConfig, probeConfig } from '../probe/config.ts';
import { runProbe } from '../probe/run.ts';
import type { ReleaseGuardSpec } from '../release/schema.ts';
import type { ProbeMode, ProbeReport, ProbeTarget } from '../release/state.ts';
import { candidateUrl } from './allow-lists.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { GuardPolicy } from './policy.ts';
import type { GuardRef } from './ports.ts';
import { runTargets } from './probe-run.ts';
import { describeError as describe, guardKey } from './refs.ts';
import type { ServiceUrl } from './service-url.ts';
import { FairSlots } from './slots.ts';

/**
 * Runs the probes decide() asks for, one probe per guard, and reports back. A leak is
 * reported the moment runProbe's onLeak fires; progress at most once a second; the end of
 * a run once. Reports of a probe that was stopped or replaced are dropped here, so a
 * stale "inconclusive" can never reach decide() under the current probe's name.
 */

export interface ProbeStart {
  target: ProbeTarget;
  mode: ProbeMode;
  templateHash: string;
  /** Pause between guard runs. */
  intervalMs?: number;
}

/** What a guard's probes are built from, resolved by the reconciler's pass. */
export interface ProbeSetup {
  spec: ReleaseGuardSpec;
  probe: ProbeSpec;
  resolved: ResolvedProbe;
  /** What the platform allows this guard's probes. */
  allowed: NonNullable<GuardPolicy['allowed']>;
}

export interface ProbeManagerOptions {
  report: (ref: GuardRef, report: ProbeReport) => void;
  serviceUrl: ServiceUrl;
  log: Logger;
  metrics?: OperatorMetrics;
  /** Guard runs between releases: a small budget at low concurrency. */
  guardLoad?: { requests: number; concurrency: number };
  /** Guard runs going at once, across all guards; the rest wait their turn (see slots.ts). */
  guardRunsAtOnce?: number;
  /** Replaceable for tests; built from guardRunsAtOnce otherwise. */
  guardSlots?: FairSlots;
  /** Replaceable for tests. */
  run?: typeof runProbe;
}

/** Pause between back-to-back bake runs. */
const BAKE_PAUSE_MS = 250;
/** A canary run that ended inconclusive is retried after 1 s, 2 s, 4 s ... up to a minute. */
const RETRY_MS = { first: 1_000, max: 60_000 };
const DEFAULT_GUARD_LOAD = { requests: 100, concurrency: 2 };
/**
 * Guard runs start at a random point of their first interval (at most this far in), so
 * an operator starting with a thousand guards does not probe them all in the same second.
 */
const GUARD_STAGGER_MAX_MS = 30_000;
/**
 * Canary and bake runs decide releases and never wait; guard runs only watch stable, so a
 * thousand guards take turns instead of holding a thousand sets of connections at once.
 * The turns are fair across namespaces (slots.ts): slow targets in one cannot starve
 * the guards of the others.
 */
const DEFAULT_GUARD_RUNS_AT_ONCE = 16;

interface ActiveProbe {
  ref: GuardRef;
  key: string;
  start: ProbeStart;
  setup: ProbeSetup;
  stopped: boolean;
  /** A canary run is one run: once it ended, no probe is running for decide(). */
  finished: boolean;
  /** The run found a leak through the edge URL (which serves stable, not the candidate). */
  edgeLeak?: boolean;
  /** Aborts the current run(s) and any pause. */
  abort: AbortController;
  done: Promise<void>;
}

export class ProbeManager {
  private readonly options: ProbeManagerOptions;
  private readonly active = new Map<string, ActiveProbe>();
  /** Inconclusive canary runs in a row, by guard, for the template they were about. */
  private readonly retries = new Map<string, { what: string; count: number }>();
  private readonly guardSlots: FairSlots;

  constructor(options: ProbeManagerOptions) {
    this.options = options;
    this.guardSlots =
      options.guardSlots ?? new FairSlots(options.guardRunsAtOnce ?? DEFAULT_GUARD_RUNS_AT_ONCE);
  }

  /** Replaces whatever probe the guard had. */
  start(ref: GuardRef, start: ProbeStart, setup: ProbeSetup): void {
    this.stop(ref);
    const key = guardKey(ref);
    const probe: ActiveProbe = {
      ref,
      key,
      start,
      setup,
      stopped: false,
      finished: false,
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    this.active.set(key, probe);
    probe.done = this.loop(probe).catch((error) => {
      this.options.log.error({ guard: key, err: describe(error) }, 'probe loop failed');
    });
  }

  stop(ref: GuardRef): void {
    const key = guardKey(ref);
    const probe = this.active.get(key);
    if (!probe) return;
    this.active.delete(key);
    probe.stopped = true;
    probe.abort.abort();
  }

  /** The guard is gone: stop its probe and drop what is kept about it. */
  forget(ref: GuardRef): void {
    this.stop(ref);
    this.retries.delete(guardKey(ref));
  }

  current(ref: GuardRef): { target: ProbeTarget; mode: ProbeMode; templateHash: string } | null {
    const probe = this.active.get(guardKey(ref));
    if (!probe || probe.finished) return null;
    const { target, mode, templateHash } = probe.start;
    return { target, mode, templateHash };
  }

  /** Stops every probe and waits until their runs have wound down. */
  async stopAll(): Promise<void> {
    const probes = [...this.active.values()];
    for (const probe of probes) this.stop(probe.ref);
    await Promise.all(probes.map((p) => p.done));
  }

  private async loop(probe: ActiveProbe): Promise<void> {
    const { mode } = probe.start;
    const what = `${mode}/${probe.start.target}/${probe.start.templateHash}`;
    const retry = this.retries.get(probe.key);
    if (mode === 'canary' && retry?.what === what) {
      await pause(Math.min(RETRY_MS.max, RETRY_MS.first * 2 ** (retry.count - 1)), probe);
    }
    if (mode === 'guard') {
      const interval = probe.start.intervalMs ?? 300_000;
      await pause(Math.random() * Math.min(interval, GUARD_STAGGER_MAX_MS), probe);
    }
    while (!probe.stopped) {
      const { report, preempted } = await this.runInTurn(probe);
      if (probe.stopped) return;
      // Cut short to give its slot to another namespace: no verdict, so it queues again.
      if (preempted) continue;
      if (mode === 'canary' && (report || probe.edgeLeak)) {
        // Ended without a verdict on the candidate (inconclusive, or a leak through the
        // edge, which serves stable): decide() asks again, after a growing pause.
        probe.finished = true;
        if (probe.edgeLeak || report?.outcome === 'inconclusive') {
          const count = retry?.what === what ? retry.count + 1 : 1;
          this.retries.set(probe.key, { what, count });
        } else this.retries.delete(probe.key);
      }
      if (report) this.deliver(probe, report);
      // A canary run is one run. A leak while baking ends the bake (stable is restored).
      // A guard keeps watching after a leak on stable: there is nothing to revert, and the
      // next run tells whether the leak is still there.
      if (mode === 'canary' || (mode === 'bake' && !report)) return;
      await pause(mode === 'guard' ? (probe.start.intervalMs ?? 300_000) : BAKE_PAUSE_MS, probe);
    }
  }

  /**
   * Guard runs wait for a slot, and stop when it is taken back for another namespace
   * (`preempted`); canary and bake runs start at once.
   */
  private async runInTurn(
    probe: ActiveProbe,
  ): Promise<{ report: ProbeReport | null; preempted?: boolean }> {
    if (probe.start.mode !== 'guard') return { report: await this.runOnce(probe) };
    const holder = { key: probe.key, group: probe.ref.namespace };
    const grant = await this.guardSlots.acquire(holder, probe.abort.signal);
    if (!grant) return { report: null };
    try {
      const report = await this.runOnce(probe, grant.revoked);
      if (!grant.revoked.aborted || probe.stopped) return { report };
      this.options.log.info(
        { guard: probe.key },
        'guard run stopped: its slot went to a guard of another namespace; it waits for its turn again',
      );
      return { report: null, preempted: true };
    } finally {
      grant.release();
    }
  }

  private deliver(probe: ActiveProbe, report: ProbeReport): void {
    if (probe.stopped || this.active.get(probe.key) !== probe) return;
    if (report.outcome !== 'running') {
      this.options.metrics?.probeRuns.inc({ mode: probe.start.mode, outcome: report.outcome });
    }
    if (report.outcome === 'leak' && report.via === 'edge') probe.edgeLeak = true;
    this.options.report(probe.ref, report);
  }

  private targets(probe: ActiveProbe): { url: string; edge: boolean }[] {
    const { spec, allowed } = probe.setup;
    const { namespace, name } = probe.ref;
    const port = spec.service.port;
    // Candidate probes go through <name>-canary, which selects the candidate's pods: a
    // target may add a path to it, and replace it only where the platform allows.
    const service =
      probe.start.target === 'candidate'
        ? candidateUrl(
            this.options.serviceUrl({ namespace, name: `${name}-canary`, port }),
            spec.probe.target,
            allowed.targetOverride,
          )
        : this.options.serviceUrl({ namespace, name, port });
    const urls = [{ url: service, edge: false }];
    if (spec.probe.edgeURL) urls.push({ url: spec.probe.edgeURL, edge: true });
    return urls;
  }

  private configFor(probe: ActiveProbe, target: string): ProbeConfig {
    const { probe: spec, resolved, allowed } = probe.setup;
    const addresses = allowed.addresses;
    if (probe.start.mode !== 'guard') return probeConfig(spec, resolved, { target, addresses });
    const low = this.options.guardLoad ?? DEFAULT_GUARD_LOAD;
    return probeConfig(spec, resolved, {
      target,
      addresses,
      requests: Math.min(spec.load.requests, low.requests),
      concurrency: Math.min(spec.load.concurrency, low.concurrency),
    });
  }

  /** One run against the Service, and the edge when set; null when stopped or leaked. */
  private runOnce(probe: ActiveProbe, revoked?: AbortSignal): Promise<ProbeReport | null> {
    const { start, setup } = probe;
    const runId = `${start.mode}-${start.templateHash.slice(0, 8)}-${randomUUID().slice(0, 8)}`;
    const targets = this.targets(probe).map(({ url, edge }) => {
      try {
        return { url, edge, config: this.configFor(probe, url) };
      } catch (error) {
        return { url, edge, error: describe(error) };
      }
    });
    return runTargets({
      base: {
        kind: 'probe',
        target: start.target,
        mode: start.mode,
        templateHash: start.templateHash,
        runId,
        maxLeakRate: setup.probe.pass.maxLeakRate,
      },
      targets,
      confidence: setup.probe.pass.confidence,
      runner: this.options.run ?? runProbe,
      log: this.options.log.child({ guard: probe.key, runId }),
      signal: revoked ? AbortSignal.any([probe.abort.signal, revoked]) : probe.abort.signal,
      deliver: (report) => this.deliver(probe, report),
      onRequests: (sent, failed) => {
        const metrics = this.options.metrics;
        if (sent > 0) metrics?.probeRequests.inc({ mode: start.mode }, sent);
        if (failed > 0) metrics?.probeFailures.inc({ mode: start.mode }, failed);
      },
      onLatency: (ms) =>
        this.options.metrics?.probeSeconds.observe({ mode: start.mode }, ms / 1000),
    });
  }
}

/** Waits, or returns early when the probe is stopped. */
function pause(ms: number, probe: ActiveProbe): Promise<void> {
  if (probe.stopped) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      probe.abort.signal.removeEventListener('abort', done);
      resolve();
    }
    probe.abort.signal.addEventListener('abort', done, { once: true });
  });
}
