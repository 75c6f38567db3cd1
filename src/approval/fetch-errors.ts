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
  response?: { headers?: Record<string, string | number | undefined> };
  errors?: { message?: string }[];
}

/** Wraps any failure of a GitHub call into a GitHubFactsError that says why, for `what`. */
export function factsError(error: unknown, what: string): GitHubFactsError {
  if (error instanceof GitHubFactsError) return error;
  return new GitHubFactsError(redact(`${what}: ${describe(error)}`), { cause: error });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return `unexpected failure: ${String(error)}`;
  const failure = error as Error & HttpFailure;
  if (error.name === 'GraphqlResponseError') {
    const messages = (failure.errors ?? []).map((e) => e.message ?? 'unknown error');
    return `GitHub's GraphQL API answered with errors: ${messages.join('; ')}`;
  }
  const cause = (error as { cause?: { name?: string } }).cause;
  if (error.name === 'TimeoutError' || cause?.name === 'TimeoutError') {
    return 'GitHub did not answer in time';
  }
  const headers = failure.response?.headers;
  if (headers === undefined || failure.status === undefined) {
    // No HTTP answer at all: DNS, refused connection, TLS, reset.
    return `could not reach GitHub: ${failure.message ?? error.name}`;
  }
  const { status } = failure;
  if ((status === 403 || status === 429) && String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    const until = Number.isFinite(reset) ? ` (resets ${new Date(reset * 1000).toISOString()})` : '';
    return `GitHub rate limit reached${until}`;
  }
  if (status === 429 || /secondary rate limit/i.test(failure.message ?? '')) {
    return 'GitHub secondary rate limit reached';
  }
  if (status === 401) return 'GitHub answered 401: the credentials were rejected';
  return `GitHub answered ${status}`;
}

/** Tokens must never reach logs or PR comments, whatever an error message contains. */
function redact(text: string): string {
  return text
    .replace(/\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]+/g, '$1[redacted]')
    .replace(/\b(authorization:\s*(?:bearer|token))\s+\S+/gi, '$1 [redacted]');
}
