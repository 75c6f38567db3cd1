import { z } from 'zod';

/**
 * What a webhook asks `vakt app` to do, read from GitHub's payload. Pure: the signature is
 * checked before this runs, and nothing here talks to GitHub. Only the fields vakt uses
 * are read, each checked: a payload without them is refused, never half-acted on.
 */

/** Re-evaluate the gate for one pull request and post the check run on its head. */
export interface PullRequestWork {
  kind: 'pull-request';
  installationId: number;
  owner: string;
  repo: string;
  pullNumber: number;
  /** The head the event names; the check goes on the head the gate read, if it read one. */
  headSha: string;
  /** The branch the policy is read from: the pull request's base, never its head. */
  baseRef: string;
  /** Whose policy says which other bases are guarded (see pull-request-check.ts). */
  defaultBranch: string;
}

/** Approve or reject one environment of a workflow run (a custom deployment protection rule). */
export interface DeploymentWork {
  kind: 'deployment';
  installationId: number;
  owner: string;
  repo: string;
  /** The policy is read from here: the deployed commit is what is being judged. */
  defaultBranch: string;
  runId: number;
  environment: string;
  sha: string;
  /** The image the deployment's payload names (`payload.image`), if any, as given. */
  image?: string;
}

export type Work = PullRequestWork | DeploymentWork;

export type ParsedEvent =
  /** `work` is empty when the event needs nothing done; `what` says what it was. */
  { ok: true; work: Work[]; what: string } | { ok: false; reason: string };

/** The events `vakt app` subscribes to (see docs/github-app.md). */
export const EVENTS = [
  'pull_request',
  'pull_request_review',
  'check_suite',
  'check_run',
  'deployment_protection_rule',
  'ping',
] as const;

/** The name of the check run vakt posts, the same as its commit status. */
export const CHECK_NAME = 'vakt/two-person';

const Sha = z.string().regex(/^[0-9a-f]{40}$/, { message: 'expected a 40-digit commit SHA' });
const Name = z.string().min(1);
const Installation = z.looseObject({ id: z.number().int().positive() });
const Repository = z.looseObject({
  id: z.number().int(),
  name: Name,
  owner: z.looseObject({ login: Name }),
  default_branch: Name,
});

const PullRequest = z.looseObject({
  number: z.number().int().positive(),
  head: z.looseObject({ sha: Sha }),
  base: z.looseObject({ ref: Name }),
});

/** A pull request as check suites and check runs list them: the base repository may differ. */
const ListedPullRequest = PullRequest.extend({
  base: z.looseObject({ ref: Name, repo: z.looseObject({ id: z.number().int() }) }),
});

const Common = { installation: Installation, repository: Repository };

const PullRequestEvent = z.looseObject({
  ...Common,
  action: Name,
  pull_request: PullRequest,
  changes: z.looseObject({ base: z.unknown().optional() }).optional(),
});

const ReviewEvent = z.looseObject({ ...Common, action: Name, pull_request: PullRequest });

const CheckSuiteEvent = z.looseObject({
  ...Common,
  action: Name,
  check_suite: z.looseObject({ head_sha: Sha, pull_requests: z.array(ListedPullRequest) }),
});

const CheckRunEvent = z.looseObject({
  ...Common,
  action: Name,
  check_run: z.looseObject({
    name: z.string(),
    head_sha: Sha,
    pull_requests: z.array(ListedPullRequest),
  }),
});

const ProtectionEvent = z.looseObject({
  ...Common,
  action: Name,
  environment: Name,
  deployment_callback_url: z.url({ protocol: /^https?$/ }),
  deployment: z.looseObject({
    sha: Sha,
    payload: z.union([z.record(z.string(), z.unknown()), z.string(), z.null()]).optional(),
  }),
});

/** Actions that can change the verdict; others (labels, assignees, titles) cannot. */
const PULL_REQUEST_ACTIONS = ['opened', 'reopened', 'synchronize', 'ready_for_review', 'edited'];
const REVIEW_ACTIONS = ['submitted', 'edited', 'dismissed'];

