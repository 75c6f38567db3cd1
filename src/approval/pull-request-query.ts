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

// Force pushes are the only pushes GitHub attributes to an account: an ordinary push
// leaves no trace of who made it in the API (commits carry only what git records).
// Dismissals say what a dismissed review was and who dismissed it: the review itself
// then only says DISMISSED. A base change (retarget) makes earlier approvals stale: they
// were of the diff against the old base.
const TIMELINE_FIELDS = `
  totalCount
  pageInfo { hasNextPage endCursor }
  nodes {
    __typename
    ... on HeadRefForcePushedEvent { actor { login } afterCommit { oid } }
    ... on ReviewDismissedEvent {
      actor { login __typename }
      review { databaseId }
      previousReviewState
    }
    ... on BaseRefChangedEvent { createdAt previousRefName currentRefName }
  }`;

export type ListName = 'commits' | 'reviews' | 'files' | 'timelineItems';

/** Each list's arguments (without the cursor) and the fields read from it. */
const LISTS: Record<ListName, { args: string; fields: string }> = {
  commits: { args: 'first: 100', fields: COMMIT_FIELDS },
  reviews: { args: 'first: 100', fields: REVIEW_FIELDS },
  files: { args: 'first: 100', fields: FILE_FIELDS },
  timelineItems: {
    args: 'first: 100, itemTypes: [HEAD_REF_FORCE_PUSHED_EVENT, REVIEW_DISMISSED_EVENT, BASE_REF_CHANGED_EVENT]',
    fields: TIMELINE_FIELDS,
  },
};

const list = (name: ListName, cursor = '') =>
  `${name}(${LISTS[name].args}${cursor}) {${LISTS[name].fields}
      }`;

/**
 * Everything read of a pull request in its first round trip: by number here, and as the
 * deployed commit's pull request in deployed-commit-query.ts, so both answer alike.
 */
export const PULL_REQUEST_FIELDS = `
      number
      author { login __typename }
      baseRefName
      baseRefOid
      headRefName
      headRefOid
      isCrossRepository
      headRepository { nameWithOwner }
      mergeCommit {
        oid
        signature { isValid state wasSignedByGitHub signer { login } }
      }
      ${list('commits')}
      ${list('reviews')}
      ${list('files')}
      ${list('timelineItems')}`;

export const PULL_REQUEST_QUERY = `
query vaktPullRequest($owner: String!, $repo: String!, $number: Int!) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {${PULL_REQUEST_FIELDS}
    }
  }
}`;

/** The next page of one list, after `$cursor`. */
export function nextPageQuery(name: ListName): string {
  return `
query vaktPullRequestPage($owner: String!, $repo: String!, $number: Int!, $cursor: String!) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {
      ${list(name, ', after: $cursor')}
    }
  }
}`;
}
