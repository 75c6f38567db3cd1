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
  /** Who pushed the commit, when known. */
  pushedBy?: string;
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

export interface PullRequestFacts {
  number: number;
  author: Person;
  baseRef: string;
  headSha: string;
  merged: boolean;
  mergeCommitSha?: string;
  commits: CommitFact[];
  reviews: ReviewFact[];
  /** Paths of changed files. */
  files: string[];
  /** Set when any list could not be read completely: the gate then fails closed. */
  truncated?: string;
}

export interface ApproverFacts {
  /** login -> repository permission; a missing login means unknown. */
  permission: Record<string, RepositoryPermission>;
  /** login (lowercase) -> teams as "org/slug". */
  teams: Record<string, string[]>;
}

export interface GateFacts {
  repository: string;
  defaultBranch: string;
  pullRequest: PullRequestFacts;
  approvers: ApproverFacts;
  deploySha?: string;
}
