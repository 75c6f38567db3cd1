import type { Octokit } from 'octokit';
import { z } from 'zod';
import type { Push } from './facts.ts';
import { factsError, GitHubFactsError } from './fetch-errors.ts';
import { parseAnswer } from './validate-response.ts';

/**
 * Who pushed to a branch, from the REST repository activity: unlike the commits, whose
 * author and committer are whatever the pusher typed into git, each entry names the
 * account that moved the ref. The only place GitHub names the pusher of an ordinary push.
 */

const ActivityAnswer = z.array(
  z.object({
    ref: z.string(),
    before: z.string(),
    after: z.string(),
    activity_type: z.string().min(1),
    // null for a deleted account, like every other actor.
    actor: z.object({ login: z.string().min(1) }).nullable(),
  }),
);

/**
 * Pages read of one branch's activity: 1 000 ref updates. No pull request pushes that
 * often; past this the gate fails closed rather than decide on part of the list.
 */
export const MAX_ACTIVITY_PAGES = 10;

/**
 * Every activity that can leave commits on the branch: a deletion adds none (and is often
 * made by whoever merged, who may well be an approver). Any other kind, including one
 * GitHub adds later, counts: naming a pusher by mistake costs an approval, missing one
 * lets a writer approve their own change.
 */
const ADDS_NO_COMMITS = new Set(['branch_deletion']);

export async function fetchPushes(
  octokit: Octokit,
  query: { owner: string; repo: string; branch: string },
): Promise<Push[]> {
  const { owner, repo, branch } = query;
  const ref = `refs/heads/${branch}`;
  const what = `who pushed to branch ${branch} (the repository activity of ${owner}/${repo})`;
  const pushes: Push[] = [];
  let pages = 0;
  try {
    const route = 'GET /repos/{owner}/{repo}/activity' as const;
    const params = { owner, repo, ref, per_page: 100 };
    for await (const { data, headers } of octokit.paginate.iterator(route, params)) {
      pages += 1;
      for (const item of parseAnswer(ActivityAnswer, data, `${what}, page ${pages}`)) {
        // The filter is GitHub's; an entry for another ref is not this branch's pusher.
        if (item.ref !== ref || ADDS_NO_COMMITS.has(item.activity_type)) continue;
        // A deleted account can approve nothing, so there is nobody left to exclude.
        if (!item.actor) continue;
        pushes.push({ login: item.actor.login, kind: item.activity_type, afterSha: item.after });
      }
      if (pages < MAX_ACTIVITY_PAGES) continue;
      if (/\brel="next"/.test(headers.link ?? '')) {
        throw new GitHubFactsError(
          `more than ${MAX_ACTIVITY_PAGES} pages of activity on branch ${branch}: the gate does not decide on part of the list`,
        );
      }
      break;
    }
  } catch (error) {
    throw refused(error, `could not read ${what}`);
  }
  return pushes;
}

/** A plain 403 here is a token that lacks the access, worth saying so in words. */
function refused(error: unknown, what: string): GitHubFactsError {
  const wrapped = factsError(error, what);
  if ((error as { status?: number }).status !== 403 || !/answered 403$/.test(wrapped.message)) {
    return wrapped;
  }
  return new GitHubFactsError(
    `${wrapped.message}: the token may not read the repository's activity, and without it the gate cannot tell who pushed the commits`,
    { cause: error },
  );
}
