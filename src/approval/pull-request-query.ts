/**
 * The GraphQL documents for one pull request. The first query reads everything in one
 * round trip; a list longer than a page is continued by a query for that list alone.
 *
 * A commit's `authors` is GitHub's own reading of who wrote it: the git author first, then
 * every `Co-authored-by:` trailer, each linked to the account that verified its e-mail.
 * That linkage is what catches a co-author named by a plain company address. More than
 * 100 authors on one commit is not paged: the gate reports the list as truncated instead.
 */

const COMMIT_FIELDS = `
  totalCount
  pageInfo { hasNextPage endCursor }
  nodes {
    commit {
      oid
      message
      authors(first: 100) { totalCount nodes { name email user { login } } }
      committer { name email user { login } }
    }
  }`;

const REVIEW_FIELDS = `
  totalCount
  pageInfo { hasNextPage endCursor }
  nodes {
    databaseId
    state
    submittedAt
    author { login __typename }
    commit { oid }
  }`;

const FILE_FIELDS = `
  totalCount
  pageInfo { hasNextPage endCursor }
  nodes { path }`;

export const PULL_REQUEST_QUERY = `
query vaktPullRequest($owner: String!, $repo: String!, $number: Int!) {
  repository(owner: $owner, name: $repo) {
    defaultBranchRef { name }
    pullRequest(number: $number) {
      number
      author { login __typename }
      baseRefName
      headRefOid
      merged
      mergeCommit { oid }
      commits(first: 100) {${COMMIT_FIELDS}
      }
      reviews(first: 100) {${REVIEW_FIELDS}
      }
      files(first: 100) {${FILE_FIELDS}
      }
    }
  }
}`;

export type ListName = 'commits' | 'reviews' | 'files';

const FIELDS: Record<ListName, string> = {
  commits: COMMIT_FIELDS,
  reviews: REVIEW_FIELDS,
  files: FILE_FIELDS,
};

/** The next page of one list, after `$cursor`. */
export function nextPageQuery(list: ListName): string {
  return `
query vaktPullRequestPage($owner: String!, $repo: String!, $number: Int!, $cursor: String!) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {
      ${list}(first: 100, after: $cursor) {${FIELDS[list]}
      }
    }
  }
}`;
}
