import type { Octokit } from 'octokit';
import { DEPLOYED_COMMIT_QUERY } from './deployed-commit-query.ts';
import { factsError, isRateLimited } from './fetch-errors.ts';
import type { SubjectQuery } from './fetch-subject.ts';
import { selectPullRequest } from './subject.ts';
import { DeployedCommitAnswer, type PullRequestNode } from './validate-response.ts';

/**
 * The deployed commit's pull request, read whole, or why this quick reading does not
 * settle it. `unsettled` is no verdict: the caller then reads every candidate the long way
 * (fetchDeploySubject) and decides exactly as it would have without this attempt.
 */
export type DeployedPullRequest =
  | { settled: true; pullRequest: PullRequestNode }
  | { settled: false; why: string };

/**
 * One GraphQL round trip for the common case: the commit is the merge commit of its one
 * associated pull request, merged into a protected branch. Anything else (no candidate,
 * several, a GitHub that does not resolve the field, an answer missing a field, one that
 * contradicts itself) is unsettled, and the same selection rules then run on the full list.
 * Only a rate limit throws: the long way round would meet the same limit.
 */
export async function fetchDeployedPullRequest(
  octokit: Octokit,
  query: SubjectQuery,
): Promise<DeployedPullRequest> {
  const { owner, repo, sha } = query;
  let data: unknown;
  try {
    data = await octokit.graphql(DEPLOYED_COMMIT_QUERY, { owner, repo, sha });
  } catch (error) {
    if (isRateLimited(error)) {
      throw factsError(error, `could not read the pull request of commit ${sha}`);
    }
    return unsettled(`the query failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = DeployedCommitAnswer.safeParse(data);
  if (!parsed.success) return unsettled('the answer was not of the expected shape');
  const { defaultBranchRef, object } = parsed.data.repository;
  if (object?.__typename !== 'Commit' || object.oid !== sha) {
    return unsettled(`${sha} is not a commit GitHub knows`);
  }
  const associated = object.associatedPullRequests;
  if (!associated) return unsettled('GitHub did not list its pull requests');
  const [pr] = associated.nodes;
  if (associated.totalCount !== 1 || associated.nodes.length !== 1 || !pr) {
    return unsettled(`${associated.totalCount} pull requests are associated with it`);
  }
  // The follow-up queries read the pull request by number in this repository.
  const repository = `${owner}/${repo}`.toLowerCase();
  if (pr.baseRepository?.nameWithOwner.toLowerCase() !== repository) {
    return unsettled(`its pull request is not one of ${owner}/${repo}`);
  }
  const branches = query.protectedBranches.length
    ? [...query.protectedBranches]
    : defaultBranchRef
      ? [defaultBranchRef.name]
      : [];
  if (branches.length === 0) return unsettled('the repository has no default branch');
  const candidate = {
    number: pr.number,
    baseRef: pr.baseRefName,
    state: pr.state,
    ...(pr.mergeCommit && { mergeCommitSha: pr.mergeCommit.oid }),
    headSha: pr.headRefOid,
  };
  // A refusal here is left to the long way too: its wording comes from the whole list.
  const selected = selectPullRequest(sha, [candidate], branches);
  if (!selected.ok) return unsettled(selected.reason);
  const { state: _state, baseRepository: _base, ...pullRequest } = pr;
  return { settled: true, pullRequest };
}

const unsettled = (why: string): DeployedPullRequest => ({ settled: false, why });
