/** The gate's answer, with enough detail that a reader can check it by hand. */
export interface ApprovalVerdict {
  outcome: 'approved' | 'denied' | 'undecided';
  /** Why denied or undecided, as sentences; empty when approved. */
  reasons: string[];
  counted: { login: string; reviewId: number; commitId: string }[];
  notCounted: { login: string; reason: string }[];
  /** What would still be needed, e.g. "needs 1 more approval from @acme/release-managers". */
  missing: string[];
  required: { approvals: number; teams: { teams: string[]; count: number }[] };
  evidence: {
    repository: string;
    pullRequest: number;
    baseRef: string;
    /** The base commit the pull request was compared against; absent when it was not read. */
    baseSha?: string;
    headSha: string;
    deploySha?: string;
  };
}
