import type { Octokit } from 'octokit';
import type { z } from 'zod';
import { short } from './contributors.ts';
import type {
  CommitFact,
  ForcePush,
  GateFacts,
  GitIdentity,
  HeadBranch,
  Person,
  ReviewDismissal,
  ReviewFact,
} from './facts.ts';
import { fetchApprovers } from './fetch-approvers.ts';
import { factsError, GitHubFactsError } from './fetch-errors.ts';
import { fetchPushes } from './fetch-pushes.ts';
import { type ListName, nextPageQuery, PULL_REQUEST_QUERY } from './pull-request-query.ts';
import {
  CommitConnection,
  type CommitNode,
  type Connection,
  type DismissalNode,
  FileConnection,
  type ForcePushNode,
  type GitActor,
  PullRequestAnswer,
  type PullRequestNode,
  pageAnswer,
  parseAnswer,
  ReviewConnection,
  type ReviewNode,
  TimelineConnection,
} from './validate-response.ts';

export interface FactsQuery {
  owner: string;
  repo: string;
  pullNumber: number;
  deploySha?: string;
  /** Teams ("org/slug") the policy names; see policyTeams(). */
  teams?: readonly string[];
  /** The first answer for the pull request, when it came with the deployed commit's. */
  pullRequest?: PullRequestNode;
}

/** A runaway cursor must not loop forever; 100 pages is 10 000 items, far past any real PR. */
const MAX_PAGES = 100;

/**
 * Everything evaluate() needs about one pull request: one GraphQL query, a follow-up
 * query per list longer than 100, then one more GraphQL query for the permission and
 * policy team memberships of every reviewer at once.
 */
export async function fetchGateFacts(octokit: Octokit, query: FactsQuery): Promise<GateFacts> {
  const { owner, repo, pullNumber } = query;
  const variables = { owner, repo, number: pullNumber };
  const pr = query.pullRequest ?? (await readPullRequest(octokit, variables));

  const read = <N>(list: ListName, first: Connection<N>, schema: z.ZodType<Connection<N>>) =>
    readAll(octokit, variables, list, first, schema);
  const head = headBranch(pr, `${owner}/${repo}`);
  const [lists, pushes] = await Promise.all([
    Promise.all([
      read('commits', pr.commits, CommitConnection),
      read('reviews', pr.reviews, ReviewConnection),
      read('files', pr.files, FileConnection),
      read('timelineItems', pr.timelineItems, TimelineConnection),
    ]),
    // A fork's pushes are in the fork's activity, which this repository's token may not
    // read and whose owner controls it: the policy decides (see evaluate()).
    head.fork ? [] : fetchPushes(octokit, { owner, repo, branch: head.ref }),
  ]);
  const [{ nodes: commitNodes }, { nodes: reviewNodes }, { nodes: fileNodes }, timeline] = lists;
  const pushNodes = timeline.nodes.filter((n) => n.__typename === 'HeadRefForcePushedEvent');
  const dismissals = timeline.nodes
    .filter((n) => n.__typename === 'ReviewDismissedEvent')
    .map(toDismissal)
    .filter((d) => d !== undefined);
  const baseChanges = timeline.nodes
    .filter((n) => n.__typename === 'BaseRefChangedEvent')
    .map((n) => ({ at: n.createdAt, from: n.previousRefName, to: n.currentRefName }));

  const truncated = [
    shortfall('commits', commitNodes.length, pr.commits.totalCount),
    ...commitNodes.map(({ commit: c }) =>
      shortfall(`authors of commit ${short(c.oid)}`, c.authors.nodes.length, c.authors.totalCount),
    ),
    shortfall('reviews', reviewNodes.length, pr.reviews.totalCount),
    shortfall('files', fileNodes.length, pr.files.totalCount),
    // Only the last page can tell: whether totalCount counts the other kinds of timeline
    // items is not documented, and a false alarm here would block every pull request.
    timeline.more
      ? `force pushes, dismissals and base changes: more than ${timeline.nodes.length} in the timeline`
      : undefined,
  ].filter((s) => s !== undefined);

  const commits = commitNodes.map(toCommit);
  const reviews = reviewNodes.map(toReview);
  const approvers = await fetchApprovers(octokit, {
    owner,
    repo,
    logins: reviewersWithOpinion(reviews, dismissals),
    teams: query.teams ?? [],
  });

  return {
    repository: `${owner}/${repo}`,
    pullRequest: {
      number: pr.number,
      author: toPerson(pr.author),
      baseRef: pr.baseRefName,
      baseSha: pr.baseRefOid,
      headSha: pr.headRefOid,
      head,
      ...(pr.mergeCommit && { mergeCommitSha: pr.mergeCommit.oid }),
      ...(pr.mergeCommit?.signature && {
        mergeSignature: {
          valid: pr.mergeCommit.signature.isValid,
          state: pr.mergeCommit.signature.state,
          byGitHub: pr.mergeCommit.signature.wasSignedByGitHub,
          ...(pr.mergeCommit.signature.signer && {
            signer: pr.mergeCommit.signature.signer.login,
          }),
        },
      }),
      commits,
      reviews,
      dismissals,
      files: fileNodes.map((f) => f.path),
      forcePushes: pushNodes.map(toForcePush).filter((p) => p !== undefined),
      pushes,
      baseChanges,
      ...(truncated.length > 0 && { truncated: truncated.join('; ') }),
    },
    approvers,
    ...(query.deploySha !== undefined && { deploySha: query.deploySha }),
  };
}

