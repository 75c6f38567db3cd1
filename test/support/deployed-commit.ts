import nock from 'nock';
import activity from '../fixtures/github/activity.json' with { type: 'json' };
import commitPulls from '../fixtures/github/commit-pulls.json' with { type: 'json' };
import pullRequest from '../fixtures/github/pull-request.json' with { type: 'json' };
import {
  type GitHubWorld,
  isApproversQuery,
  isPullRequestQuery,
  replyApprovers,
} from './github-answers.ts';

/** The merge commit of acme/shop#42 in the recorded fixtures. */
export const MERGE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * GitHub as it answers the gate for the deployed commit MERGE: the pull request it came
 * from, its reviews (two qualified approvals, or only bob's with `approvals: 1`), who
 * pushed, and the reviewers' standing. Answers once per decision unless `persist`.
 */
export function answerDeployedCommit(
  api: string,
  options: { approvals?: 1 | 2; persist?: boolean } = {},
): void {
  const answer = structuredClone(pullRequest);
  if (options.approvals === 1) {
    const reviews = answer.data.repository.pullRequest.reviews;
    reviews.nodes = reviews.nodes.filter((r) => r.author.login !== 'carol');
    reviews.totalCount = reviews.nodes.length;
  }
  const world: GitHubWorld = {
    pullRequest: answer,
    permissions: { bob: 'write', carol: 'admin', erin: 'write', frank: 'maintain' },
    teams: { 'acme/sre': ['carol'] },
  };
  const scope = nock(api);
  if (options.persist) scope.persist();
  scope
    .get(`/repos/acme/shop/commits/${MERGE}/pulls`)
    .query(true)
    .reply(200, commitPulls)
    .post('/graphql', isPullRequestQuery)
    .reply(200, answer)
    .post('/graphql', isApproversQuery)
    .reply(replyApprovers(world))
    .get('/repos/acme/shop/activity')
    .query(true)
    .reply(200, activity);
}
