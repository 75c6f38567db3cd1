import nock from 'nock';
import type { GraphqlBody } from './github-answers.ts';

/**
 * GitHub's two answers to "which pull request is this commit from": REST's
 * commits/{sha}/pulls and GraphQL's Commit.associatedPullRequests (the gate's
 * vaktDeployedCommit query). Both are made from the same REST list, so a test can put one
 * world to the gate either way and expect the same verdict.
 */

/** One entry of GET /repos/{owner}/{repo}/commits/{sha}/pulls, as far as the gate reads it. */
export interface RestPull {
  number: number;
  state: string;
  merged_at: string | null;
  merge_commit_sha: string | null;
  head: { sha: string };
  base: { ref: string; repo?: { default_branch: string } | null };
}

export const isDeployedCommitQuery = (body: GraphqlBody | undefined) =>
  typeof body?.query === 'string' && body.query.includes('query vaktDeployedCommit(');

/**
 * The answer to the deployed commit query: GitHub's count of the commit's pull requests and
 * the first of them in full. Its fields come from `pullRequest` (an answer to the pull
 * request query, as the fakes hold one), corrected by the REST entry where they say the
 * same thing (state, base, head, merge commit), so the two APIs never disagree.
 */
export function deployedCommitAnswer(
  sha: string,
  pulls: readonly unknown[],
  pullRequest: unknown,
  repository = 'acme/shop',
) {
  const rest = pulls as readonly RestPull[];
  const full = (pullRequest as { data?: { repository?: { pullRequest?: object | null } } })?.data
    ?.repository?.pullRequest;
  const defaultBranch = rest.find((p) => p.base.repo)?.base.repo?.default_branch ?? 'main';
  const nodes = rest.slice(0, 1).map((p) => {
    const merged = p.merged_at !== null;
    const signature =
      (full as { mergeCommit?: { signature?: unknown } | null } | undefined)?.mergeCommit
        ?.signature ?? null;
    return {
      ...full,
      number: p.number,
      state: merged ? 'MERGED' : p.state === 'open' ? 'OPEN' : 'CLOSED',
      baseRepository: { nameWithOwner: repository },
      baseRefName: p.base.ref,
      headRefOid: p.head.sha,
      // GraphQL names a merge commit only once merged; REST's is a test merge before that.
      mergeCommit: merged && p.merge_commit_sha ? { oid: p.merge_commit_sha, signature } : null,
    };
  });
  return {
    data: {
      repository: {
        defaultBranchRef: { name: defaultBranch },
        object: {
          __typename: 'Commit',
          oid: sha,
          associatedPullRequests: { totalCount: rest.length, nodes },
        },
      },
    },
  };
}

/** A GitHub whose schema has no Commit.associatedPullRequests (an older Enterprise Server, a fake). */
export const UNRESOLVED = {
  errors: [
    {
      path: [
        'query vaktDeployedCommit',
        'repository',
        'object',
        '... on Commit',
        'associatedPullRequests',
      ],
      extensions: {
        code: 'undefinedField',
        typeName: 'Commit',
        fieldName: 'associatedPullRequests',
      },
      locations: [{ line: 8, column: 9 }],
      message: "Field 'associatedPullRequests' doesn't exist on type 'Commit'",
    },
  ],
};

/**
 * GitHub answering the gate's question about `sha` with the REST list `pulls`, either way:
 * `fast` answers the GraphQL query from `pulls` and `pullRequest`; otherwise GraphQL does not
 * resolve the field and only REST answers, the way the gate asked before it used GraphQL.
 */
export function answerPullsOf(
  api: string,
  sha: string,
  pulls: readonly unknown[],
  options: { fast?: { pullRequest: unknown } } = {},
): nock.Scope {
  // An Enterprise Server root (https://HOST/api/v3) has its GraphQL at /api/graphql.
  const { origin, pathname } = new URL(api);
  const rest = pathname.replace(/\/$/, '');
  const graphql = rest === '/api/v3' ? '/api/graphql' : '/graphql';
  const scope = nock(origin);
  if (options.fast) {
    return scope
      .post(graphql, isDeployedCommitQuery)
      .reply(200, deployedCommitAnswer(sha, pulls, options.fast.pullRequest));
  }
  return scope
    .post(graphql, isDeployedCommitQuery)
    .reply(200, UNRESOLVED)
    .get(`${rest}/repos/acme/shop/commits/${sha}/pulls`)
    .query(true)
    .reply(200, [...pulls]);
}
