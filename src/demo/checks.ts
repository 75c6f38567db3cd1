import type { ProbeVerdict } from '../probe/types.ts';
import { formatRate } from '../report/numbers.ts';
import { realExposed } from './exposure.ts';
import type { Check, DemoResult } from './types.ts';

/**
 * What must have happened for the story to count as told: the gate blocked the release with
 * one approval and passed it with two; a leaking release was caught and withdrawn before any
 * real user reached it; a clean one was promoted; real customers only ever saw their own data.
 * Pure, so the exit code can be tested without servers.
 */
export function storyChecks(r: Omit<DemoResult, 'checks' | 'ok'>): Check[] {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const { oneApproval, twoApprovals } = r.gate;
  check(
    'gate blocks v2 with one approval',
    oneApproval.outcome === 'denied',
    `${oneApproval.outcome}: ${oneApproval.missing.join('; ') || 'nothing missing'}`,
  );
  check(
    'gate passes v2 with two approvals',
    twoApprovals.outcome === 'approved',
    `${twoApprovals.outcome}: counted ${twoApprovals.counted.map((c) => `@${c.login}`).join(', ') || 'nobody'}`,
  );

  const [v2, v3] = r.canaries;
  if (r.flaw !== null) {
    check(
      `probe catches ${r.flaw} in v2`,
      v2?.verdict.outcome === 'leak',
      v2 ? v2.verdict.reason : 'v2 never ran',
    );
    const confirmed = v2?.revert?.confirmed;
    const after = confirmed?.probeAfterwards;
    const lastRouted = confirmed?.lastRoutedBeforeWithdrawalMs;
    check(
      'v2 withdrawn: probe traffic no longer reaches it',
      after !== undefined &&
        after.routedTo !== 'v2' &&
        after.answeredBy !== 'v2' &&
        after.answeredBy !== 'nobody' &&
        (lastRouted ?? 0) >= 0,
      confirmed && after
        ? `a probe-marked request after the withdrawal was routed to ${after.routedTo || 'nowhere'} and answered by ${after.answeredBy}; the router last sent v2 a request ${lastRouted === null ? 'never' : `${lastRouted} ms before the withdrawal`}`
        : 'not reverted',
    );
    check(
      'v2 stopped: its address refuses connections',
      confirmed?.portRefused === true,
      confirmed
        ? `${confirmed.address} ${confirmed.portRefused ? 'refused' : 'accepted'} a connection after the stop`
        : 'not reverted',
    );
    // Three witnesses that do not depend on each other, and the customers' record at the end.
    const servedByV2 = r.traffic.byRelease.v2 ?? 0;
    check(
      'no real-user request reached v2',
      v2 !== undefined && realExposed(v2) === 0 && servedByV2 === 0,
      v2
        ? `router sent v2 ${v2.exposure.router} real-user requests (and ${v2.routed.probe} probe requests); v2 got ${v2.exposure.candidate} requests with a real customer's credential; customers got ${servedByV2} responses from v2; responses with another account's data written by v2: ${v2.leaking.sent}, to real customers: ${v2.leaking.toRealCustomers}`
        : 'v2 never ran',
    );
    check(
      'v3 (the fix) passes the probe',
      v3?.verdict.outcome === 'pass',
      v3 ? withLimit(v3.verdict) : 'v3 never ran',
    );
  } else {
    check(
      'clean v2 passes the probe',
      v2?.verdict.outcome === 'pass',
      v2 ? withLimit(v2.verdict) : 'v2 never ran',
    );
  }

  const expected = r.flaw === null ? 'v2' : 'v3';
  const realToPromoted = r.realByRelease[expected] ?? 0;
  const answeredByPromoted = r.traffic.byRelease[expected] ?? 0;
  check(
    `${expected} promoted and serving real users`,
    r.promoted === expected && realToPromoted > 0 && answeredByPromoted > 0,
    r.promoted
      ? `${r.promoted} promoted; the router sent it ${realToPromoted} real-user requests, customers got ${answeredByPromoted} responses from it`
      : 'nothing promoted',
  );
  check(
    'bake: no leak after promotion',
    r.bake !== undefined && bakeOk(r.bake),
    r.bake ? withLimit(r.bake) : 'no bake run',
  );
  const t = r.traffic;
  check(
    'real customers only ever saw their own data',
    t.sent > 0 && t.wrongData === 0 && t.failed === 0 && t.ok === t.sent,
    `${t.ok} of ${t.sent} requests answered with their own data, ${t.wrongData} with someone else's, ${t.failed} failed`,
  );
  return checks;
}

/** A probe verdict's reason, with the policy's limit beside the bound it was held to. */
export function withLimit(v: ProbeVerdict): string {
  return v.outcome === 'leak'
    ? v.reason
    : `${v.reason} (the policy's limit: ${formatRate(v.maxLeakRate)})`;
}

/** A bake passes unless it found a leak or failures; a short bake may be too short to bound. */
function bakeOk(v: ProbeVerdict): boolean {
  if (v.outcome === 'pass') return true;
  return v.outcome === 'inconclusive' && v.counters.failed === 0 && v.counters.checked > 0;
}
