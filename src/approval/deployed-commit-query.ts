import { PULL_REQUEST_FIELDS } from './pull-request-query.ts';

/**
 * The deployed commit's pull request and that pull request's facts in one round trip.
 *
 * `Commit.associatedPullRequests` is, as GitHub documents it, the merged pull request that
 * introduced the commit, plus, for a commit not in the default branch, the open ones that
 * contain it: the same set as REST's `commits/{sha}/pulls`. Only its first entry is read
 * in full (a second would double the query's cost for a case the gate refuses anyway);
 * `totalCount` tells whether there was a second. `defaultBranchRef` stands for the
 * protected branches when the policy names none.
 */
export const DEPLOYED_COMMIT_QUERY = `
query vaktDeployedCommit($owner: String!, $repo: String!, $sha: GitObjectID!) {
  repository(owner: $owner, name: $repo) {
    defaultBranchRef { name }
    object(oid: $sha) {
      __typename
      ... on Commit {
        oid
        associatedPullRequests(first: 1) {
          totalCount
          nodes {
            state
            baseRepository { nameWithOwner }${PULL_REQUEST_FIELDS}
          }
        }
      }
    }
  }
}`;
