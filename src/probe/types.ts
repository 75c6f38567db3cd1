/** The data a probe run produces. Plain objects: they go straight into JSON reports. */

export type Outcome = 'pass' | 'leak' | 'inconclusive';

/** How a request was sent; each pattern triggers a different leak mechanism. */
export type Pattern = 'login' | 'interleaved' | 'cancel' | 'burst' | 'sustained';

export type LeakKind =
  | 'identity-mismatch' // the identity endpoint named another test tenant
  | 'unknown-identity' // ... or someone who is no tenant at all: a real customer
  | 'foreign-marker' // another tenant's marker in a body or header
  | 'foreign-credential' // another tenant's credential in a response
  | 'session-crossover' // a session issued to another tenant was handed out
  | 'served-to-anyone'; // a request with no credentials received a tenant's data

export interface RequestInfo {
  /** 1-based number of the request in the run, counting every request sent. */
  number: number;
  /** Who sent it: a tenant's name, or "(no credentials)". */
  tenant: string;
  method: string;
  path: string;
  pattern: Pattern;
  /** 'tenant': the tenant's own connection pool; 'shared': one pool for all, as a proxy multiplexes. */
  pool: 'tenant' | 'shared';
}

export interface MarkerMatch {
  /** The tenant the matched string belongs to. */
  owner: string;
  kind: 'marker' | 'identity' | 'credential';
  /** Index into the owner's markers list (kind 'marker' only). */
  index?: number;
  where: 'body' | 'header';
  header?: string;
  /** Byte offset in the body where the match ends. */
  offset?: number;
}

export interface LeakEvidence {
  kind: LeakKind;
  summary: string;
  request: RequestInfo;
  status: number;
  expectedIdentity?: string;
  observedIdentity?: string;
  /** The tenant whose data appeared, when it is a tenant. */
  owner?: string;
  match?: MarkerMatch;
  /** Headers that explain the leak (cache status, age, version); credentials removed. */
  headers: Record<string, string>;
  /** Milliseconds since the run started. */
  elapsedMs: number;
  latencyMs: number;
}

export interface ProbeWarning {
  kind: 'cache-risk' | 'capped-body' | 'undecodable-body' | 'decompression-bomb' | 'deadline-body';
  path: string;
  detail: string;
  count: number;
}

export interface PatternCounts {
  sent: number;
  checked: number;
}

/**
 * Every request sent ends in exactly one of checked, failed, cancelled, unchecked,
 * loginsAccepted, or the leak: sent is their sum, as reports show it.
 */
export interface ProbeCounters {
  /** Every request sent, logins and cancelled ones included. */
  sent: number;
  /** Responses read and checked in full (the samples behind the bound). */
  checked: number;
  /** Abandoned before the answer was read: on purpose, or in flight when the run stopped. */
  cancelled: number;
  /** Requests, logins included, that got no usable answer. */
  failed: number;
  /** Responses read only in part (cut at the cap or deadline, undecodable, a bomb): no samples. */
  unchecked: number;
  /** Requests sent with no credentials at all. */
  anonymous: number;
  /** Logins sent, whatever their outcome. */
  logins: number;
  /** Logins that gave the tenant a session. */
  loginsAccepted: number;
  byPattern: Partial<Record<Pattern, PatternCounts>>;
  byPool: { tenant: number; shared: number };
  bytesScanned: number;
}

/** Counters before the first request. */
export function noCounters(): ProbeCounters {
  return {
    sent: 0,
    checked: 0,
    cancelled: 0,
    failed: 0,
    unchecked: 0,
    anonymous: 0,
    logins: 0,
    loginsAccepted: 0,
    byPattern: {},
    byPool: { tenant: 0, shared: 0 },
    bytesScanned: 0,
  };
}

export interface ProbeVerdict {
  outcome: Outcome;
  reason: string;
  target: string;
  tenants: string[];
  startedAt: string;
  durationMs: number;
  counters: ProbeCounters;
  /** Upper bound on the leak rate at `confidence`; null when a leak was found. */
  leakRateBound: number | null;
  confidence: number;
  maxLeakRate: number;
  leak?: LeakEvidence;
  warnings: ProbeWarning[];
  /** The most frequent failures, e.g. "ECONNREFUSED" or "HTTP 503 on /api/me". */
  failures: { reason: string; count: number }[];
  latencyMs: { p50: number; p99: number; max: number };
  /** Protocols spoken with the target: http/1.1, h2 (negotiated over TLS). */
  protocols: string[];
  /** The revert command run at the leak (--on-leak), and how it ended. */
  onLeak?: {
    command: string;
    exitCode: number | null;
    signal: string | null;
    durationMs: number;
    /** How long it was allowed (--on-leak-timeout). */
    timeoutMs: number;
    /** It ran past timeoutMs and was stopped (signal says how). */
    timedOut?: boolean;
    /** It could not be started at all. */
    error?: string;
  };
}
