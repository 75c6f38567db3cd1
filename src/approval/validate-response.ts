import { z } from 'zod';
import { GitHubFactsError } from './fetch-errors.ts';

/**
 * The shapes of GitHub's answers that the gate relies on. Everything is parsed, never
 * trusted: a field GitHub renamed or left out must stop the gate, not weaken it.
 */

const PageInfo = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });

/** Deleted accounts come back as null ("ghost"). */
const Actor = z.object({ login: z.string().min(1), __typename: z.string() }).nullable();

/** A git identity; `user` is the account GitHub linked it to by a verified e-mail, if any. */
const GitActor = z.object({
  name: z.string().nullable(),
  email: z.string().nullable(),
  user: z.object({ login: z.string().min(1) }).nullable(),
});

const CommitNode = z.object({
  commit: z.object({
    oid: z.string().min(1),
    message: z.string(),
    authors: z.object({ totalCount: z.number().int().min(0), nodes: z.array(GitActor) }),
    committer: GitActor.nullable(),
  }),
});

const ReviewState = z.enum(['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED', 'PENDING']);

const ReviewNode = z.object({
  databaseId: z.number().int(),
  state: ReviewState,
  submittedAt: z.string().nullable(),
  author: Actor,
  // null when the reviewed commit no longer exists (force push).
  commit: z.object({ oid: z.string().min(1) }).nullable(),
});

const FileNode = z.object({ path: z.string().min(1) });

/** Only force pushes, dismissals and base changes are asked for; anything else is a changed API: refuse it. */
const ForcePushNode = z.object({
  __typename: z.literal('HeadRefForcePushedEvent'),
  // null for a deleted account, like every other actor.
  actor: z.object({ login: z.string().min(1) }).nullable(),
  // null when the pushed commit no longer exists (a later force push replaced it).
  afterCommit: z.object({ oid: z.string().min(1) }).nullable(),
});

const DismissalNode = z.object({
  __typename: z.literal('ReviewDismissedEvent'),
  actor: Actor,
  // null when the review itself was deleted: then it is in no list the gate reads.
  review: z.object({ databaseId: z.number().int() }).nullable(),
  previousReviewState: ReviewState,
});

const BaseChangeNode = z.object({
  __typename: z.literal('BaseRefChangedEvent'),
  createdAt: z.iso.datetime({ offset: true }),
  previousRefName: z.string(),
  currentRefName: z.string(),
});

const TimelineNode = z.discriminatedUnion('__typename', [
  ForcePushNode,
  DismissalNode,
  BaseChangeNode,
]);

function connection<T extends z.ZodType>(node: T) {
  return z.object({
    totalCount: z.number().int().min(0),
    pageInfo: PageInfo,
    nodes: z.array(node),
  });
}

export const CommitConnection = connection(CommitNode);
export const ReviewConnection = connection(ReviewNode);
export const FileConnection = connection(FileNode);
export const TimelineConnection = connection(TimelineNode);

export type CommitNode = z.infer<typeof CommitNode>;
export type GitActor = z.infer<typeof GitActor>;
export type ReviewNode = z.infer<typeof ReviewNode>;
export type FileNode = z.infer<typeof FileNode>;
export type ForcePushNode = z.infer<typeof ForcePushNode>;
export type DismissalNode = z.infer<typeof DismissalNode>;
export type BaseChangeNode = z.infer<typeof BaseChangeNode>;
export type TimelineNode = z.infer<typeof TimelineNode>;
export type Connection<N> = { totalCount: number; pageInfo: z.infer<typeof PageInfo>; nodes: N[] };

/** The fields of PULL_REQUEST_FIELDS (pull-request-query.ts). */
export const PullRequestNode = z.object({
  number: z.number().int(),
  author: Actor,
  baseRefName: z.string().min(1),
  baseRefOid: z.string().min(1),
  headRefName: z.string().min(1),
  headRefOid: z.string().min(1),
  isCrossRepository: z.boolean(),
  // null when the fork the pull request came from was deleted.
  headRepository: z.object({ nameWithOwner: z.string().min(1) }).nullable(),
  mergeCommit: z
    .object({
      oid: z.string().min(1),
      // null for an unsigned commit.
      signature: z
        .object({
          isValid: z.boolean(),
          state: z.string().min(1),
          wasSignedByGitHub: z.boolean(),
          signer: z.object({ login: z.string().min(1) }).nullable(),
        })
        .nullable(),
    })
    .nullable(),
  commits: CommitConnection,
  reviews: ReviewConnection,
  files: FileConnection,
  timelineItems: TimelineConnection,
});
export type PullRequestNode = z.infer<typeof PullRequestNode>;

export const PullRequestAnswer = z.object({
  repository: z.object({ pullRequest: PullRequestNode.nullable() }),
});
export type PullRequestAnswer = z.infer<typeof PullRequestAnswer>;

/**
 * The deployed commit's pull request as DEPLOYED_COMMIT_QUERY reads it. Only what the fast
 * path may act on is required; a null anywhere sends the gate the long way round.
 */
export const DeployedCommitAnswer = z.object({
  repository: z.object({
    // null for an empty repository.
    defaultBranchRef: z.object({ name: z.string().min(1) }).nullable(),
    // null when no such object exists; a tree, blob or tag has no pull requests.
    object: z
      .object({
        __typename: z.string(),
        oid: z.string().optional(),
        associatedPullRequests: z
          .object({
            totalCount: z.number().int().min(0),
            nodes: z.array(
              PullRequestNode.extend({
                state: z.enum(['OPEN', 'CLOSED', 'MERGED']),
                // null when the base repository was deleted.
                baseRepository: z.object({ nameWithOwner: z.string().min(1) }).nullable(),
              }),
            ),
          })
          .nullable()
          .optional(),
      })
      .nullable(),
  }),
});
export type DeployedCommitAnswer = z.infer<typeof DeployedCommitAnswer>;

/** One more page of a single connection of the pull request. */
export function pageAnswer<T extends z.ZodType>(name: string, page: T) {
  return z.object({
    repository: z.object({ pullRequest: z.object({ [name]: page }) }),
  });
}

export const PullsForCommitAnswer = z.array(
  z.object({
    number: z.number().int(),
    state: z.enum(['open', 'closed']),
    merged_at: z.string().nullable(),
    merge_commit_sha: z.string().nullable(),
    // Real answers carry the whole base repository; its default branch spares a request.
    base: z.object({
      ref: z.string(),
      repo: z
        .object({ default_branch: z.string().min(1) })
        .nullable()
        .optional(),
    }),
    head: z.object({ sha: z.string() }),
  }),
);

export type PullsForCommitAnswer = z.infer<typeof PullsForCommitAnswer>;

export const RepositoryAnswer = z.object({ default_branch: z.string().min(1) });

/** Parse or throw a readable description of what was wrong, naming the fields. */
export function parseAnswer<T extends z.ZodType>(
  schema: T,
  data: unknown,
  what: string,
): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  // octokit hands back the raw text (or nothing) when a body is not JSON or stops short.
  if (data === undefined || typeof data === 'string') {
    throw new GitHubFactsError(
      `GitHub's answer to ${what} was not JSON: empty, cut off or timed out`,
    );
  }
  const issues = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new GitHubFactsError(`GitHub's answer to ${what} was malformed: ${issues}`);
}
