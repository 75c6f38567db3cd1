import nock from 'nock';
import activity from '../fixtures/github/activity.json' with { type: 'json' };
import commitPulls from '../fixtures/github/commit-pulls.json' with { type: 'json' };
import pullRequest from '../fixtures/github/pull-request.json' with { type: 'json' };
import { deployedCommitAnswer, isDeployedCommitQuery, UNRESOLVED } from './associated-pulls.ts';
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
 * pushed, and the reviewers' standing. Answers once per decision unless `persist`. The
 * pull request comes with the commit in one GraphQL answer, or, with `rest`, from a GitHub
 * that does not resolve Commit.associatedPullRequests: REST's list, then the query by number.
 */
export function answerDeployedCommit(
  api: string,
  options: { approvals?: 1 | 2; persist?: boolean; rest?: boolean } = {},
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
  if (options.rest) {
    scope
      .post('/graphql', isDeployedCommitQuery)
      .reply(200, UNRESOLVED)
      .get(`/repos/acme/shop/commits/${MERGE}/pulls`)
      .query(true)
      .reply(200, commitPulls)
      .post('/graphql', isPullRequestQuery)
      .reply(200, answer);
  } else {
    scope
      .post('/graphql', isDeployedCommitQuery)
      .reply(200, deployedCommitAnswer(MERGE, commitPulls, answer));
  }
  scope
    .post('/graphql', isApproversQuery)
    .reply(replyApprovers(world))
    .get('/repos/acme/shop/activity')
    .query(true)
    .reply(200, activity);
}