async function readPullRequest(
  octokit: Octokit,
  variables: { owner: string; repo: string; number: number },
): Promise<PullRequestNode> {
  const { owner, repo, number } = variables;
  const answer = parseAnswer(
    PullRequestAnswer,
    await graphql(octokit, PULL_REQUEST_QUERY, variables, `pull request #${number}`),
    `the query for pull request #${number}`,
  );
  const pr = answer.repository.pullRequest;
  if (!pr) throw new GitHubFactsError(`pull request #${number} not found in ${owner}/${repo}`);
  return pr;
}

function headBranch(pr: PullRequestNode, repository: string): HeadBranch {
  const own = pr.headRepository?.nameWithOwner.toLowerCase() === repository.toLowerCase();
  if (!pr.isCrossRepository && own) return { ref: pr.headRefName };
  return { ref: pr.headRefName, fork: { repository: pr.headRepository?.nameWithOwner ?? null } };
}

async function graphql(
  octokit: Octokit,
  document: string,
  variables: Record<string, unknown>,
  what: string,
): Promise<unknown> {
  try {
    return await octokit.graphql(document, variables);
  } catch (error) {
    throw factsError(error, `could not read ${what}`);
  }
}

/**
 * Follows one list's cursor until GitHub says there is no next page (`more`: it still had
 * one when vakt stopped reading).
 */
async function readAll<N>(
  octokit: Octokit,
  variables: Record<string, unknown>,
  list: ListName,
  first: Connection<N>,
  schema: z.ZodType<Connection<N>>,
): Promise<{ nodes: N[]; more: boolean }> {
  const nodes = [...first.nodes];
  let page = first.pageInfo;
  for (let n = 0; page.hasNextPage && page.endCursor && n < MAX_PAGES; n++) {
    const what = `the ${list} of pull request #${String(variables.number)}`;
    const data = await graphql(
      octokit,
      nextPageQuery(list),
      { ...variables, cursor: page.endCursor },
      what,
    );
    const answer = parseAnswer(pageAnswer(list, schema), data, `the next page of ${what}`);
    const next = answer.repository.pullRequest[list] as Connection<N> | undefined;
    if (!next) throw new GitHubFactsError(`GitHub's next page of ${what} was empty`);
    nodes.push(...next.nodes);
    page = next.pageInfo;
  }
  return { nodes, more: page.hasNextPage };
}

