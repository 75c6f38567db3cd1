import { short } from './contributors.ts';

/** A pull request that contains the deployed commit, as the GitHub API lists it. */
export interface PullRequestCandidate {
  number: number;
  baseRef: string;
  state: 'OPEN' | 'CLOSED' | 'MERGED';
  mergeCommitSha?: string;
  headSha: string;
}

export type SubjectSelection = { ok: true; number: number } | { ok: false; reason: string };

/**
 * Which pull request a deployed commit came from. Only a merge commit of exactly one
 * merged pull request into a protected branch is reviewed code; anything else (a direct
 * push, an unmerged branch, a merge elsewhere) bypassed the gate and is refused.
 * `protectedBranches` is already defaulted to the repository's default branch.
 */
export function selectPullRequest(
  deploySha: string,
  candidates: readonly PullRequestCandidate[],
  protectedBranches: readonly string[],
): SubjectSelection {
  const sha = short(deploySha);
  const branches = protectedBranches.join(', ');
  const isProtected = (c: PullRequestCandidate) => protectedBranches.includes(c.baseRef);
  const mergedAs = candidates.filter((c) => c.state === 'MERGED' && c.mergeCommitSha === deploySha);
  const matches = mergedAs.filter(isProtected);

  if (matches.length > 1) {
    const numbers = matches.map((c) => `#${c.number}`).join(', ');
    return {
      ok: false,
      reason: `more than one merged pull request (${numbers}) has merge commit ${sha}: cannot tell which review applies`,
    };
  }
  const [match] = matches;
  if (match) return { ok: true, number: match.number };

  if (candidates.length === 0) {
    return {
      ok: false,
      reason: `no pull request contains ${sha}: it was pushed directly, bypassing review`,
    };
  }
  const elsewhere = mergedAs[0];
  if (elsewhere) {
    return {
      ok: false,
      reason: `pull request #${elsewhere.number} was merged into ${elsewhere.baseRef}, not a protected branch (${branches})`,
    };
  }
  const headOf = candidates.find((c) => c.headSha === deploySha);
  if (headOf && headOf.state === 'MERGED') {
    return {
      ok: false,
      reason: `${sha} is the head of pull request #${headOf.number}, not its merge commit: deploy the merge commit`,
    };
  }
  const open = candidates.filter((c) => c.state === 'OPEN');
  if (open.length === candidates.length) {
    const numbers = open.map((c) => `#${c.number}`).join(', ');
    return {
      ok: false,
      reason: `${sha} is only in open pull request ${numbers}: not merged, so not yet reviewed code`,
    };
  }
  return {
    ok: false,
    reason: `no merged pull request into ${branches} has merge commit ${sha}`,
  };
}
