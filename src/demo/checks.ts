import type { ProbeVerdict } from '../probe/types.ts';
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
    check(
      'v2 withdrawn and stopped',
      v2?.revert !== undefined,
      v2?.revert
        ? `${v2.revert.reactionMs} ms from the leaking response to withdrawal`
        : 'not reverted',
    );
    check(
      'no real-user request reached v2',
      v2 !== undefined && v2.routed.real === 0 && v2.realUsersSeenByCandidate === 0,
      v2
        ? `router sent ${v2.routed.real} real-user requests to v2 (and ${v2.routed.probe} probe requests); v2 served ${v2.realUsersSeenByCandidate} real customers' requests`
        : 'v2 never ran',
    );
    check(
      'v3 (the fix) passes the probe',
      v3?.verdict.outcome === 'pass',
      v3 ? v3.verdict.reason : 'v3 never ran',
    );
  } else {
    check(
      'clean v2 passes the probe',
      v2?.verdict.outcome === 'pass',
      v2 ? v2.verdict.reason : 'v2 never ran',
    );
  }

  const expected = r.flaw === null ? 'v2' : 'v3';
  const realToPromoted = r.realByRelease[expected] ?? 0;
  check(
    `${expected} promoted and serving real users`,
    r.promoted === expected && realToPromoted > 0,
    r.promoted
      ? `${r.promoted} promoted; ${realToPromoted} real-user requests served by it`
      : 'nothing promoted',
  );
  check(
    'bake: no leak after promotion',
    r.bake !== undefined && bakeOk(r.bake),
    r.bake ? r.bake.reason : 'no bake run',
  );
  const t = r.traffic;
  check(
    'real customers only ever saw their own data',
    t.sent > 0 && t.wrongData === 0 && t.failed === 0 && t.ok === t.sent,
    `${t.ok} of ${t.sent} requests answered with their own data, ${t.wrongData} with someone else's, ${t.failed} failed`,
  );
  return checks;
}

/** A bake passes unless it found a leak or failures; a short bake may be too short to bound. */
function bakeOk(v: ProbeVerdict): boolean {
  if (v.outcome === 'pass') return true;
  return v.outcome === 'inconclusive' && v.counters.failed === 0 && v.counters.checked > 0;
}
