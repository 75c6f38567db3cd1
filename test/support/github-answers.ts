/**
 * Answers the gate's GraphQL queries the way GitHub does, from a small description of
 * the world (who may write, who is in which team). Shared by the nock tests and the
 * loopback fake GitHub, so both fakes agree on GitHub's shapes.
 */

export interface GitHubWorld {
  /** The answer to the main pull request query. */
  pullRequest: unknown;
  /** Repository permission by login (lower case); absent: not a collaborator. */
  permissions: Record<string, 'read' | 'triage' | 'write' | 'maintain' | 'admin'>;
  /** Members by team ("org/slug"). */
  teams: Record<string, string[]>;
  /** Logins whose permission the token may not read (a FORBIDDEN error, as GitHub gives). */
  forbidden?: string[];
  /** Teams ("org/slug") the token may not read (a FORBIDDEN error, as a GitHub App gets). */
  forbiddenTeams?: string[];
}

/** A git identity as a commit names it; `login` is the account GitHub linked it to. */
export interface GitPerson {
  name: string;
  email: string;
  login?: string;
}

export function gitActor(p: GitPerson) {
  return { name: p.name, email: p.email, user: p.login ? { login: p.login } : null };
}

/** A person with an account, committing under their company address. */
export function staff(login: string): GitPerson {
  return { name: login, email: `${login.toLowerCase()}@acme.example`, login };
}

/**
 * A commit node as the gate's query gets it. GitHub builds `authors` from the git author
 * and the message's `Co-authored-by:` trailers, so both are derived from `coAuthors`
 * unless a test spells the message out itself.
 */
export function commitNode(c: {
  oid: string;
  author: GitPerson;
  committer?: GitPerson;
  coAuthors?: GitPerson[];
  message?: string;
}) {
  const coAuthors = c.coAuthors ?? [];
  const trailers = coAuthors.map((p) => `Co-authored-by: ${p.name} <${p.email}>`).join('\n');
  return {
    commit: {
      oid: c.oid,
      message: c.message ?? `Change the cart${trailers ? `\n\n${trailers}` : ''}`,
      authors: {
        totalCount: 1 + coAuthors.length,
        nodes: [c.author, ...coAuthors].map(gitActor),
      },
      committer: gitActor(c.committer ?? c.author),
    },
  };
}

/** The base branch's commit every fake pull request is compared against. */
export const BASE_SHA = '1d3f5a7b9c0e2f4a6b8c0d1e3f5a7b9c1d3e5f70';

/** A timeline entry for a force push to the pull request's branch, by `login`. */
export function forcePushNode(login: string, afterSha: string | null) {
  return {
    __typename: 'HeadRefForcePushedEvent',
    actor: { login },
    afterCommit: afterSha ? { oid: afterSha } : null,
  };
}

/** A timeline entry for the dismissal of review `reviewId`, by `login` (null: a deleted account). */
export function dismissalNode(login: string | null, reviewId: number, previousReviewState: string) {
  return {
    __typename: 'ReviewDismissedEvent',
    actor: login ? { login, __typename: 'User' } : null,
    review: { databaseId: reviewId },
    previousReviewState,
  };
}

/** A timeline entry for a retarget of the pull request from `from` to `to`, at `at`. */
export function baseRefChangedNode(at: string, from: string, to: string) {
  return {
    __typename: 'BaseRefChangedEvent',
    createdAt: at,
    previousRefName: from,
    currentRefName: to,
  };
}

/**
 * The answer with only the timeline items the query's `itemTypes` asks for, as GitHub
 * filters them: an event type the gate does not ask for never reaches it.
 */
export function timelineAsAsked<A extends { data: { repository: { pullRequest: unknown } } }>(
  query: string,
  answer: A,
): A {
  const copy = structuredClone(answer);
  const pr = copy.data.repository.pullRequest as {
    timelineItems: { totalCount: number; nodes: { __typename: string }[] };
  };
  const asked = /itemTypes: \[([A-Z_, ]*)\]/.exec(query)?.[1]?.split(/,\s*/) ?? [];
  const itemType = (typename: string) =>
    typename.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase();
  const nodes = pr.timelineItems.nodes.filter((n) => asked.includes(itemType(n.__typename)));
  pr.timelineItems = { ...pr.timelineItems, totalCount: nodes.length, nodes };
  return copy;
}

/**
 * A commit's `signature` as GitHub's GraphQL API gives it. GitHub signs every commit it
 * makes itself (merge, squash, rebase in the web interface) with web-flow's key.
 */
export function signatureOf(
  s: { by?: string; valid?: boolean; byGitHub?: boolean; state?: string } = {},
) {
  const byGitHub = s.byGitHub ?? (s.by === undefined || s.by === 'web-flow');
  const valid = s.valid ?? true;
  return {
    isValid: valid,
    state: s.state ?? (valid ? 'VALID' : 'INVALID'),
    wasSignedByGitHub: byGitHub,
    signer: { login: s.by ?? 'web-flow' },
  };
}

/** The head branch every fake pull request comes from, in the base repository itself. */
export const HEAD_REF = 'feature';

/**
 * One entry of the REST repository activity (GET /repos/{owner}/{repo}/activity), as
 * GitHub lists it: who moved which ref from which commit to which.
 */
export function activityNode(a: {
  login: string | null;
  after: string;
  before?: string;
  type?: 'push' | 'force_push' | 'branch_creation' | 'branch_deletion' | 'pr_merge';
  ref?: string;
  at?: string;
}) {
  return {
    id: 1_000_000 + Number.parseInt(a.after.slice(0, 6), 16),
    node_id: `RA_kwDOA${a.after.slice(0, 12)}`,
    before: a.before ?? '0000000000000000000000000000000000000000',
    after: a.after,
    ref: a.ref ?? `refs/heads/${HEAD_REF}`,
    timestamp: a.at ?? '2026-11-02T09:00:00Z',
    activity_type: a.type ?? 'push',
    actor: a.login === null ? null : simpleUser(a.login),
  };
}

