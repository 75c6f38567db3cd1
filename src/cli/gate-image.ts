import type { Octokit } from 'octokit';
import { shell } from '../approval/decide.ts';
import type { ApprovalPolicy } from '../approval/schema.ts';
import type { ApprovalVerdict } from '../approval/verdict.ts';
import type { ImageRef } from '../provenance/image-ref.ts';
import { instanceOf, verifyProvenance } from '../provenance/provenance.ts';
import { PROVENANCE_OFF_WARNING } from '../provenance/schema.ts';
import { loadTrustRoots, TrustRootError } from '../provenance/trust-roots.ts';
import type { ProvenanceVerdict } from '../provenance/verdict.ts';
import { UsageError } from './command.ts';

/** What `--image` settled before the gate: the commit to check, or a denial. */
export type ImageStep =
  | { ok: true; sha: string; lines: string[]; report: ImageReport }
  | { ok: false; verdict: ApprovalVerdict; lines: string[]; report: ImageReport };

export interface ImageReport {
  image: string;
  digest: string;
  provenance: ProvenanceVerdict | 'off';
  warnings: string[];
}

type Pinned = Extract<ImageRef, { ok: true }>;

/**
 * The first steps of `vakt gate --image`: the digest's signed provenance names the
 * commit, which the two-person gate then checks. A commit given with --sha must be
 * that one. Bad setup (no provenance policy, an unreadable trusted root) is a
 * UsageError; everything GitHub answers is a verdict.
 */
export async function imageStep(input: {
  octokit: Octokit;
  policy: ApprovalPolicy;
  policyFile: string;
  owner: string;
  repo: string;
  image: Pinned;
  sha: string | undefined;
  trustedRoot: string | undefined;
}): Promise<ImageStep> {
  const { policy, image, sha } = input;
  const pinned = `${image.name}@sha256:${image.digest}`;
  const setting = policy.provenance;
  if (setting === undefined) {
    throw new UsageError(
      `${input.policyFile} has no approval.provenance: --image needs one to know which workflow builds releases (e.g. provenance: { workflow: .github/workflows/release.yml })`,
    );
  }
  if (setting === 'off') {
    if (sha === undefined) {
      throw new UsageError(
        'approval.provenance is off, so --image cannot name a commit: pass --sha SHA as well',
      );
    }
    const report = {
      image: pinned,
      digest: image.digest,
      provenance: 'off' as const,
      warnings: [PROVENANCE_OFF_WARNING],
    };
    return {
      ok: true,
      sha,
      lines: [`  ${'warning'.padEnd(13)} ${PROVENANCE_OFF_WARNING}`],
      report,
    };
  }
  // An API URL that names no GitHub vakt knows is a setup mistake, told before any request.
  const instance = instanceOf(input.octokit);
  if (!instance.ok) throw new UsageError(`GITHUB_API_URL: ${instance.reason}`);
  let roots: Awaited<ReturnType<typeof loadTrustRoots>>;
  try {
    roots = await loadTrustRoots(input.trustedRoot);
  } catch (error) {
    if (error instanceof TrustRootError) throw new UsageError(error.message);
    throw error;
  }
  const subject = { owner: input.owner, repo: input.repo, digest: image.digest };
  const verdict = await verifyProvenance(input.octokit, setting, subject, roots);
  const report: ImageReport = {
    image: pinned,
    digest: image.digest,
    provenance: verdict,
    warnings: [],
  };
  const imageLine = `  ${'image'.padEnd(13)} ${pinned}`;
  if (!verdict.ok) {
    const reasons = [
      `no verified provenance for sha256:${image.digest.slice(0, 12)}`,
      ...verdict.reasons,
    ];
    return { ok: false, verdict: denial(input, reasons, sha), lines: [imageLine], report };
  }
  const lines = [
    imageLine,
    `  ${'provenance'.padEnd(13)} built by ${verdict.workflow} on ${verdict.ref} from ${verdict.commit} (${verdict.bundles} attestation${verdict.bundles === 1 ? '' : 's'} verified)`,
  ];
  if (sha !== undefined && !verdict.commit.startsWith(sha)) {
    const reason = `--sha ${sha} is not the commit the image was built from: its provenance names ${verdict.commit}`;
    return { ok: false, verdict: denial(input, [reason], verdict.commit), lines, report };
  }
  return { ok: true, sha: verdict.commit, lines, report };
}

/** A denial reached before the pull request was read (see the gate's own shell()). */
function denial(
  input: { policy: ApprovalPolicy; owner: string; repo: string },
  reasons: string[],
  deploySha: string | undefined,
): ApprovalVerdict {
  return shell(
    input.policy,
    { owner: input.owner, repo: input.repo },
    'denied',
    reasons,
    deploySha,
  );
}
