import { createHash } from 'node:crypto';
import type { LeakKind, MarkerMatch } from './types.ts';

/**
 * The leak detector: a pure function from one observed response to findings.
 * No I/O, no clock: the run loop gathers the facts, this decides what they mean.
 */

/** What matcher pattern i stands for. */
export interface PatternOwner {
  tenant: number;
  kind: 'marker' | 'identity' | 'credential';
  /** Index in the tenant's markers list (kind 'marker'). */
  index?: number;
}

export interface DetectContext {
  tenants: readonly { name: string; identity: string }[];
  owners: readonly PatternOwner[];
}

export interface Observation {
  /** The tenant that sent the request (for an anonymous one: the count of tenants). */
  tenant: number;
  /** Sent with no credentials at all: any tenant's data in the answer was served to anyone. */
  anonymous?: boolean;
  status: number;
  /** Set for the identity endpoint: the value found at the JSON pointer, or why none was. */
  identity?: { value: string } | { missing: string };
  bodyHits: readonly { pattern: number; offset: number }[];
  headerHits: readonly { pattern: number; header: string }[];
  /** A session value handed to this tenant that was issued to another tenant. */
  crossover?: { owner: number; via: string };
  headers: Readonly<Record<string, string>>;
}

export interface LeakFinding {
  kind: LeakKind;
  summary: string;
  expectedIdentity?: string;
  observedIdentity?: string;
  owner?: string;
  match?: MarkerMatch;
}

export interface Detection {
  leak?: LeakFinding;
  /** Why the response could not be checked (it still was scanned for leaks). */
  failure?: string;
  /** A personal response a shared cache may store: a warning, not a leak. */
  cacheRisk?: string;
}

export function detect(obs: Observation, ctx: DetectContext): Detection {
  if (obs.anonymous) return detectAnonymous(obs, ctx);
  const me = ctx.tenants[obs.tenant];
  if (!me) throw new RangeError(`unknown tenant index ${obs.tenant}`);
  const result: Detection = {};
  const leak =
    identityLeak(obs, ctx, me) ?? crossoverLeak(obs, ctx, me) ?? markerLeak(obs, ctx, me);
  if (leak) result.leak = leak;
  if (obs.status < 200 || obs.status > 299) {
    result.failure = `HTTP ${obs.status}`;
  } else if (obs.identity && 'missing' in obs.identity) {
    result.failure = obs.identity.missing;
  }
  const personal = obs.identity !== undefined || ownsAnyHit(obs, ctx);
  if (personal && !leak) {
    const risk = cacheRisk(obs.headers);
    if (risk) result.cacheRisk = risk;
  }
  return result;
}

/**
 * A request with no credentials may be refused (401, 403) or answered publicly; either is
 * a clean sample. Any tenant's identity, marker, credential or session in the answer means
 * a cache or gateway hands personal data to anyone who asks.
 */
function detectAnonymous(obs: Observation, ctx: DetectContext): Detection {
  const result: Detection = {};
  if (obs.status >= 500) result.failure = `HTTP ${obs.status}`;
  const served = (owner: string, what: string, match?: MarkerMatch): LeakFinding => {
    const finding: LeakFinding = {
      kind: 'served-to-anyone',
      summary: `a request with no credentials received ${what}: served to anyone`,
      owner,
    };
    if (match) finding.match = match;
    return finding;
  };
  const observed = obs.identity && 'value' in obs.identity ? obs.identity.value : undefined;
  const named =
    observed === undefined
      ? undefined
      : ctx.tenants.find((t) => sameIdentity(t.identity, observed));
  if (named && observed !== undefined) {
    result.leak = {
      ...served(named.name, `the identity of ${named.name} (${observed})`),
      observedIdentity: observed,
    };
    return result;
  }
  if (obs.crossover) {
    const owner = ctx.tenants[obs.crossover.owner]?.name ?? `tenant ${obs.crossover.owner}`;
    result.leak = served(owner, `a session issued to ${owner} (${obs.crossover.via})`);
    return result;
  }
  const header = obs.headerHits[0];
  const body = obs.bodyHits[0];
  const first: { pattern: number; place: Place } | undefined = header
    ? { pattern: header.pattern, place: { where: 'header', header: header.header } }
    : body && { pattern: body.pattern, place: { where: 'body', offset: body.offset } };
  const owner = first && ctx.owners[first.pattern];
  if (first && owner) {
    const hit = describeHit(ctx, owner, first.place);
    result.leak = served(hit.ownerName, hit.text, hit.match);
  }
  return result;
}