/** Reads a webhook whose signature matched. `event` is the X-GitHub-Event header. */
export function parseEvent(event: string, payload: unknown): ParsedEvent {
  switch (event) {
    case 'ping':
      return { ok: true, work: [], what: 'ping' };
    // Sent to every App, subscribed or not: acknowledged, nothing to do.
    case 'installation':
    case 'installation_repositories':
    case 'installation_target':
    case 'github_app_authorization': {
      const action = (payload as { action?: unknown } | null)?.action;
      return {
        ok: true,
        work: [],
        what: typeof action === 'string' ? `${event}.${action}` : event,
      };
    }
    case 'pull_request':
      return read(PullRequestEvent, payload, event, (p) => {
        if (!PULL_REQUEST_ACTIONS.includes(p.action)) return [];
        // An edit matters only when it moved the base: approvals before it no longer count.
        if (p.action === 'edited' && p.changes?.base === undefined) return [];
        return [pullRequestWork(p, p.pull_request)];
      });
    case 'pull_request_review':
      return read(ReviewEvent, payload, event, (p) =>
        REVIEW_ACTIONS.includes(p.action) ? [pullRequestWork(p, p.pull_request)] : [],
      );
    case 'check_suite':
      return read(CheckSuiteEvent, payload, event, (p) =>
        ['requested', 'rerequested'].includes(p.action)
          ? listed(p, p.check_suite.pull_requests, p.check_suite.head_sha)
          : [],
      );
    case 'check_run':
      return read(CheckRunEvent, payload, event, (p) =>
        p.action === 'rerequested' && p.check_run.name === CHECK_NAME
          ? listed(p, p.check_run.pull_requests, p.check_run.head_sha)
          : [],
      );
    case 'deployment_protection_rule':
      return readDeployment(payload);
    default:
      return {
        ok: false,
        reason: `event "${event}" is not one vakt app answers (${EVENTS.join(', ')})`,
      };
  }
}

type Base = z.infer<typeof PullRequestEvent>;

function read<S extends z.ZodType<{ action?: string }>>(
  schema: S,
  payload: unknown,
  event: string,
  work: (p: z.infer<S>) => Work[],
): ParsedEvent {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: `${event}: ${firstIssue(parsed.error)}` };
  const action = parsed.data.action;
  return { ok: true, work: work(parsed.data), what: action ? `${event}.${action}` : event };
}

function pullRequestWork(
  p: Pick<Base, 'installation' | 'repository'>,
  pr: { number: number; head: { sha: string }; base: { ref: string } },
): PullRequestWork {
  return {
    kind: 'pull-request',
    installationId: p.installation.id,
    owner: p.repository.owner.login,
    repo: p.repository.name,
    pullNumber: pr.number,
    headSha: pr.head.sha,
    baseRef: pr.base.ref,
    defaultBranch: p.repository.default_branch,
  };
}

/** Pull requests a check suite or run lists, into this repository only, on this head. */
function listed(
  p: Pick<Base, 'installation' | 'repository'>,
  pulls: z.infer<typeof ListedPullRequest>[],
  headSha: string,
): Work[] {
  return pulls
    .filter((pr) => pr.base.repo.id === p.repository.id && pr.head.sha === headSha)
    .map((pr) => pullRequestWork(p, pr));
}

const CALLBACK =
  /^\/(?:api\/v3\/)?repos\/([^/]+)\/([^/]+)\/actions\/runs\/([1-9][0-9]*)\/deployment_protection_rule$/;

function readDeployment(payload: unknown): ParsedEvent {
  const event = 'deployment_protection_rule';
  const parsed = ProtectionEvent.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: `${event}: ${firstIssue(parsed.error)}` };
  const p = parsed.data;
  const what = `${event}.${p.action}`;
  if (p.action !== 'requested') return { ok: true, work: [], what };
  // The run is named only in the callback URL; it must be this repository's.
  const match = CALLBACK.exec(new URL(p.deployment_callback_url).pathname);
  const owner = p.repository.owner.login;
  const repo = p.repository.name;
  const same = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase();
  if (!match || !same(match[1], owner) || !same(match[2], repo)) {
    return {
      ok: false,
      reason: `${event}: deployment_callback_url is not a workflow run of ${owner}/${repo}`,
    };
  }
  const image = imageOf(p.deployment.payload);
  const work: DeploymentWork = {
    kind: 'deployment',
    installationId: p.installation.id,
    owner,
    repo,
    defaultBranch: p.repository.default_branch,
    runId: Number(match[3]),
    environment: p.environment,
    sha: p.deployment.sha,
    ...(image !== undefined && { image }),
  };
  return { ok: true, work: [work], what };
}

/**
 * `payload.image` of the deployment: an object, or the JSON text of one (the REST API
 * stores either). A payload that is neither names no image.
 */
function imageOf(payload: unknown): string | undefined {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const image = (value as { image?: unknown } | null)?.image;
  if (image === undefined) return undefined;
  // Not a string is not a pinned image either: kept, so that it is refused, not ignored.
  return typeof image === 'string' ? image : JSON.stringify(image);
}

function firstIssue(error: z.ZodError): string {
  const [issue] = error.issues;
  if (!issue) return 'not a payload GitHub sends';
  const path = issue.path.join('.');
  const message = issue.message.replace(
    /^Invalid input: expected (\w+), received undefined$/,
    'missing, expected $1',
  );
  return `${path || 'payload'}: ${message}`;
}
