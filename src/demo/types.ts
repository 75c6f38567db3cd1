import type { ApprovalVerdict } from '../approval/verdict.ts';
import type { ProbeVerdict } from '../probe/types.ts';
import type { FlawName } from '../shop/index.ts';
import type { RouteCounts } from './router.ts';
import type { TrafficStats } from './traffic.ts';

/** What the demo produces: plain data, straight into JSON and the reports. */

export type EventKind =
  | 'start'
  | 'traffic'
  | 'gate'
  | 'canary'
  | 'leak'
  | 'withdraw'
  | 'stop'
  | 'exposure'
  | 'pass'
  | 'promote'
  | 'bake'
  | 'problem'
  | 'end';

export interface TimelineEvent {
  /** Milliseconds since the demo started. */
  atMs: number;
  kind: EventKind;
  /** The release concerned, e.g. v2. */
  release?: string;
  title: string;
  /** Further lines, plain text. */
  detail?: string[];
  /** false when this step did not go as it must. */
  ok?: boolean;
}

export interface Revert {
  /**
   * Milliseconds from the leaking response passing the router on its way out of the
   * candidate to the router withdrawing the candidate (see story.ts for the measurement).
   */
  reactionMs: number;
  /** Where the start of reactionMs was taken: at the router (normal) or at the probe. */
  measuredFrom: 'router' | 'probe';
  /** Milliseconds from the probe having the leaking response in hand to the withdrawal. */
  detectToWithdrawMs: number;
  /** Milliseconds from the withdrawal to the candidate's server being closed. */
  stopMs: number;
  /** Probe requests sent up to and including the one that found the leak. */
  probeRequests: number;
  /** When the withdrawal happened, in milliseconds since the demo started. */
  withdrawnAtMs: number;
}

export interface CanaryOutcome {
  release: string;
  flaw: FlawName | null;
  verdict: ProbeVerdict;
  revert?: Revert;
  /** Requests the router sent to this release while it was a candidate. */
  routed: RouteCounts;
  /** Personal requests by real customers the candidate itself served (its own count). */
  realUsersSeenByCandidate: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DemoResult {
  flaw: FlawName | null;
  startedAt: string;
  durationMs: number;
  events: TimelineEvent[];
  gate: { oneApproval: ApprovalVerdict; twoApprovals: ApprovalVerdict };
  /** The leaking (or clean) v2, then the fix v3 when there is one. */
  canaries: CanaryOutcome[];
  promoted?: string;
  bake?: ProbeVerdict;
  traffic: TrafficStats;
  /** Real-user requests the router sent to each release. */
  realByRelease: Record<string, number>;
  checks: Check[];
  ok: boolean;
}
