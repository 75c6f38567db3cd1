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
  | 'leak-sent'
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

/** What was seen after the revert, from outside the code that did it. */
export interface RevertConfirmation {
  /**
   * How long before the withdrawal the router last sent a request to the candidate
   * (negative: it still did afterwards); null if it never did.
   */
  lastRoutedBeforeWithdrawalMs: number | null;
  /** A request marked as probe traffic, sent after the withdrawal: where it went, who answered. */
  probeAfterwards: { routedTo: string; answeredBy: string };
  /** The stopped candidate's address, and whether it refused a connection afterwards. */
  address: string;
  portRefused: boolean;
}

export interface Revert {
  /**
   * Milliseconds from the candidate writing its first response that carried another
   * account's data (the shop's own record) to the router withdrawing the candidate.
   */
  reactionMs: number;
  /** 'candidate': as above; 'probe': the candidate kept no record, so from the probe finding it. */
  measuredFrom: 'candidate' | 'probe';
  /**
   * Milliseconds from the router first sending the candidate traffic (the canary start) to
   * the withdrawal: the whole time the release could have leaked to anyone.
   */
  windowMs: number;
  /** Milliseconds from the probe having the leaking response in hand to the withdrawal. */
  detectToWithdrawMs: number;
  /** Milliseconds from the withdrawal to the candidate's server being closed. */
  stopMs: number;
  /** Probe requests sent up to and including the one that found the leak. */
  probeRequests: number;
  /** When the withdrawal happened, in milliseconds since the demo started. */
  withdrawnAtMs: number;
  /** When the candidate wrote its first leaking response, in milliseconds since the demo started. */
  firstLeakAtMs?: number;
  confirmed: RevertConfirmation;
}

/**
 * Real-user requests that reached a release while it was a candidate, by three witnesses
 * that do not depend on each other.
 */
export interface Exposure {
  /** The router: real-user requests it sent to the release. */
  router: number;
  /** The candidate: personal requests that presented a real customer's credential. */
  candidate: number;
  /** The customers: responses they got that came from this release (X-Shop-Version). */
  customers: number;
}

/** The candidate's own record of responses that carried another account's data. */
export interface LeakingResponses {
  sent: number;
  /** Of those, sent to a real customer's credential (as opposed to a probe tenant's). */
  toRealCustomers: number;
}

export interface CanaryOutcome {
  release: string;
  flaw: FlawName | null;
  verdict: ProbeVerdict;
  revert?: Revert;
  /** Requests the router sent to this release while it was a candidate. */
  routed: RouteCounts;
  exposure: Exposure;
  leaking: LeakingResponses;
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
  /**
   * When the router sent each of those requests, in milliseconds since the demo started:
   * realByRelease[r] === realRoutedAtMs[r].length. The reports' traffic chart is drawn from it.
   */
  realRoutedAtMs: Record<string, number[]>;
  /** When the simulated customers started sending, and when they stopped. */
  trafficWindowMs: { fromMs: number; toMs: number };
  checks: Check[];
  ok: boolean;
}