/** Any difference from GitHub's own count means a list was not read whole: fail closed. */
function shortfall(list: string, read: number, total: number): string | undefined {
  if (read === total) return undefined;
  return `read ${read} of ${total} ${list}`;
}

const PERSON_TYPES: readonly string[] = ['User', 'Bot', 'Organization', 'Mannequin'];

function toPerson(actor: { login: string; __typename: string } | null): Person {
  // A deleted account shows as null; as "ghost" it can neither approve nor be excluded wrongly.
  if (!actor) return { login: 'ghost', type: 'Mannequin' };
  // An actor type this code does not know is not trusted to be a person.
  const type = PERSON_TYPES.includes(actor.__typename) ? actor.__typename : 'Mannequin';
  return { login: actor.login, type: type as Person['type'] };
}

function toIdentity(actor: GitActor | null): GitIdentity | undefined {
  if (!actor) return undefined;
  return {
    ...(actor.user && { login: actor.user.login }),
    ...(actor.email && { email: actor.email }),
    ...(actor.name && { name: actor.name }),
  };
}

function toCommit(node: CommitNode): CommitFact {
  const { oid, message, authors, committer } = node.commit;
  const committerIdentity = toIdentity(committer);
  return {
    sha: oid,
    authors: authors.nodes.map(toIdentity).filter((a) => a !== undefined),
    ...(committerIdentity && { committer: committerIdentity }),
    coAuthors: coAuthorsOf(message),
  };
}

const CO_AUTHOR = /^\s*co-authored-by:\s*(.*?)\s*<([^<>\s]+)>\s*$/gim;

/** `Co-authored-by: Name <email>` trailers; git treats the key case-insensitively. */
export function coAuthorsOf(message: string): { name: string; email: string }[] {
  return [...message.matchAll(CO_AUTHOR)].map((m) => ({ name: m[1] ?? '', email: m[2] ?? '' }));
}

function toForcePush(node: ForcePushNode): ForcePush | undefined {
  // A deleted account can approve nothing, so there is nobody left to exclude.
  if (!node.actor) return undefined;
  return {
    login: node.actor.login,
    ...(node.afterCommit && { afterSha: node.afterCommit.oid }),
  };
}

function toReview(node: ReviewNode): ReviewFact {
  return {
    id: node.databaseId,
    author: toPerson(node.author),
    state: node.state,
    // No commit (it was force-pushed away) never equals the head, so such a review never counts.
    commitId: node.commit?.oid ?? '',
    submittedAt: node.submittedAt ?? '',
  };
}

function toDismissal(node: DismissalNode): ReviewDismissal | undefined {
  // A deleted review is in no list the gate reads: its dismissal changes nothing.
  if (!node.review) return undefined;
  return {
    reviewId: node.review.databaseId,
    ...(node.actor && { by: toPerson(node.actor) }),
    previousState: node.previousReviewState,
  };
}

/**
 * Only people who approved or requested changes can change the verdict, and those who
 * dismissed a request for changes (whether that dismissal counts depends on them), so only
 * their standing is looked up: every lookup is a request against the rate limit.
 */
function reviewersWithOpinion(
  reviews: readonly ReviewFact[],
  dismissals: readonly ReviewDismissal[],
): string[] {
  const logins = new Map<string, string>();
  const add = (person: Person | undefined) => {
    if (person?.type === 'User') logins.set(person.login.toLowerCase(), person.login);
  };
  for (const review of reviews) {
    if (review.state === 'APPROVED' || review.state === 'CHANGES_REQUESTED') add(review.author);
  }
  // A dismissed request for changes may still stand: its reviewer and dismisser both matter.
  const byId = new Map(reviews.map((r) => [r.id, r]));
  for (const dismissal of dismissals) {
    if (dismissal.previousState !== 'CHANGES_REQUESTED') continue;
    add(dismissal.by);
    add(byId.get(dismissal.reviewId)?.author);
  }
  return [...logins.values()];
}
