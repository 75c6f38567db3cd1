import { isGraphqlRateLimit } from '../github/graphql-limits.ts';
import { resetTime } from '../github/rate-limit.ts';

/**
 * Reading facts from GitHub failed. The caller turns this into an 'undecided' verdict:
 * the gate never approves on data it could not read.
 */
export class GitHubFactsError extends Error {
  override name = 'GitHubFactsError';
}

interface HttpFailure {
  status?: number;
  message?: string;
  /** An octokit response; GraphqlResponseError keeps only the headers, beside it. */
  response?: { headers?: Headers; data?: unknown };
  headers?: Headers;
  errors?: { type?: string; message?: string }[];
}
type Headers = Record<string, string | number | undefined>;

/** Wraps any failure of a GitHub call into a GitHubFactsError that says why, for `what`. */
export function factsError(error: unknown, what: string): GitHubFactsError {
  if (error instanceof GitHubFactsError) return error;
  return new GitHubFactsError(redact(`${what}: ${describe(error)}`), { cause: error });
}

/**
 * Whether GitHub refused for a rate limit. The throttling handlers have already declined
 * to wait by then, so asking again another way would only spend more of the same quota.
 */
export function isRateLimited(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const failure = error as Error & HttpFailure;
  return rateLimit(failure, failure.response?.headers ?? failure.headers) !== undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return `unexpected failure: ${String(error)}`;
  const failure = error as Error & HttpFailure;
  const headers = failure.response?.headers ?? failure.headers;
  const limited = rateLimit(failure, headers);
  if (limited) return limited;
  if (error.name === 'GraphqlResponseError') {
    const messages = (failure.errors ?? []).map((e) => e.message ?? 'unknown error');
    return `GitHub's GraphQL API answered with errors: ${messages.join('; ')}`;
  }
  const cause = (error as { cause?: { name?: string } }).cause;
  if (error.name === 'TimeoutError' || cause?.name === 'TimeoutError') {
    return 'GitHub did not answer in time';
  }
  if (failure.response?.headers === undefined || failure.status === undefined) {
    // No HTTP answer at all: DNS, refused connection, TLS, reset.
    return `could not reach GitHub: ${failure.message ?? error.name}`;
  }
  if (failure.status === 401) return 'GitHub answered 401: the credentials were rejected';
  return `GitHub answered ${failure.status}`;
}

/**
 * The rate limit an error reports, if any. By the time an error gets here the throttling
 * handlers have already declined to wait (src/github/rate-limit.ts), so the sentence says
 * until when GitHub will refuse, for whoever retries by hand.
 */
function rateLimit(failure: HttpFailure, headers: Headers | undefined): string | undefined {
  // A GraphQL rate limit comes as a 200 whose errors say RATE_LIMITED or RATE_LIMIT.
  const body = failure.response?.data;
  const spent =
    String(headers?.['x-ratelimit-remaining']) === '0' ||
    isGraphqlRateLimit({ errors: failure.errors }) ||
    isGraphqlRateLimit(body);
  if (spent && (failure.status === undefined || [200, 403, 429].includes(failure.status))) {
    const reset = Number(headers?.['x-ratelimit-reset']);
    return Number.isFinite(reset) && reset > 0
      ? `GitHub rate limit exhausted until ${resetTime(reset)}`
      : 'GitHub rate limit exhausted';
  }
  if (failure.status === 429 || /secondary rate limit/i.test(failure.message ?? '')) {
    const wait = Number(headers?.['retry-after']);
    return Number.isFinite(wait) && wait > 0
      ? `GitHub secondary rate limit reached: it asked to wait ${wait} s`
      : 'GitHub secondary rate limit reached';
  }
  return undefined;
}

/** Tokens must never reach logs or PR comments, whatever an error message contains. */
function redact(text: string): string {
  return text
    .replace(/\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]+/g, '$1[redacted]')
    .replace(/\b(authorization:\s*(?:bearer|token))\s+\S+/gi, '$1 [redacted]');
}
