import { storyChecks } from '../../src/demo/checks.ts';
import { FIXTURES, gateDecision } from '../../src/demo/gate.ts';
import type { CanaryOutcome, DemoResult, TimelineEvent } from '../../src/demo/types.ts';
import type { ProbeVerdict } from '../../src/probe/types.ts';

/**
 * A demo run as data, shaped like a real one (times from a run of `vakt demo`): v1 serving,
 * v2 blocked then approved, caught leaking and withdrawn, v3 passing and promoted.
 */

export function verdict(
  outcome: ProbeVerdict['outcome'],
  more: Partial<ProbeVerdict> = {},
): ProbeVerdict {
  return {
    outcome,
    reason:
      outcome === 'pass'
        ? 'no leak in 3,015 samples: leak rate below 0.0994% at 95% confidence'
        : `${outcome}: something`,
    target: 'http://127.0.0.1:1',
    tenants: ['alice', 'bob'],
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 100,
    counters: {
      sent: 10,
      checked: 10,
      cancelled: 0,
      failed: 0,
      unchecked: 0,
      anonymous: 0,
      logins: 1,
      loginsAccepted: 1,
      byPattern: {},
      byPool: { tenant: 5, shared: 5 },
      bytesScanned: 100,
    },
    leakRateBound: outcome === 'pass' ? 0.00099 : null,
    confidence: 0.95,
    maxLeakRate: 0.001,
    warnings: [],
    failures: [],
    latencyMs: { p50: 1, p99: 2, max: 3 },
    protocols: ['http/1.1'],
    ...more,
  };
}

/** The events of a real run: ten of them in the first half second, ties among them. */
export function storyEvents(): TimelineEvent[] {
  const e = (
    atMs: number,
    kind: TimelineEvent['kind'],
    release: string | undefined,
    title: string,
  ) => ({ atMs, kind, ...(release && { release }), title }) as TimelineEvent;
  return [
    e(24.95, 'start', 'v1', 'stable release v1 serving real customers through the router'),
    e(349.86, 'gate', 'v2', 'v2 arrives with one approval: gate DENIED (needs 1 more approval)'),
    e(355.36, 'gate', 'v2', 'a second release manager approves: gate APPROVED'),
    e(356.08, 'canary', 'v2', 'v2 starts as a canary that only probe traffic reaches'),
    e(394.25, 'leak-sent', 'v2', "v2 wrote its first response with another account's data"),
    e(395.71, 'leak', 'v2', 'leak <script>alert(1)</script> | x'),
    e(395.74, 'withdraw', 'v2', 'router withdrew v2'),
    e(403.87, 'stop', 'v2', 'candidate v2 stopped'),
    e(409.69, 'exposure', 'v2', 'real-user requests that reached v2: 0'),
    e(410, 'canary', 'v3', 'v3 starts as a canary that only probe traffic reaches'),
    e(2023.7, 'pass', 'v3', 'v3 passes the probe'),
    e(2023.92, 'promote', 'v3', 'v3 promoted: real traffic moves to v3'),
    e(4028.06, 'bake', 'v3', 'bake on v3 with real traffic flowing'),
    e(
      4028.39,
      'traffic',
      undefined,
      'real customers: 100 of 100 requests answered with their own data',
    ),
    e(4028.64, 'end', undefined, 'the story went as it must'),
  ];
}

export async function demoResult(change: (r: DemoResult) => void = () => {}): Promise<DemoResult> {
  const leaking: CanaryOutcome = {
    release: 'v2',
    flaw: 'cache-without-user',
    verdict: verdict('leak'),
    revert: {
      reactionMs: 3.5,
      measuredFrom: 'candidate',
      windowMs: 20,
      detectToWithdrawMs: 0.03,
      stopMs: 2,
      probeRequests: 3,
      withdrawnAtMs: 395.74,
      firstLeakAtMs: 394.25,
      confirmed: {
        lastRoutedBeforeWithdrawalMs: 0.5,
        probeAfterwards: { routedTo: 'v1', answeredBy: 'v1' },
        address: '127.0.0.1:1',
        portRefused: true,
      },
    },
    routed: { real: 0, probe: 3 },
    exposure: { router: 0, candidate: 0, customers: 0 },
    leaking: { sent: 1, toRealCustomers: 0 },
  };
  const fix: CanaryOutcome = {
    release: 'v3',
    flaw: null,
    verdict: verdict('pass'),
    routed: { real: 0, probe: 3000 },
    exposure: { router: 0, candidate: 0, customers: 0 },
    leaking: { sent: 0, toRealCustomers: 0 },
  };
  const r: DemoResult = {
    flaw: 'cache-without-user',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 4028.67,
    events: storyEvents(),
    gate: {
      oneApproval: await gateDecision(FIXTURES.oneApproval),
      twoApprovals: await gateDecision(FIXTURES.twoApprovals),
    },
    canaries: [leaking, fix],
    promoted: 'v3',
    bake: verdict('pass'),
    traffic: {
      sent: 100,
      ok: 100,
      wrongData: 0,
      failed: 0,
      byCustomer: {},
      byRelease: { v1: 60, v3: 40 },
    },
    realByRelease: { v1: 60, v2: 0, v3: 40 },
    // v1 until the promotion at 2,024 ms, v3 after it.
    realRoutedAtMs: {
      v1: Array.from({ length: 60 }, (_, i) => 20 + i * 33.5),
      v2: [],
      v3: Array.from({ length: 40 }, (_, i) => 2030 + i * 50),
    },
    trafficWindowMs: { fromMs: 19.5, toMs: 4010 },
    checks: [],
    ok: true,
  };
  change(r);
  r.checks = storyChecks(r);
  r.ok = r.checks.every((c) => c.ok);
  return r;
}
