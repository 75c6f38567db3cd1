/**
 * What a GitHub client reports about its traffic, for the operator's metrics: every HTTP
 * answer (retries and token fetches included, as each reaches the network) and every rate
 * limit it met. Headers are read for GitHub's x-ratelimit-* figures only.
 */

/** The limit GitHub said was hit: REST primary, secondary (abuse), or GraphQL's own. */
export type RateLimitKind = 'primary' | 'secondary' | 'graphql';

export interface RateLimitFigures {
  /** x-ratelimit-resource: core, graphql, search ... */
  resource: string;
  limit: number;
  remaining: number;
}

export interface GitHubObserver {
  /** An HTTP answer with its status, or `error` when none came (refused, timed out). */
  answered(status: number | 'error', rateLimit?: RateLimitFigures): void;
  /** A rate limit was met; `waited` when the client waits it out and retries. */
  rateLimited(kind: RateLimitKind, waited: boolean): void;
}

/** The x-ratelimit-* figures of an answer; undefined when it carries none or they are bad. */
export function rateLimitFigures(headers: Headers): RateLimitFigures | undefined {
  const limit = Number(headers.get('x-ratelimit-limit') ?? Number.NaN);
  const remaining = Number(headers.get('x-ratelimit-remaining') ?? Number.NaN);
  if (!Number.isFinite(limit) || !Number.isFinite(remaining) || limit < 0 || remaining < 0) {
    return undefined;
  }
  // Only GitHub's own names: anything else would be an unbounded label value.
  const resource = headers.get('x-ratelimit-resource') ?? 'core';
  return { resource: /^[a-z_]{1,32}$/.test(resource) ? resource : 'other', limit, remaining };
}
