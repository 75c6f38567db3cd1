import type { NotifyEvent } from './config.ts';

/**
 * What a sink is told of one decision. The generic webhook receives exactly this as JSON
 * (docs/operator-notifications.md); Slack and Teams get a message rendered from it.
 * Fields are added, never renamed or removed, within one `schema` version.
 */

export const NOTIFICATION_SCHEMA = 'vakt.dev/notification/v1';

export interface Notification {
  schema: typeof NOTIFICATION_SCHEMA;
  /**
   * The same for every delivery of one decision, retries and a resend after a restart
   * included: a receiver that has seen it can drop it.
   */
  id: string;
  event: NotifyEvent;
  severity: 'warning' | 'info';
  /** When the operator decided (RFC 3339). */
  time: string;
  guard: { namespace: string; name: string };
  release: NotifiedRelease;
  /** The decision as its Kubernetes Event says it. */
  message: string;
  evidence: Evidence;
}

export interface NotifiedRelease {
  /** The pod template's hash: what the operator calls a release. */
  templateHash: string;
  /** The source commit, when the operator could tell it. */
  commit?: string;
  /** Every image the template runs (empty when the template is no longer known). */
  images: string[];
  /** Their digests, sha256:..., each once, sorted. */
  digests: string[];
}

/**
 * The figures behind the decision, as status keeps them: leak evidence has gone through
 * the probe's redaction (credentials, cookies and secret values removed), and no response
 * body is ever part of it.
 */
export interface Evidence {
  leak?: {
    kind: string;
    summary: string;
    /** The tenant that made the request, and so saw what came back. */
    tenant: string;
    /** The tenant whose data it saw, when it is a tenant. */
    owner?: string;
    expectedIdentity?: string;
    observedIdentity?: string;
    method: string;
    path: string;
    /** Which request of the run it was. */
    requestNumber: number;
    status: number;
    headers: Record<string, string>;
  };
  probe?: {
    runId: string;
    mode: string;
    target: string;
    sent: number;
    checked: number;
    failed: number;
    leakRateBound: number | null;
    maxLeakRate: number;
  };
  approval?: {
    outcome: string;
    approvers: string[];
    pullRequest?: number;
  };
  bake?: { passedRuns: number };
}
