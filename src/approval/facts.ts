/**
 * What the gate knows about one pull request: plain data, fetched from GitHub by an
 * adapter, so `evaluate()` stays a pure function that tests can feed by hand.
 */

export type RepositoryPermission = 'none' | 'read' | 'triage' | 'write' | 'maintain' | 'admin';

export interface Person {
  login: string;
  type: 'User' | 'Bot' | 'Organization' | 'Mannequin';
}

export interface GitIdentity {
  login?: string;
  email?: string;
}

export interface CommitFact {
  sha: string;
  author?: GitIdentity;
  committer?: GitIdentity;
  /** From `Co-authored-by:` trailers of the commit message. */
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
  /** login (lowercase) -> verified e-mails, to match co-author trailers by e-mail. */
  emails: Record<string, string[]>;
}

export interface GateFacts {
  repository: string;
  defaultBranch: string;
  pullRequest: PullRequestFacts;
  approvers: ApproverFacts;
  deploySha?: string;
}
