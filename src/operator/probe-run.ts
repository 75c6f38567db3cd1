import type { Logger } from '../log.ts';
import type { ProbeConfig } from '../probe/config.ts';
import type { runProbe } from '../probe/run.ts';
import { leakRateUpperBound } from '../probe/stats.ts';
import {
  type LeakEvidence,
  noCounters,
  type ProbeCounters,
  type ProbeVerdict,
} from '../probe/types.ts';
import type { ProbeReport } from '../release/state.ts';
import { describeError as describe } from './refs.ts';

/**
 * One probe run against several URLs at once (the Service, and the edge when set), seen
 * by decide() as one run: counters add up, a leak on any URL is the leak and is delivered
 * the moment runProbe finds it, and the run passes only when every URL passed.
 */

export type ReportBase = Omit<ProbeReport, 'outcome' | 'counters' | 'leakRateBound'>;

export interface TargetsRun {
  base: ReportBase;
  /** A config per URL, or why none could be built; `edge` marks the edge URL. */
  targets: { url: string; edge?: boolean; config?: ProbeConfig; error?: string }[];
  confidence: number;
  runner: typeof runProbe;
  log: Logger;
  /** Aborts the run; its outcome is then not reported at all. */
  signal: AbortSignal;
  deliver: (report: ProbeReport) => void;
  /** Requests sent, and failed, since the last call, for the metrics. */
  onRequests: (sent: number, failed: number) => void;
  /** The latency of each clean sample, for the metric. */
  onLatency?: (ms: number) => void;
}

const PROGRESS_EVERY_MS = 1_000;

/** Returns the final report; null when aborted, or when the leak was delivered already. */
export async function runTargets(run: TargetsRun): Promise<ProbeReport | null> {
  const { base, targets, log, signal } = run;
  const counters: ProbeCounters[] = [];
  const state = { leak: false, progressAt: performance.now(), sent: 0, failed: 0 };
  const sum = () => ({
    sent: counters.reduce((n, c) => n + c.sent, 0),
    checked: counters.reduce((n, c) => n + c.checked, 0),
    failed: counters.reduce((n, c) => n + c.failed, 0),
  });
  const countRequests = () => {
    const { sent, failed } = sum();
    // Never backwards: a target whose run threw reports zeros in the end.
    if (sent > state.sent || failed > state.failed) {
      run.onRequests(Math.max(0, sent - state.sent), Math.max(0, failed - state.failed));
    }
    state.sent = Math.max(sent, state.sent);
    state.failed = Math.max(failed, state.failed);
  };
  const progress = () => {
    const now = performance.now();
    if (now - state.progressAt < PROGRESS_EVERY_MS) return;
    state.progressAt = now;
    const so = sum();
    run.deliver({
      ...base,
      outcome: 'running',
      counters: so,
      leakRateBound: leakRateUpperBound(so.checked, run.confidence),
    });
  };
  log.info(
    { mode: base.mode, target: base.target, urls: targets.map((t) => t.url) },
    'probe run starting',
  );

  // Ends every run of this probe: when the caller stops it, and at the first leak on any
  // target (the others' verdicts would only be discarded).
  const end = new AbortController();
  const endAll = () => end.abort();
  if (signal.aborted) endAll();
  else signal.addEventListener('abort', endAll, { once: true });
  const runs = targets.map(({ url, edge, config, error }, i) => {
    if (!config) return Promise.resolve(failed(url, error ?? 'no configuration', base));
    return run.runner(config, {
      log,
      signal: end.signal,
      ...(run.onLatency && { onLatency: run.onLatency }),
      onProgress: (live) => {
        counters[i] = live;
        if (!signal.aborted && !state.leak) progress();
        countRequests();
      },
      onLeak: (leak: LeakEvidence) => {
        if (state.leak || signal.aborted) return;
        state.leak = true;
        log.warn({ url, kind: leak.kind, summary: leak.summary }, 'leak: reporting at once');
        // The revert goes out first: ending this probe's other requests (aborting each,
        // closing sockets) is work the revert need not wait behind, nor the reverts of
        // other guards leaking at the same moment.
        setImmediate(endAll);
        run.deliver({
          ...base,
          outcome: 'leak',
          counters: sum(),
          leakRateBound: null,
          leak,
          via: edge ? 'edge' : 'service',
          reason: `leak on ${url}: ${leak.summary}`,
        });
      },
    });
  });
  const settled = await Promise.allSettled(runs);
  // The caller's signal lives as long as the guard's probe, across many runs: a listener
  // left on it would hold this run, and every run before it, for good.
  signal.removeEventListener('abort', endAll);
  const verdicts = settled.map((s, i) =>
    s.status === 'fulfilled' ? s.value : failed(targets[i]?.url ?? '', describe(s.reason), base),
  );
  verdicts.forEach((v, i) => {
    counters[i] = v.counters;
  });
  countRequests();
  if (signal.aborted || state.leak) return null;
  const leakedAt = verdicts.findIndex((v) => v.outcome === 'leak');
  const leaked = verdicts[leakedAt];
  if (leaked?.leak) {
    // onLeak always fires first; this covers a runner that did not call it.
    const via = targets[leakedAt]?.edge ? 'edge' : 'service';
    return {
      ...base,
      outcome: 'leak',
      counters: sum(),
      leakRateBound: null,
      leak: leaked.leak,
      via,
    };
  }
  const notPassed = verdicts.find((v) => v.outcome !== 'pass');
  const report: ProbeReport = {
    ...base,
    outcome: notPassed ? 'inconclusive' : 'pass',
    counters: sum(),
    leakRateBound: Math.max(...verdicts.map((v) => v.leakRateBound ?? 1)),
  };
  if (notPassed) {
    report.reason =
      targets.length > 1 ? `${notPassed.target}: ${notPassed.reason}` : notPassed.reason;
  }
  log.info(
    { outcome: report.outcome, reason: report.reason, counters: report.counters },
    'probe run ended',
  );
  return report;
}

/** The verdict of a URL that could not be probed at all. */
function failed(target: string, reason: string, base: ReportBase): ProbeVerdict {
  return {
    outcome: 'inconclusive',
    reason: `the probe could not run: ${reason}`,
    target,
    tenants: [],
    startedAt: new Date().toISOString(),
    durationMs: 0,
    counters: noCounters(),
    leakRateBound: 1,
    confidence: 0,
    maxLeakRate: base.maxLeakRate,
    warnings: [],
    failures: [],
    latencyMs: { p50: 0, p99: 0, max: 0 },
    protocols: [],
  };
}
