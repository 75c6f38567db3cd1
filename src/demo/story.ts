import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { runProbe } from '../probe/run.ts';
import type { ProbeCounters, ProbeVerdict } from '../probe/types.ts';
import { gateText } from '../report/gate-text.ts';
import { type FlawName, REAL_CUSTOMERS, type Shop, startShop } from '../shop/index.ts';
import { type CanaryContext, type RevertedCandidate, runCanary } from './canary.ts';
import { storyChecks } from './checks.ts';
import { FIXTURES, gateDecision } from './gate.ts';
import { loadDemoProbe } from './probe-setup.ts';
import type { Emit } from './revert.ts';
import { type Router, startRouter } from './router.ts';
import { startTraffic, type Traffic } from './traffic.ts';
import type { CanaryOutcome, DemoResult, TimelineEvent } from './types.ts';

/**
 * The demo's script: stable v1 serving real customers through a router; v2 blocked by the
 * gate, then approved; v2 as a probe-only canary, caught leaking and withdrawn; v3 passing,
 * promoted and baked. It prints nothing: every step is an event through `onEvent`.
 */

export interface StoryOptions {
  /** The flaw v2 ships with; null: v2 is clean (and is promoted itself). */
  flaw: FlawName | null;
  onEvent?: (event: TimelineEvent) => void;
  /** Probe counters while a probe runs, about every 250 ms. */
  onProgress?: (release: string, counters: ProbeCounters, elapsedMs: number) => void;
  /** Called once a leaking candidate is withdrawn and stopped, before the story goes on. */
  onReverted?: (candidate: RevertedCandidate) => void | Promise<void>;
  /** Real-user requests per second, all customers together. */
  trafficRate?: number;
  /** Real traffic on v1 alone before the release arrives. */
  warmupMs?: number;
  /** Probing after promotion. */
  bakeMs?: number;
  /** Time budget of one canary probe run. */
  probeBudgetMs?: number;
  /** Stop once v2 is caught and reverted (benchmarks): no fix, no promotion. */
  untilRevert?: boolean;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export async function runStory(options: StoryOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const since = (at: number) => round(at - t0);
  const events: TimelineEvent[] = [];
  const emit: Emit = (kind, title, extra = {}) => {
    const event: TimelineEvent = { atMs: since(performance.now()), kind, title, ...extra };
    events.push(event);
    options.onEvent?.(event);
  };
  const rate = options.trafficRate ?? 50;

  const probe = await loadDemoProbe();
  const shops = new Map<string, Shop>();
  const stable = await startShop({ version: 'v1' });
  shops.set('v1', stable);
  let router: Router | undefined;
  let traffic: Traffic | undefined;
  try {
    router = await startRouter({ label: 'v1', url: stable.url });
    const live = router;
    const trafficFromMs = since(performance.now());
    traffic = startTraffic({ target: live.url, customers: REAL_CUSTOMERS, ratePerSecond: rate });
    emit('start', `stable release v1 serving real customers through the router on ${live.url}`, {
      release: 'v1',
      detail: [
        `${REAL_CUSTOMERS.length} customers, each signed in to their own account (${REAL_CUSTOMERS.map((c) => c.name).join(', ')}): ${rate} requests/s in all, steady`,
        `probe traffic is told apart by the ${live.probeHeader.name} header set in the probe policy's headers`,
      ],
    });
    await sleep(options.warmupMs ?? 300);

    // 2. The two-person gate, fed recorded pull-request facts.
    const oneApproval = await gateDecision(FIXTURES.oneApproval);
    emit(
      'gate',
      `v2 arrives with one approval: gate ${oneApproval.outcome.toUpperCase()}${
        oneApproval.missing.length > 0 ? ` (${oneApproval.missing.join('; ')})` : ''
      }`,
      {
        release: 'v2',
        ok: oneApproval.outcome === 'denied',
        detail: gateText(oneApproval).trimEnd().split('\n'),
      },
    );
    const twoApprovals = await gateDecision(FIXTURES.twoApprovals);
    emit('gate', `a second release manager approves: gate ${twoApprovals.outcome.toUpperCase()}`, {
      release: 'v2',
      ok: twoApprovals.outcome === 'approved',
      detail: gateText(twoApprovals).trimEnd().split('\n'),
    });

    const canaries: CanaryOutcome[] = [];
    let promoted: string | undefined;
    let bake: ProbeVerdict | undefined;
    const ctx: CanaryContext = {
      router: live,
      probe,
      traffic,
      shops,
      emit,
      since,
      probeBudgetMs: options.probeBudgetMs ?? 20_000,
      ...(options.onProgress && { onProgress: options.onProgress }),
      ...(options.onReverted && { onReverted: options.onReverted }),
    };
    const canary = async (release: string, flaw: FlawName | null) => {
      const outcome = await runCanary(ctx, release, flaw);
      canaries.push(outcome);
      return outcome;
    };

    const promote = async (release: string) => {
      const former = live.promote();
      promoted = release;
      emit('promote', `${release} promoted: real traffic moves to ${release}`, { release });
      await live.drained(former.label);
      await shops.get(former.label)?.close();
      shops.delete(former.label);
      const config = probe.config(live.url, live.probeHeader, {
        durationMs: options.bakeMs ?? 2_000,
        requests: 1_000_000,
      });
      bake = await runProbe(config, {
        onProgress: (c, ms) => options.onProgress?.(`${release} bake`, c, ms),
      });
      emit(
        'bake',
        `bake on ${release} with real traffic flowing: ${bake.outcome === 'leak' ? 'LEAK' : `no leak in ${bake.counters.checked} samples (${bake.counters.sent} probe requests)`}`,
        { release, ok: bake.outcome !== 'leak' },
      );
    };

    // 3. The release under test.
    const v2 = await canary('v2', options.flaw);
    if (options.flaw === null) {
      if (v2.verdict.outcome === 'pass') await promote('v2');
    } else if (v2.revert && !options.untilRevert) {
      // 4. The fix.
      const v3 = await canary('v3', null);
      if (v3.verdict.outcome === 'pass') await promote('v3');
    }

    const trafficToMs = since(performance.now());
    const trafficStats = await traffic.stop();
    traffic = undefined;
    const releases = ['v1', 'v2', 'v3'];
    const realByRelease = Object.fromEntries(
      releases.map((label) => [label, live.counts(label).real]),
    );
    const realRoutedAtMs = Object.fromEntries(
      releases.map((label) => [label, live.realRoutedAt(label).map(since)]),
    );
    const answeredBy = Object.entries(trafficStats.byRelease)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    emit(
      'traffic',
      `real customers: ${trafficStats.ok} of ${trafficStats.sent} requests answered with their own data`,
      {
        ok: trafficStats.wrongData === 0 && trafficStats.failed === 0,
        detail: [
          `the router sent them to: ${Object.entries(realByRelease)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
          `their own record of which release answered (X-Shop-Version): ${answeredBy || 'none'}`,
        ],
      },
    );
    const partial = {
      flaw: options.flaw,
      startedAt,
      durationMs: 0,
      events,
      gate: { oneApproval, twoApprovals },
      canaries,
      ...(promoted !== undefined && { promoted }),
      ...(bake !== undefined && { bake }),
      traffic: trafficStats,
      realByRelease,
      realRoutedAtMs,
      trafficWindowMs: { fromMs: trafficFromMs, toMs: trafficToMs },
    };
    const checks = storyChecks(partial);
    const ok = checks.every((c) => c.ok);
    emit('end', ok ? 'the story went as it must' : 'the story did not go as it must', { ok });
    // Events are emitted as soon as known; a few carry the earlier moment they happened.
    events.sort((a, b) => a.atMs - b.atMs);
    return { ...partial, durationMs: since(performance.now()), checks, ok };
  } finally {
    await traffic?.stop();
    await router?.close();
    await Promise.all([...shops.values()].map((s) => s.close()));
  }
}
