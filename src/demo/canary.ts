import { performance } from 'node:perf_hooks';
import { runProbe } from '../probe/run.ts';
import type { ProbeCounters } from '../probe/types.ts';
import { FLAWS, type FlawName, REAL_CUSTOMERS, type Shop, startShop } from '../shop/index.ts';
import { withLimit } from './checks.ts';
import { realExposed } from './exposure.ts';
import type { DemoProbe } from './probe-setup.ts';
import { type Emit, revertCandidate } from './revert.ts';
import type { Router, Withdrawal } from './router.ts';
import type { Traffic } from './traffic.ts';
import type { CanaryOutcome, Exposure, LeakingResponses } from './types.ts';

/**
 * One release as a canary: started next to stable, reachable by probe traffic only, probed,
 * and either reverted on the first leak or left in place for promotion. Afterwards three
 * witnesses that do not depend on each other say how many real-user requests reached it.
 */

/** What the test or caller may look at once a leaking candidate has been reverted. */
export interface RevertedCandidate {
  release: string;
  /** The stopped candidate's own address. */
  address: string;
  stable: string;
  routerUrl: string;
  probeHeader: { name: string; value: string };
}

export interface CanaryContext {
  router: Router;
  probe: DemoProbe;
  traffic: Traffic;
  /** Running shops by release; the canary's is added. */
  shops: Map<string, Shop>;
  emit: Emit;
  since: (at: number) => number;
  probeBudgetMs: number;
  onProgress?: (release: string, counters: ProbeCounters, elapsedMs: number) => void;
  onReverted?: (candidate: RevertedCandidate) => void | Promise<void>;
}

export async function runCanary(
  ctx: CanaryContext,
  release: string,
  flaw: FlawName | null,
): Promise<CanaryOutcome> {
  const { router, emit } = ctx;
  const shop = await startShop({ version: release, ...(flaw && { flaw }) });
  ctx.shops.set(release, shop);
  const stable = router.stable();
  router.setCandidate({ label: release, url: shop.url });
  const canaryAt = performance.now();
  emit(
    'canary',
    `${release} starts as a canary that only probe traffic reaches${flaw ? ` (a "performance" change: ${flaw})` : ''}`,
    { release, atMs: ctx.since(canaryAt), ...(flaw && { detail: [FLAWS[flaw].summary] }) },
  );

  let withdrawal: Withdrawal | undefined;
  let detectedAt = 0;
  const config = ctx.probe.config(router.url, router.probeHeader, {
    durationMs: ctx.probeBudgetMs,
  });
  const verdict = await runProbe(config, {
    onProgress: (c, ms) => ctx.onProgress?.(release, c, ms),
    onLeak: () => {
      // The revert starts here, synchronously: the next request no longer reaches the candidate.
      detectedAt = performance.now();
      withdrawal = router.withdraw();
    },
  });

  const outcome: CanaryOutcome = {
    release,
    flaw,
    verdict,
    routed: { real: 0, probe: 0 },
    exposure: { router: 0, candidate: 0, customers: 0 },
    leaking: { sent: 0, toRealCustomers: 0 },
  };
  if (verdict.leak && withdrawal) {
    outcome.revert = await revertCandidate({
      release,
      stable,
      shop,
      router,
      leak: verdict.leak,
      withdrawal,
      canaryAt,
      detectedAt,
      emit,
      since: ctx.since,
    });
    await ctx.onReverted?.({
      release,
      address: shop.url,
      stable,
      routerUrl: router.url,
      probeHeader: router.probeHeader,
    });
  } else if (verdict.outcome !== 'pass') {
    router.withdraw();
    await shop.close();
    emit('problem', `${release} did not pass the probe: ${verdict.reason}`, { release, ok: false });
  } else {
    emit('pass', `${release} passes the probe: ${withLimit(verdict)}`, { release });
  }

  outcome.routed = router.counts(release);
  outcome.exposure = exposureOf(release, outcome.routed.real, shop, ctx.traffic);
  outcome.leaking = leakingOf(shop);
  if (verdict.leak) emitExposure(emit, outcome);
  return outcome;
}

function exposureOf(release: string, routedReal: number, shop: Shop, traffic: Traffic): Exposure {
  return {
    router: routedReal,
    candidate: REAL_CUSTOMERS.reduce((n, c) => n + (shop.stats.byCredential.get(c.name) ?? 0), 0),
    customers: traffic.stats.byRelease[release] ?? 0,
  };
}

function leakingOf(shop: Shop): LeakingResponses {
  const { crossUser } = shop.stats;
  return {
    sent: crossUser.sent,
    toRealCustomers: REAL_CUSTOMERS.reduce(
      (n, c) => n + (crossUser.byCredential.get(c.name) ?? 0),
      0,
    ),
  };
}

function emitExposure(emit: Emit, outcome: CanaryOutcome): void {
  const { release, exposure, leaking } = outcome;
  emit(
    'exposure',
    `real-user requests that reached ${release}: ${realExposed(outcome)} (router ${exposure.router}, ${release}'s count by credential presented ${exposure.candidate}, customers' record of who answered them ${exposure.customers})`,
    {
      release,
      ok: realExposed(outcome) === 0,
      detail: [
        `probe requests that reached ${release}: ${outcome.routed.probe}`,
        `responses ${release} wrote with another account's data: ${leaking.sent}, to real customers: ${leaking.toRealCustomers}`,
      ],
    },
  );
}
