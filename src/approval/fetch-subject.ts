import type { Octokit } from 'octokit';
import { factsError, GitHubFactsError } from './fetch-errors.ts';
import { type PullRequestCandidate, type SubjectSelection, selectPullRequest } from './subject.ts';
import { PullsForCommitAnswer, parseAnswer, RepositoryAnswer } from './validate-response.ts';

export interface SubjectQuery {
  owner: string;
  repo: string;
  /** The commit being deployed. */
  sha: string;
  /** Empty means the repository's default branch. */
  protectedBranches: readonly string[];
}

/** Which merged pull request a deployed commit is the merge commit of, if any. */
export async function fetchDeploySubject(
  octokit: Octokit,
  query: SubjectQuery,
): Promise<SubjectSelection> {
  const { owner, repo, sha } = query;
  const candidates = await pullRequestsOf(octokit, owner, repo, sha);
  let branches = [...query.protectedBranches];
  if (branches.length === 0 && candidates.length > 0) {
    // Every pull request names its base repository's default branch; ask only if none does.
    const named = candidates.find((c) => c.defaultBranch)?.defaultBranch;
    branches = [named ?? (await defaultBranch(octokit, owner, repo))];
  }
  return selectPullRequest(sha, candidates, branches);
}

/**
 * Pages read of the pull requests that contain one commit: 1 000 pull requests. A commit
 * that far back in history is in every branch made since, and no deploy is of such a
 * commit; past this the gate fails closed rather than decide on part of the list.
 */
export const MAX_PULL_PAGES = 10;

async function pullRequestsOf(
  octokit: Octokit,
  owner: string,
  repo: string,
  sha: string,
): Promise<(PullRequestCandidate & { defaultBranch?: string })[]> {
  const what = `the pull requests of commit ${sha}`;
  const pulls: PullsForCommitAnswer = [];
  let pages = 0;
  try {
    // Lists the pull requests that contain the commit, including the one it merged: every
    // page, since the merged one may be on any of them (GitHub orders them by its own rule).
    const route = 'GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls' as const;
    const params = { owner, repo, commit_sha: sha, per_page: 100 };
    for await (const { data, headers } of octokit.paginate.iterator(route, params)) {
      pages += 1;
      // Each page is checked as GitHub sent it, not as the paginator merged it.
      pulls.push(...parseAnswer(PullsForCommitAnswer, data, `${what} (page ${pages})`));
      if (pages < MAX_PULL_PAGES) continue;
      if (/\brel="next"/.test(headers.link ?? '')) {
        throw new GitHubFactsError(
          `more than ${MAX_PULL_PAGES} pages of pull requests contain commit ${sha}: the gate does not decide on part of the list`,
        );
      }
      break;
    }
  } catch (error) {
    throw factsError(error, `could not read ${what}`);
  }
  return pulls.map((pr) => ({
    number: pr.number,
    baseRef: pr.base.ref,
    state: pr.merged_at ? 'MERGED' : pr.state === 'open' ? 'OPEN' : 'CLOSED',
    ...(pr.merge_commit_sha && { mergeCommitSha: pr.merge_commit_sha }),
    headSha: pr.head.sha,
    ...(pr.base.repo && { defaultBranch: pr.base.repo.default_branch }),
  }));
}

async function defaultBranch(octokit: Octokit, owner: string, repo: string): Promise<string> {
  const what = `repository ${owner}/${repo}`;
  let data: unknown;
  try {
    ({ data } = await octokit.request('GET /repos/{owner}/{repo}', { owner, repo }));
  } catch (error) {
    throw factsError(error, `could not read ${what}`);
  }
  return parseAnswer(RepositoryAnswer, data, what).default_branch;
}
