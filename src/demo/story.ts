import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { runProbe } from '../probe/run.ts';
import type { LeakEvidence, ProbeCounters, ProbeVerdict } from '../probe/types.ts';
import { gateText } from '../report/gate-text.ts';
import { FLAWS, type FlawName, REAL_CUSTOMERS, type Shop, startShop } from '../shop/index.ts';
import { storyChecks } from './checks.ts';
import { FIXTURES, gateDecision } from './gate.ts';
import { loadDemoProbe } from './probe-setup.ts';
import { ROUTE_HEADER, type Router, startRouter, type Withdrawal } from './router.ts';
import { startTraffic } from './traffic.ts';
import type { CanaryOutcome, DemoResult, EventKind, Revert, TimelineEvent } from './types.ts';

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
  const emit = (
    kind: EventKind,
    title: string,
    extra: Partial<Omit<TimelineEvent, 'kind' | 'title'>> = {},
  ) => {
    const event: TimelineEvent = { atMs: since(performance.now()), kind, title, ...extra };
    events.push(event);
    options.onEvent?.(event);
  };

  const probe = await loadDemoProbe();
  const shops = new Map<string, Shop>();
  const stable = await startShop({ version: 'v1' });
  shops.set('v1', stable);
  let router: Router | undefined;
  let traffic: ReturnType<typeof startTraffic> | undefined;
  try {
    router = await startRouter({ label: 'v1', url: stable.url });
    const live = router;
    traffic = startTraffic({
      target: live.url,
      customers: REAL_CUSTOMERS,
      ratePerSecond: options.trafficRate ?? 50,
    });
    emit('start', `stable release v1 serving real customers through the router on ${live.url}`, {
      release: 'v1',
      detail: [
        `customers: ${REAL_CUSTOMERS.map((c) => c.name).join(', ')}, ${options.trafficRate ?? 50} requests/s`,
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

    const canary = async (release: string, flaw: FlawName | null): Promise<CanaryOutcome> => {
      const shop = await startShop({ version: release, ...(flaw && { flaw }) });
      shops.set(release, shop);
      live.setCandidate({ label: release, url: shop.url });
      emit(
        'canary',
        `${release} starts as a canary that only probe traffic reaches${flaw ? ` (a "performance" change: ${flaw})` : ''}`,
        { release, ...(flaw && { detail: [FLAWS[flaw].summary] }) },
      );
      let withdrawal: Withdrawal | undefined;
      let detectedAt = 0;
      const config = probe.config(live.url, live.probeHeader, {
        durationMs: options.probeBudgetMs ?? 20_000,
      });
      const verdict = await runProbe(config, {
        onProgress: (c, ms) => options.onProgress?.(release, c, ms),
        onLeak: () => {
          // The revert, at once and synchronously: the next request no longer reaches it.
          detectedAt = performance.now();
          withdrawal = live.withdraw();
        },
      });
      const outcome: CanaryOutcome = {
        release,
        flaw,
        verdict,
        routed: { real: 0, probe: 0 },
        realUsersSeenByCandidate: 0,
      };
      if (verdict.leak && withdrawal) {
        const leak = verdict.leak;
        const reaction = reactionOf(leak, withdrawal, detectedAt, live);
        emit('leak', `probe caught a cross-tenant leak in ${release}: ${leak.summary}`, {
          release,
          atMs: since(detectedAt),
          detail: leakLines(leak),
        });
        emit(
          'withdraw',
          `router withdrew ${release}, ${reaction.reactionMs} ms after the leaking response passed it`,
          {
            release,
            atMs: since(withdrawal.at),
          },
        );
        await shop.close();
        const stopped = performance.now();
        emit('stop', `candidate ${release} stopped`, { release });
        outcome.revert = {
          ...reaction,
          stopMs: round(stopped - withdrawal.at),
          probeRequests: leak.request.number,
          withdrawnAtMs: since(withdrawal.at),
        };
      } else if (verdict.outcome !== 'pass') {
        live.withdraw();
        await shop.close();
        emit('problem', `${release} did not pass the probe: ${verdict.reason}`, {
          release,
          ok: false,
        });
      } else {
        emit('pass', `${release} passes the probe: ${verdict.reason}`, { release });
      }
      outcome.routed = live.counts(release);
      outcome.realUsersSeenByCandidate = REAL_CUSTOMERS.reduce(
        (n, c) => n + (shop.stats.byUser.get(c.name) ?? 0),
        0,
      );
      if (verdict.leak) {
        emit(
          'exposure',
          `real-user requests that reached ${release}: ${outcome.routed.real} (router), ${outcome.realUsersSeenByCandidate} (${release}'s own count)`,
          {
            release,
            ok: outcome.routed.real === 0 && outcome.realUsersSeenByCandidate === 0,
            detail: [`probe requests that reached ${release}: ${outcome.routed.probe}`],
          },
        );
      }
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
        `bake on ${release} with real traffic flowing: ${bake.outcome === 'leak' ? 'LEAK' : `no leak in ${bake.counters.checked} probe requests`}`,
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

    const trafficStats = await traffic.stop();
    traffic = undefined;
    const realByRelease = Object.fromEntries(
      ['v1', 'v2', 'v3'].map((label) => [label, live.counts(label).real]),
    );
    emit(
      'traffic',
      `real customers: ${trafficStats.ok} of ${trafficStats.sent} requests answered with their own data`,
      {
        ok: trafficStats.wrongData === 0 && trafficStats.failed === 0,
        detail: [
          `served by release: ${Object.entries(realByRelease)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
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

/**
 * The revert's reaction time. Measured: from the moment the router received the leaking
 * response from the candidate (and passed it on to the probe) to the moment the router took
 * the candidate out of its routing table, both performance.now() in this process. It covers
 * the response's way to the probe, reading and scanning it, judging it a leak, and the
 * withdrawal. If the evidence lacks the router's response id, the start is the moment the
 * probe had found the leak (shorter; marked 'probe').
 */
function reactionOf(
  leak: LeakEvidence,
  withdrawal: Withdrawal,
  detectedAt: number,
  router: Router,
): Pick<Revert, 'reactionMs' | 'measuredFrom' | 'detectToWithdrawMs'> {
  const routeId = leak.headers[ROUTE_HEADER];
  const seen = routeId ? router.responseSeenAt(routeId) : undefined;
  const detectToWithdrawMs = round(withdrawal.at - detectedAt);
  if (seen === undefined)
    return { reactionMs: detectToWithdrawMs, measuredFrom: 'probe', detectToWithdrawMs };
  return { reactionMs: round(withdrawal.at - seen), measuredFrom: 'router', detectToWithdrawMs };
}

function leakLines(leak: LeakEvidence): string[] {
  const r = leak.request;
  const lines = [
    `request #${r.number} as ${r.tenant}: ${r.method} ${r.path} (${r.pattern}), HTTP ${leak.status}`,
  ];
  if (leak.expectedIdentity !== undefined)
    lines.push(`expected identity ${leak.expectedIdentity}, got ${leak.observedIdentity}`);
  if (leak.owner) lines.push(`the data belonged to ${leak.owner}`);
  return lines;
}
