import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Octokit } from 'octokit';
import { isGraphqlPath } from './graphql-limits.ts';

/**
 * How one client paces its requests. GitHub's guidance against secondary rate limits:
 * pause at least a second between requests that change something (POST, PATCH, PUT,
 * DELETE, GraphQL mutations), keep concurrency low, and mind the points per minute
 * (a GraphQL query costs 1 point of 2,000, a mutation 5).
 *
 * @octokit/plugin-throttling (11.x) gets two things wrong for the gate:
 * - its limiters live in module-level Bottleneck groups keyed by `throttle.id`, default
 *   "no-id", so every octokit in the process shares them and one decision waits behind
 *   another's requests (the operator decides for many guards in one process);
 * - it cannot tell a GraphQL query from a mutation, so it sends every GraphQL request
 *   through its "write" group: one at a time, a second apart. A gate decision is two
 *   read-only queries, so each cost at least a second of waiting for nothing.
 * So each client gets its own id, the plugin's write group lets requests straight
 * through, and spaceMutations() paces what really writes. The plugin keeps doing the
 * rest: at most 10 requests at a time per client, and the rate limit handlers.
 */

/** GitHub asks for at least a second between requests that change something. */
export const MUTATION_GAP_MS = 1000;

type ThrottleOptions = NonNullable<
  NonNullable<ConstructorParameters<typeof Octokit>[0]>['throttle']
>;
type WriteGroup = NonNullable<ThrottleOptions['write']>;

/** The plugin's options that make its limiters this client's own. */
export function ownLimiters(): { id: string; write: WriteGroup } {
  // The plugin only ever calls write.key(id).schedule(options, job): run the job at once.
  const unpaced = { key: () => ({ schedule: <T>(_options: unknown, job: () => T) => job() }) };
  return { id: `vakt-${randomUUID()}`, write: unpaced as unknown as WriteGroup };
}

/** The clock pacing waits on; tests pass one they move themselves. */
export interface PacingClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const REAL_CLOCK: PacingClock = {
  // Monotonic: a wall clock set back would stretch a gap, set forward would skip it.
  now: () => performance.now(),
  sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
};

/**
 * Runs this client's mutations one at a time, each starting at least MUTATION_GAP_MS
 * after the one before; reads pass untouched. Retries happen inside a mutation's turn.
 */
export function spaceMutations(
  octokit: Octokit,
  gapMs = MUTATION_GAP_MS,
  clock: PacingClock = REAL_CLOCK,
): void {
  let previous: Promise<unknown> = Promise.resolve();
  let lastStart = Number.NEGATIVE_INFINITY;
  octokit.hook.wrap('request', (request, options) => {
    if (!isMutation(options)) return request(options);
    const turn = previous.then(async () => {
      const wait = lastStart + gapMs - clock.now();
      if (wait > 0) await clock.sleep(wait);
      lastStart = clock.now();
      return request(options);
    });
    previous = turn.catch(() => undefined);
    return turn;
  });
}

/** Whether a request changes something on GitHub, as GitHub counts it for pacing. */
export function isMutation(options: { method?: string; url?: string; query?: unknown }): boolean {
  const method = (options.method ?? 'GET').toUpperCase();
  if (['GET', 'HEAD', 'OPTIONS'].includes(method)) return false;
  const path = new URL(options.url ?? '/', 'http://github.test').pathname;
  // GitHub Enterprise Server answers GraphQL at /api/graphql.
  if (isGraphqlPath(options.url)) {
    // A document with a mutation operation; a false alarm only costs a second.
    return typeof options.query === 'string' && /^\s*mutation\b/m.test(options.query);
  }
  // Fetching an App installation token is authentication, not a change to pace.
  return !/\/access_tokens$|^\/applications\/[^/]+\/token|^\/login\/oauth\//.test(path);
}