function identityLeak(
  obs: Observation,
  ctx: DetectContext,
  me: { name: string; identity: string },
): LeakFinding | undefined {
  if (!obs.identity || !('value' in obs.identity)) return undefined;
  const observed = obs.identity.value;
  if (sameIdentity(observed, me.identity)) return undefined;
  const other = ctx.tenants.find((t) => sameIdentity(t.identity, observed));
  if (other) {
    return {
      kind: 'identity-mismatch',
      summary: `${me.name} asked who it is and was told ${other.name} (${observed})`,
      expectedIdentity: me.identity,
      observedIdentity: observed,
      owner: other.name,
    };
  }
  // Possibly a real customer's identifier: it goes into reports, logs, Events and commit
  // statuses (public on a public repository), so only its fingerprint does.
  const fingerprint = identityFingerprint(observed);
  return {
    kind: 'unknown-identity',
    summary: `${me.name} was answered as someone who is no test tenant (identity ${fingerprint}): possibly a real customer`,
    expectedIdentity: me.identity,
    observedIdentity: fingerprint,
  };
}

function crossoverLeak(
  obs: Observation,
  ctx: DetectContext,
  me: { name: string },
): LeakFinding | undefined {
  if (!obs.crossover || obs.crossover.owner === obs.tenant) return undefined;
  const owner = ctx.tenants[obs.crossover.owner]?.name ?? `tenant ${obs.crossover.owner}`;
  return {
    kind: 'session-crossover',
    summary: `${me.name} was handed a session issued to ${owner} (${obs.crossover.via})`,
    owner,
  };
}

function markerLeak(
  obs: Observation,
  ctx: DetectContext,
  me: { name: string },
): LeakFinding | undefined {
  const foreign = (pattern: number) => {
    const owner = ctx.owners[pattern];
    return owner && owner.tenant !== obs.tenant ? owner : undefined;
  };
  for (const hit of obs.headerHits) {
    const owner = foreign(hit.pattern);
    if (owner) return markerFinding(me, ctx, owner, { where: 'header', header: hit.header });
  }
  for (const hit of obs.bodyHits) {
    const owner = foreign(hit.pattern);
    if (owner) return markerFinding(me, ctx, owner, { where: 'body', offset: hit.offset });
  }
  return undefined;
}

type Place = { where: 'body' | 'header'; header?: string; offset?: number };

/** What a matched pattern is and where it was: "marker #1 of bob" in "the header x-user". */
function describeHit(ctx: DetectContext, owner: PatternOwner, place: Place) {
  const ownerName = ctx.tenants[owner.tenant]?.name ?? `tenant ${owner.tenant}`;
  const what =
    owner.kind === 'marker'
      ? `marker #${owner.index} of ${ownerName}`
      : owner.kind === 'identity'
        ? `the identity of ${ownerName}`
        : `a credential of ${ownerName}`;
  const where = place.where === 'header' ? `header ${place.header}` : 'body';
  const match: MarkerMatch = { owner: ownerName, kind: owner.kind, where: place.where };
  if (owner.index !== undefined) match.index = owner.index;
  if (place.header !== undefined) match.header = place.header;
  if (place.offset !== undefined) match.offset = place.offset;
  return { ownerName, text: `${what} in the ${where}`, match };
}

function markerFinding(
  me: { name: string },
  ctx: DetectContext,
  owner: PatternOwner,
  place: Place,
): LeakFinding {
  const hit = describeHit(ctx, owner, place);
  return {
    kind: owner.kind === 'credential' ? 'foreign-credential' : 'foreign-marker',
    summary: `${me.name} received ${hit.text}`,
    owner: hit.ownerName,
    match: hit.match,
  };
}

function ownsAnyHit(obs: Observation, ctx: DetectContext): boolean {
  const mine = (h: { pattern: number }) => ctx.owners[h.pattern]?.tenant === obs.tenant;
  return obs.bodyHits.some(mine) || obs.headerHits.some(mine);
}

/** Identities compare as strings, ignoring case and surrounding space (ids come as numbers too). */
function sameIdentity(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * Whether a shared cache (CDN, gateway, proxy) may keep this personal response and hand
 * it to someone else: the Klarna and Steam shape, before it turns into a leak.
 */
export function cacheRisk(headers: Readonly<Record<string, string>>): string | undefined {
  const cc = (headers['cache-control'] ?? '').toLowerCase();
  const directives = new Set(cc.split(',').map((d) => d.trim().split('=')[0]));
  const hitHeader = ['x-cache', 'cf-cache-status', 'x-cache-status', 'x-proxy-cache'].find((h) =>
    /\bhit\b/i.test(headers[h] ?? ''),
  );
  if (hitHeader) return `served from a shared cache (${hitHeader}: ${headers[hitHeader]})`;
  if (Number(headers.age) > 0) return `served from a shared cache (Age: ${headers.age})`;
  if (directives.has('no-store') || directives.has('private')) return undefined;
  if (directives.has('public')) return `Cache-Control: ${cc} lets shared caches store it`;
  if (directives.has('s-maxage')) return `Cache-Control: ${cc} lets shared caches store it`;
  if (!cc) return 'no Cache-Control: private or no-store; shared caches may store it';
  return `Cache-Control: ${cc} has neither private nor no-store`;
}

/**
 * Names an identity without showing it: whoever holds the customer records can hash an
 * identifier to find whose it was; nobody else learns anything.
 */
export function identityFingerprint(identity: string): string {
  return `sha256:${createHash('sha256').update(identity).digest('hex').slice(0, 12)}`;
}
