import type { Octokit } from 'octokit';
import { decide, shell } from '../approval/decide.ts';
import { factsError } from '../approval/fetch-errors.ts';
import type { ApprovalPolicy } from '../approval/schema.ts';
import type { ApprovalVerdict } from '../approval/verdict.ts';
import { imageStep } from '../cli/gate-image.ts';
import { parseImageRef } from '../provenance/image-ref.ts';
import { gateText } from '../report/gate-text.ts';
import type { DeploymentWork } from './events.ts';
import { readPolicyAt } from './policy-at-ref.ts';

/**
 * A custom deployment protection rule answered: the gate's verdict on the deployed commit
 * (and, when the deployment names an image, on the commit its signed provenance names,
 * as `vakt gate --image` checks it), under the default branch's policy. Only an approval
 * approves; anything else, errors included, rejects with the reason as the comment.
 */

export interface ReviewResult {
  state: 'approved' | 'rejected';
  outcome: ApprovalVerdict['outcome'];
  /** Why the review could not be sent; absent when it was. */
  postFailure?: string;
}

export interface ReviewBody {
  environment_name: string;
  state: 'approved' | 'rejected';
  comment: string;
}

/** Kept well inside what a review comment shows; the check run has the full story. */
export const MAX_COMMENT = 2000;

export async function reviewDeployment(
  octokit: Octokit,
  work: DeploymentWork,
  settings: { policyPath: string; trustedRoot?: string },
): Promise<ReviewResult> {
  const { outcome, comment } = await judge(octokit, work, settings);
  const body = reviewBody(work.environment, outcome, comment);
  const result: ReviewResult = { state: body.state, outcome };
  try {
    await octokit.request(
      'POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule',
      { owner: work.owner, repo: work.repo, run_id: work.runId, ...body },
    );
  } catch (error) {
    result.postFailure = factsError(error, 'could not answer the deployment').message;
  }
  return result;
}

/** Pure: the review GitHub gets. Approved only when the gate approved. */
export function reviewBody(
  environment: string,
  outcome: ApprovalVerdict['outcome'],
  comment: string,
): ReviewBody {
  const chars = [...comment.trimEnd()];
  const clipped =
    chars.length > MAX_COMMENT ? `${chars.slice(0, MAX_COMMENT - 1).join('')}…` : chars.join('');
  return {
    environment_name: environment,
    state: outcome === 'approved' ? 'approved' : 'rejected',
    comment: clipped,
  };
}

async function judge(
  octokit: Octokit,
  work: DeploymentWork,
  settings: { policyPath: string; trustedRoot?: string },
): Promise<{ outcome: ApprovalVerdict['outcome']; comment: string }> {
  const { owner, repo } = work;
  const at = { owner, repo, branch: work.defaultBranch, path: settings.policyPath };
  const policy = await readPolicyAt(octokit, at);
  if (!policy.ok) {
    return { outcome: policy.outcome, comment: lines(policy.outcome, policy.reasons) };
  }
  const source = policy.source;
  let sha = work.sha;
  let imageLines: string[] = [];
  if (work.image !== undefined) {
    const step = await imageCommit(
      octokit,
      work,
      work.image,
      policy.policy,
      policy.source,
      settings,
    );
    if ('refused' in step) return step.refused;
    imageLines = step.lines;
    if (!step.ok)
      return { outcome: step.verdict.outcome, comment: text(step.verdict, imageLines, source) };
    sha = step.sha;
  }
  const verdict = await decide(octokit, policy.policy, { owner, repo, sha });
  return { outcome: verdict.outcome, comment: text(verdict, imageLines, source) };
}

type ImageCommit =
  | Awaited<ReturnType<typeof imageStep>>
  | { refused: { outcome: 'denied' | 'undecided'; comment: string } };

/** The commit the image's provenance names, which must be the deployed one. */
async function imageCommit(
  octokit: Octokit,
  work: DeploymentWork,
  ref: string,
  policy: ApprovalPolicy,
  policyFile: string,
  settings: { trustedRoot?: string },
): Promise<ImageCommit> {
  const refuse = (reason: string) => ({
    refused: { outcome: 'denied' as const, comment: lines('denied', [reason]) },
  });
  const image = parseImageRef(ref);
  if (!image.ok) {
    return refuse(
      `the deployment payload's image "${ref}" is not pinned by digest: name it as IMAGE@sha256:<64 hex digits>`,
    );
  }
  if (policy.provenance === undefined) {
    return refuse(
      `the deployment names image ${ref}, but ${policyFile} has no approval.provenance to check it by (e.g. provenance: { workflow: .github/workflows/release.yml })`,
    );
  }
  try {
    return await imageStep({
      octokit,
      policy,
      policyFile,
      owner: work.owner,
      repo: work.repo,
      image,
      sha: work.sha,
      trustedRoot: settings.trustedRoot,
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const verdict = shell(policy, work, 'undecided', `could not check the image: ${why}`, work.sha);
    return { refused: { outcome: 'undecided', comment: text(verdict, [], '') } };
  }
}

function text(verdict: ApprovalVerdict, steps: string[], source: string): string {
  const [headline, ...rest] = gateText(verdict).trimEnd().split('\n');
  const tail = source ? [`  ${'policy'.padEnd(13)} ${source}`] : [];
  return [headline, ...steps, ...rest, ...tail].join('\n');
}

function lines(outcome: 'denied' | 'undecided', reasons: readonly string[]): string {
  const label = outcome === 'denied' ? 'DENIED' : 'UNDECIDED';
  const [first = 'no reason given', ...rest] = reasons;
  return [`vakt gate: ${label}  ${first}`, ...rest.map((r) => `  ${r}`)].join('\n');
}
