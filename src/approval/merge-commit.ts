import { short } from './contributors.ts';
import type { PullRequestFacts } from './facts.ts';
import type { ApprovalPolicy } from './schema.ts';

/**
 * Whether the deployed merge commit is one GitHub made. GitHub calls a pull request merged
 * as soon as its head is in the base branch, so a merge made locally, with any change added
 * to the merge commit, and pushed straight to the branch becomes "the merge commit" with
 * all the approvals. Every commit GitHub makes itself (a merge, squash or rebase in its web
 * interface or API) is signed with its web-flow key; a verified signature of that key is
 * what proves the commit holds only the reviewed change. The policy may trust the verified
 * signatures of named signers too (`localMerges.signers`), e.g. a merge bot's own key.
 * Returns the sentence that says why it may not ship, or undefined.
 */
export function mergeProblem(
  policy: ApprovalPolicy,
  pr: PullRequestFacts,
  deploySha: string,
): string | undefined {
  const signature = pr.mergeSignature;
  const trusted = new Set(policy.localMerges.signers.map((s) => s.toLowerCase()));
  let why: string;
  if (!signature) {
    why = 'it is unsigned';
  } else if (!signature.valid) {
    why = `its signature does not verify (${signature.state})`;
  } else if (signature.byGitHub) {
    return undefined;
  } else if (signature.signer && trusted.has(signature.signer.toLowerCase())) {
    return undefined;
  } else {
    why = signature.signer
      ? `it is signed by @${signature.signer}, who is not in approval.localMerges.signers`
      : 'it is signed by a key GitHub links to no account';
  }
  return `the deployed commit ${short(deploySha)} was not made by GitHub: ${why}; a merge commit made outside GitHub can carry changes nobody reviewed, so it cannot borrow the approvals of pull request #${pr.number}`;
}
