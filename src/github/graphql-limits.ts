import type { Octokit } from 'octokit';
import type { GitHubObserver } from './observe.ts';
import { retryAfterRateLimit } from './rate-limit.ts';

/**
 * GraphQL rate limits that @octokit/plugin-throttling (11.x) lets through. GitHub answers
 * a spent GraphQL quota with a 200 whose errors carry `type: "RATE_LIMITED"` or, in newer
 * answers, `type: "RATE_LIMIT"` (code graphql_rate_limit), without always setting
 * x-ratelimit-remaining to 0. The plugin knows only RATE_LIMITED, and only on a path that
 * starts with /graphql, while GitHub Enterprise Server serves GraphQL at /api/graphql. So
 * both ended as an immediate "undecided" where a short wait would have decided.
 *
 * This wrapper sits outside the plugin and sees only what the plugin passed on as a
 * success, so it never retries what the plugin already retried: status 403 and 429, and
 * RATE_LIMITED on github.com, stay the plugin's. The same limits apply to both.
 */

/** Whether a request goes to the GraphQL endpoint: `/graphql`, or `/api/graphql` on GHES. */
export function isGraphqlPath(url: string | undefined): boolean {
  const path = new URL(url ?? '/', 'http://github.test').pathname;
  return path === '/graphql' || path.endsWith('/api/graphql');
}

type Headers = Record<string, string | number | undefined>;

const LIMIT_TYPES: readonly string[] = ['RATE_LIMITED', 'RATE_LIMIT'];

/** Whether a GraphQL answer's errors say the rate limit was hit. */
export function isGraphqlRateLimit(data: unknown): boolean {
  const errors = (data as { errors?: unknown } | null | undefined)?.errors;
  if (!Array.isArray(errors)) return false;
  return errors.some((e) => LIMIT_TYPES.includes((e as { type?: unknown } | null)?.type as string));
}

/**
 * Seconds GitHub asks to wait: retry-after if given, else until x-ratelimit-reset (plus a
 * second, as GitHub advises). Undefined when it names no time: nothing to wait for.
 */
export function graphqlRetryAfter(headers: Headers, nowMs: number): number | undefined {
  const after = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(after) && after >= 0) return after;
  const reset = Number(headers['x-ratelimit-reset']);
  if (headers['x-ratelimit-reset'] !== undefined && Number.isFinite(reset) && reset > 0) {
    return Math.max(Math.ceil(reset - nowMs / 1000) + 1, 0);
  }
  return undefined;
}

export interface Waiting {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const REAL: Waiting = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
};

/** Retries a GraphQL answer that reports a rate limit, within MAX_RATE_LIMIT_WAIT_S. */
export function waitOutGraphqlLimits(
  octokit: Octokit,
  waiting: Waiting = REAL,
  observer?: GitHubObserver,
): void {
  octokit.hook.wrap('request', async (request, options) => {
    if (!isGraphqlPath(options.url)) return request(options);
    for (let retries = 0; ; retries++) {
      const response = await request(options);
      if (!isGraphqlRateLimit(response.data)) return response;
      const after = graphqlRetryAfter(response.headers as Headers, waiting.now());
      const waits = after !== undefined && retryAfterRateLimit(after, retries);
      observer?.rateLimited('graphql', waits);
      // Handed on as it came: the GraphQL client turns it into an error fetch-errors explains.
      if (after === undefined || !waits) return response;
      await waiting.sleep(after * 1000);
    }
  });
}
