import type { Octokit } from 'octokit';
import type { ApprovalPolicy } from '../approval/schema.ts';
import { verifyProvenance } from '../provenance/provenance.ts';
import type { ProvenancePolicy } from '../provenance/schema.ts';
import type { TrustRoot } from '../provenance/trust-roots.ts';
import type { ProvenanceVerdict } from '../provenance/verdict.ts';

/**
 * Which commit the two-person gate decides on for a release. The revision annotation (or
 * image tag) can be written by anyone who may edit the Deployment, so with
 * `approval.provenance` the commit comes from the signed provenance of every image digest
 * the template runs, and a revision that disagrees is a denial. The caller turns a
 * refusal into a verdict; this module only reads attestations.
 */

/** Said with every verdict reached under `approval.provenance: off`. */
export const OPERATOR_PROVENANCE_OFF =
  'provenance checking is off: the commit comes from an annotation anyone who may edit the Deployment can write';

export const PROVENANCE_UNSET =
  'the policy has no approval.provenance, and the operator checks provenance by default: add `approval.provenance: { workflow: .github/workflows/<file>.yml }` (the workflow that builds and attests the images) or `approval.provenance: off`';

export type CommitChoice =
  | { ok: true; sha: string; warnings: string[] }
  | { ok: false; outcome: 'denied' | 'undecided'; reasons: string[] };

export interface Release {
  repository: string;
  /** The commit the template names (annotation or image tag). */
  revision: string;
  /** 64 hex digits each. */
  digests: string[];
}

/** What needs no GitHub: whether provenance is off, on, or not configured. */
export function provenanceSetup(
  policy: ApprovalPolicy,
  release: Release,
): CommitChoice | { verify: ProvenancePolicy } {
  const setting = policy.provenance;
  if (setting === undefined) return { ok: false, outcome: 'denied', reasons: [PROVENANCE_UNSET] };
  if (setting === 'off') {
    return { ok: true, sha: release.revision, warnings: [OPERATOR_PROVENANCE_OFF] };
  }
  if (release.digests.length === 0) {
    return {
      ok: false,
      outcome: 'denied',
      reasons: ['the template names no image digest, so no provenance can name its commit'],
    };
  }
  return { verify: setting };
}

/** The commit every digest's verified provenance names, checked against the revision. */
export async function commitFromProvenance(
  octokit: Octokit,
  policy: ApprovalPolicy,
  release: Release,
  roots: TrustRoot[],
): Promise<CommitChoice> {
  const setup = provenanceSetup(policy, release);
  if (!('verify' in setup)) return setup;
  const setting = setup.verify;
  const [owner = '', repo = ''] = release.repository.split('/');
  const verdicts: [string, ProvenanceVerdict][] = [];
  // One digest after the other: a template has few images, and GitHub's rate limit is shared.
  for (const digest of release.digests) {
    verdicts.push([
      digest,
      await verifyProvenance(octokit, setting, { owner, repo, digest }, roots),
    ]);
  }
  return choose(verdicts, release.revision);
}

const shortDigest = (digest: string) => `sha256:${digest.slice(0, 12)}`;

/** Pure: the verdicts of each digest, in the template's order, to one commit or a refusal. */
export function choose(verdicts: [string, ProvenanceVerdict][], revision: string): CommitChoice {
  const failed = verdicts.filter(([, v]) => !v.ok);
  if (failed.length > 0) {
    const undecided = failed.every(([, v]) => !v.ok && v.undecided);
    const reasons = failed.flatMap(([digest, v]) =>
      v.ok ? [] : [`no verified provenance for ${shortDigest(digest)}: ${v.reasons.join('; ')}`],
    );
    return { ok: false, outcome: undecided ? 'undecided' : 'denied', reasons };
  }
  const commits = new Map<string, string[]>();
  for (const [digest, v] of verdicts) {
    if (!v.ok) continue;
    commits.set(v.commit, [...(commits.get(v.commit) ?? []), shortDigest(digest)]);
  }
  const [first, ...others] = [...commits.keys()];
  if (first === undefined) {
    return { ok: false, outcome: 'denied', reasons: ['no image digest to check'] };
  }
  if (others.length > 0) {
    const which = [...commits].map(([c, ds]) => `${ds.join(', ')} from ${c}`).join('; ');
    return {
      ok: false,
      outcome: 'denied',
      reasons: [
        `the images were built from different commits (${which}): one release is one commit`,
      ],
    };
  }
  if (!first.startsWith(revision)) {
    return {
      ok: false,
      outcome: 'denied',
      reasons: [
        `the template names commit ${revision} (annotation or image tag), but its images' signed provenance says they were built from ${first}: approvals of ${revision} do not cover what would run`,
      ],
    };
  }
  return { ok: true, sha: first, warnings: [] };
}
