import { App, Octokit } from 'octokit';
import { waitOutGraphqlLimits } from './graphql-limits.ts';
import { type GitHubObserver, rateLimitFigures } from './observe.ts';
import { ownLimiters, spaceMutations } from './pacing.ts';
import { retryAfterRateLimit } from './rate-limit.ts';

/** No way to authenticate to GitHub was given: a setup mistake, not a gate decision. */
export class GitHubAuthError extends Error {
  override name = 'GitHubAuthError';
}

export interface GitHubOptions {
  /** A personal access token or the workflow's GITHUB_TOKEN. */
  token?: string;
  /** A GitHub App installation; its tokens are fetched and refreshed as needed. */
  app?: { appId: string; privateKey: string; installationId: number };
  /** The REST API root; GitHub Enterprise Server has its own. */
  baseUrl?: string;
  /**
   * Retry and throttling; tests turn them off so failures surface at once. Default: on,
   * unless the environment says VAKT_GITHUB_RETRIES=0.
   */
  retries?: boolean;
  /** How long one request may take before it counts as failed. */
  timeoutMs?: number;
  /** Where octokit's own warnings go; by default nowhere, so stderr keeps one clear line. */
  log?: OctokitLog;
  /** Sends the requests instead of the global fetch (the demo answers from a recording). */
  fetch?: typeof fetch;
  /** Told of every answer and rate limit (the operator's metrics). */
  observer?: GitHubObserver;
}

/** The logger shape octokit calls (a pino logger fits). */
export interface OctokitLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const SILENT: OctokitLog = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * plugin-retry's own list plus 429. A 429 is a rate limit: retrying it on the retry
 * plugin's fixed backoff would ignore GitHub's retry-after, so only the throttling
 * handlers below decide about it. 403 stays in the list for the same reason.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * An authenticated octokit. Async because a GitHub App needs its installation resolved;
 * that goes through octokit's own `App` so no undeclared package is imported.
 */
export async function createGitHub(options: GitHubOptions): Promise<Octokit> {
  const { token, app } = options;
  if (!token && !app) {
    throw new GitHubAuthError(
      'no GitHub credentials: pass a token (e.g. GITHUB_TOKEN) or a GitHub App id, private key and installation id',
    );
  }
  const Configured = configuredOctokit(options);
  if (token) return paced(new Configured({ auth: token }), options);
  const { appId, privateKey, installationId } = app as NonNullable<GitHubOptions['app']>;
  const github = new App({ appId, privateKey, Octokit: Configured });
  return paced(await github.getInstallationOctokit(installationId), options);
}

export interface GitHubAppOptions extends Omit<GitHubOptions, 'token' | 'app'> {
  appId: string;
  privateKey: string;
  webhookSecret: string;
}

/** A GitHub App that answers webhooks for many installations (`vakt app`). */
export interface GitHubApp {
  /** Checks `X-Hub-Signature-256` against the raw body, in constant time. */
  verify(body: string, signature: string): Promise<boolean>;
  /**
   * The octokit of one installation, made once and kept: its tokens live in the App's
   * cache, fetched when first needed and fetched again before they expire.
   */
  installation(installationId: number): Promise<Octokit>;
}

/** Installations kept; past this the oldest octokit is dropped (its token stays cached). */
const MAX_INSTALLATIONS = 1000;

export function createGitHubApp(options: GitHubAppOptions): GitHubApp {
  const github = new App({
    appId: options.appId,
    privateKey: options.privateKey,
    webhooks: { secret: options.webhookSecret },
    Octokit: configuredOctokit(options),
    log: options.log ?? SILENT,
  });
  const octokits = new Map<number, Promise<Octokit>>();
  return {
    async verify(body, signature) {
      try {
        return await github.webhooks.verify(body, signature);
      } catch {
        // A signature of the wrong shape is no signature.
        return false;
      }
    },
    installation(installationId) {
      let octokit = octokits.get(installationId);
      if (!octokit) {
        octokit = github.getInstallationOctokit(installationId).then((o) => paced(o, options));
        // A failure is not kept: the next webhook tries again.
        octokit.catch(() => octokits.delete(installationId));
        if (octokits.size >= MAX_INSTALLATIONS) {
          const [oldest] = octokits.keys();
          if (oldest !== undefined) octokits.delete(oldest);
        }
        octokits.set(installationId, octokit);
      }
      return octokit;
    },
  };
}

/** The Octokit class every client is made from: timeouts, retries, throttling, no logs. */
function configuredOctokit(options: Omit<GitHubOptions, 'token' | 'app'>): typeof Octokit {
  const retries = options.retries ?? process.env.VAKT_GITHUB_RETRIES !== '0';
  const observer = options.observer;
  const waitOrNot = (kind: 'primary' | 'secondary', after: number, count: number) => {
    const waits = retryAfterRateLimit(after, count);
    observer?.rateLimited(kind, waits);
    return waits;
  };
  return Octokit.defaults({
    baseUrl: options.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com',
    request: {
      fetch: timedFetch(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.fetch, observer),
    },
    log: options.log ?? SILENT,
    // Off in tests only: then failures surface at once.
    retry: retries ? { doNotRetry: DO_NOT_RETRY } : { enabled: false },
    throttle: retries
      ? {
          // This client's limiters, and GraphQL queries unpaced: see pacing.ts.
          ...ownLimiters(),
          // Replaces octokit's handlers, which wait until the quota resets, up to an hour.
          onRateLimit: (after: number, _o: unknown, _k: unknown, count: number) =>
            waitOrNot('primary', after, count),
          onSecondaryRateLimit: (after: number, _o: unknown, _k: unknown, count: number) =>
            waitOrNot('secondary', after, count),
        }
      : { enabled: false },
  });
}

function paced(
  octokit: Octokit,
  options: { retries?: boolean; observer?: GitHubObserver },
): Octokit {
  if (options.retries ?? process.env.VAKT_GITHUB_RETRIES !== '0') {
    spaceMutations(octokit);
    waitOutGraphqlLimits(octokit, undefined, options.observer);
  }
  return octokit;
}

/**
 * fetch has no timeout of its own: a hung connection would hold the gate forever. The
 * clock starts when the request goes out, not when it is queued: the throttling plugin
 * may hold a request back for seconds when many decisions run at once. Each attempt
 * (retries included) gets its own clock.
 */
function timedFetch(ms: number, send?: typeof fetch, observer?: GitHubObserver): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    // The global is looked up per request, so whatever stands in for it then is used.
    const answer = (send ?? fetch)(input, { ...init, signal });
    if (!observer) return answer;
    return answer.then(
      (response) => {
        observer.answered(response.status, rateLimitFigures(response.headers));
        return response;
      },
      (error: unknown) => {
        observer.answered('error');
        throw error;
      },
    );
  };
}

/** Counts the HTTP requests an octokit sends from now on (retries included). */
export function countRequests(octokit: Octokit): { readonly count: number } {
  const counter = { count: 0 };
  octokit.hook.before('request', () => {
    counter.count += 1;
  });
  return counter;
}