/** GitHub's "simple user" object, as REST answers name an account. */
export function simpleUser(login: string) {
  return {
    login,
    id: 583231,
    node_id: 'MDQ6VXNlcjU4MzIzMQ==',
    avatar_url: 'https://avatars.githubusercontent.com/u/583231?v=4',
    url: `https://api.github.com/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: 'User',
    site_admin: false,
  };
}

/** A whole list in one page, with cursors shaped like GitHub's (base64 of the position). */
export function onePage<N>(nodes: N[]) {
  const last = nodes.length > 0 ? Buffer.from(String(nodes.length)).toString('base64url') : null;
  return { totalCount: nodes.length, pageInfo: { hasNextPage: false, endCursor: last }, nodes };
}

/** A review as the pull request query returns it. */
export interface ReviewNode {
  databaseId: number;
  state: string;
  submittedAt: string;
  author: { login: string; __typename: string };
  commit: { oid: string };
}

/**
 * GitHub's answer to the gate's pull request query, for a pull request of one commit with
 * no force pushes: what the fakes and recordings are made of.
 */
export function pullRequestAnswer(pr: {
  number: number;
  author: string;
  /** The base branch's commit (default BASE_SHA). */
  base?: string;
  head: string;
  merge: string;
  commit: Parameters<typeof commitNode>[0];
  reviews: ReviewNode[];
  files: string[];
}) {
  return {
    data: {
      repository: {
        pullRequest: {
          number: pr.number,
          author: { login: pr.author, __typename: 'User' },
          baseRefName: 'main',
          baseRefOid: pr.base ?? BASE_SHA,
          headRefName: HEAD_REF,
          headRefOid: pr.head,
          isCrossRepository: false,
          headRepository: { nameWithOwner: 'acme/shop' },
          mergeCommit: { oid: pr.merge, signature: signatureOf() },
          commits: onePage([commitNode(pr.commit)]),
          reviews: onePage(pr.reviews),
          files: onePage(pr.files.map((path) => ({ path }))),
          timelineItems: onePage([]),
        },
      },
    },
  };
}

export interface GraphqlBody {
  query: string;
  variables: Record<string, unknown>;
}

// nock may hold any request against these (a GET has no body): only GraphQL ones match.
export const isPullRequestQuery = (body: GraphqlBody | undefined) =>
  typeof body?.query === 'string' && body.query.includes('query vaktPullRequest(');
export const isApproversQuery = (body: GraphqlBody | undefined) =>
  typeof body?.query === 'string' && /collaborators\(login:|members\(query:/.test(body.query);

/** GitHub's answer to the approvers query (see src/approval/approvers-query.ts). */
export function approversAnswer(body: GraphqlBody, world: GitHubWorld) {
  const v = (name: string) => String(body.variables[name]);
  const repository: Record<string, unknown> = {};
  const data: Record<string, unknown> = {};
  const errors: { type: string; path: string[]; message: string }[] = [];

  for (const [, alias, variable] of body.query.matchAll(/(p\d+): collaborators\(login: \$(\w+)/g)) {
    const login = v(variable as string);
    if (world.forbidden?.includes(login.toLowerCase())) {
      repository[alias as string] = null;
      errors.push({
        type: 'FORBIDDEN',
        path: ['repository', alias as string],
        message: 'Must have push access to view repository collaborators.',
      });
      continue;
    }
    const level = world.permissions[login.toLowerCase()];
    repository[alias as string] = {
      edges: level ? [{ permission: level.toUpperCase(), node: { login } }] : [],
    };
  }
  if (Object.keys(repository).length > 0) data.repository = repository;

  // Each team block runs from its alias to the next one (or the end of the document).
  const teamBlocks = body.query.matchAll(
    /(t\d+): organization\(login: \$(\w+)\) \{ team\(slug: \$(\w+)\) \{ (.*?)(?=t\d+: organization|$)/g,
  );
  for (const [, alias, org, slug, fields] of teamBlocks) {
    const team = `${v(org as string)}/${v(slug as string)}`.toLowerCase();
    const members = world.teams[team];
    if (world.forbiddenTeams?.includes(team)) {
      data[alias as string] = { team: null };
      errors.push({
        type: 'FORBIDDEN',
        path: [alias as string, 'team'],
        message: 'Resource not accessible by integration',
      });
      continue;
    }
    // A team that does not exist, or that the token may not see: GitHub says null either way.
    if (!members) {
      data[alias as string] = { team: null };
      continue;
    }
    const answer: Record<string, unknown> = {};
    for (const [, member, variable] of (fields as string).matchAll(
      /(m\d+): members\(query: \$(\w+)/g,
    )) {
      const wanted = v(variable as string).toLowerCase();
      answer[member as string] = {
        pageInfo: { hasNextPage: false },
        nodes: members.filter((m) => m.toLowerCase().includes(wanted)).map((login) => ({ login })),
      };
    }
    data[alias as string] = { team: answer };
  }
  return errors.length > 0 ? { data, errors } : { data };
}

/** A nock reply for the approvers query (nock 15 hands reply functions a WHATWG Request). */
export function replyApprovers(world: GitHubWorld) {
  return async (request: Request): Promise<[number, unknown]> => [
    200,
    approversAnswer((await request.json()) as GraphqlBody, world),
  ];
}
