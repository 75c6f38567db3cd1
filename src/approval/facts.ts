/**
 * What the gate knows about one pull request: plain data, fetched from GitHub by an
 * adapter, so `evaluate()` stays a pure function that tests can feed by hand.
 */

export type RepositoryPermission = 'none' | 'read' | 'triage' | 'write' | 'maintain' | 'admin';

export interface Person {
  login: string;
  type: 'User' | 'Bot' | 'Organization' | 'Mannequin';
}

/** A git author, committer or co-author as the commit names them. */
export interface GitIdentity {
  /** The account GitHub linked this identity to, by an e-mail that account verified. */
  login?: string;
  email?: string;
  name?: string;
}

export interface CommitFact {
  sha: string;
  /**
   * GitHub's `Commit.authors`: the git author first, then each `Co-authored-by:` trailer,
   * linked to accounts where GitHub could. The first source for who wrote the commit.
   */
  authors: GitIdentity[];
  committer?: GitIdentity;
  /**
   * The `Co-authored-by:` trailers as the message spells them: a second source, so a
   * trailer GitHub did not list still excludes the person it names.
   */
  coAuthors: { name: string; email: string }[];
}

/**
 * A force push to the pull request's branch, from its timeline: read for a head branch in
 * a fork too, where the repository activity (see Push) shows nothing.
 */
export interface ForcePush {
  login: string;
  /** The head the push left behind, unless that commit no longer exists. */
  afterSha?: string;
}

/**
 * The pull request was retargeted from one base branch to another (its timeline's
 * BaseRefChangedEvent). The diff an approver saw was against the old base.
 */
export interface BaseChange {
  /** ISO 8601 time stamp. */
  at: string;
  from: string;
  to: string;
}

/**
 * A push to the pull request's head branch, from the repository activity: the account that
 * moved the branch, whatever names its commits carry.
 */
export interface Push {
  login: string;
  /** GitHub's activity_type: push, force_push, branch_creation, ... */
  kind: string;
  /** The commit the branch pointed to after the push. */
  afterSha: string;
}

/** A commit's signature as GitHub verified it. */
export interface CommitSignature {
  /** GitHub verified the signature against a key of the signer's account. */
  valid: boolean;
  /** GitHub's GitSignatureState: VALID, INVALID, UNKNOWN_KEY, ... */
  state: string;
  /** Signed by GitHub itself (web-flow): a commit GitHub made, in its web interface or API. */
  byGitHub: boolean;
  /** The account whose key signed it, if GitHub knows one. */
  signer?: string;
}

/** Where the pull request's commits were pushed. */
export interface HeadBranch {
  ref: string;
  /**
   * Set when the branch is in another repository (a fork): "owner/name", or null when the
   * fork was deleted. Its pushes are not in the base repository's activity.
   */
  fork?: { repository: string | null };
}

export interface ReviewFact {
  id: number;
  author: Person;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  /** The commit the review was given on. */
  commitId: string;
  /** ISO 8601 time stamp. */
  submittedAt: string;
}

/**
 * A review someone dismissed, from the timeline: the review itself then only says
 * DISMISSED, so this is where what it was, and who dismissed it, are known.
 */
export interface ReviewDismissal {
  reviewId: number;
  /** undefined when the account that dismissed it was deleted. */
  by?: Person;
  /** The review's state before the dismissal. */
  previousState: ReviewFact['state'];
}

export interface PullRequestFacts {
  number: number;
  author: Person;
  baseRef: string;
  /** The base branch's commit the pull request is compared against. */
  baseSha: string;
  headSha: string;
  head: HeadBranch;
  mergeCommitSha?: string;
  /** The merge commit's signature; undefined when it is unsigned (or there is none). */
  mergeSignature?: CommitSignature;
  commits: CommitFact[];
  reviews: ReviewFact[];
  /** Every dismissal of one of `reviews`. */
  dismissals: ReviewDismissal[];
  /** Paths of changed files. */
  files: string[];
  forcePushes: ForcePush[];
  /** Every push to the head branch; empty for a fork, whose pushes cannot be read. */
  pushes: Push[];
  /** Every retarget to another base branch, in timeline order. */
  baseChanges: BaseChange[];
  /** Set when any list could not be read completely: the gate then fails closed. */
  truncated?: string;
}

/**
 * Why GitHub did not show something: 'forbidden' when it refused the token, 'hidden'
 * when it answered as if the thing did not exist, which is also how it answers a token
 * that may not see it.
 */
export type Unreadable = 'forbidden' | 'hidden';

export interface ApproverFacts {
  /** login -> repository permission; a missing login means it could not be read. */
  permission: Record<string, RepositoryPermission>;
  /** login (lowercase) -> the policy's teams they are in, as "org/slug". */
  teams: Record<string, string[]>;
  /** Policy teams ("org/slug", lowercase) whose members could not be read. */
  unreadableTeams: Record<string, Unreadable>;
}

export interface GateFacts {
  repository: string;
  pullRequest: PullRequestFacts;
  approvers: ApproverFacts;
  deploySha?: string;
}
