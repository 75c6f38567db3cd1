import type { ApprovalVerdict } from '../approval/verdict.ts';
import { type Context, label, scaleCandidate } from './context.ts';
import { record, requeue, short } from './draft.ts';
import { allImages } from './rejections.ts';
import { computeRevision } from './revision.ts';
import type { ApprovalStatus } from './schema.ts';
import { guardStable } from './stable.ts';
import type { CommitState } from './state.ts';
import { imagesOf, type PodTemplate } from './template.ts';

/**
 * The two-person gate's side of a release: asking it, applying its answers, and holding
 * the candidate at zero while it says no. An answer counts only for the template, commit
 * and policy it was given for; status keeps the answer as a record, and the gate is asked
 * again before a promotion (see candidate.ts), so what status says is never enough.
 */

/** How often a blocked release asks the gate again; approvals arrive without a webhook. */
export const APPROVAL_RECHECK_MS = 60_000;
/** After an undecided answer (GitHub unreachable, a rate limit): sooner, it may pass. */
export const UNDECIDED_RECHECK_MS = 10_000;

export function commitStatus(
  ctx: Context,
  context: 'vakt/two-person' | 'vakt/probe',
  state: CommitState,
  description: string,
): void {
  const sha = ctx.draft.status.candidate?.revision;
  if (!sha) return;
  ctx.draft.actions.push({
    kind: 'postCommitStatus',
    repository: ctx.spec.source.repository,
    sha,
    context,
    state,
    description: short(description),
  });
}

/** Makes `template` the candidate, forgetting anything said about the one before. */
function newCandidate(ctx: Context, template: PodTemplate, templateHash: string) {
  const { draft } = ctx;
  const revision = computeRevision(
    template,
    ctx.observed.target?.annotations ?? {},
    ctx.spec.source.revision,
  );
  const image = imagesOf(template)[0];
  draft.status.candidate = {
    templateHash,
    ...(revision.ok ? { revision: revision.sha } : {}),
    ...(image ? { image } : {}),
  };
  delete draft.status.canaryPassed;
  return { candidate: draft.status.candidate, revision };
}

/** Starts a release for `templateHash`: forgets the previous candidate's approval. */
export function detect(ctx: Context, template: PodTemplate, templateHash: string): void {
  const { draft } = ctx;
  const { candidate, revision } = newCandidate(ctx, template, templateHash);
  if (!revision.ok) {
    // Fail closed: without a commit the gate has nothing to check.
    const message = `cannot tell which commit template ${templateHash} was built from: ${revision.reason}`;
    draft.status.approval = { templateHash, outcome: 'denied', approvers: [], count: 0, message };
    record(draft, 'Warning', 'Blocked', message, candidate);
    return;
  }
  draft.status.approval = {
    templateHash,
    revision: revision.sha,
    outcome: 'pending',
    approvers: [],
    count: 0,
  };
  record(
    draft,
    'Normal',
    'ReleaseDetected',
    `new template ${templateHash} (commit ${revision.sha}): checking approvals`,
    candidate,
  );
  commitStatus(ctx, 'vakt/two-person', 'pending', 'vakt is checking approvals');
}

function approvalMessage(verdict: ApprovalVerdict): string {
  if (verdict.outcome === 'approved') {
    const who = verdict.counted.map((c) => c.login).join(', ');
    return `approved by ${who || 'the policy'}`;
  }
  return [...verdict.reasons, ...verdict.missing].join('; ') || verdict.outcome;
}

const withWarnings = (message: string, warnings: string[] = []) =>
  [message, ...warnings.map((w) => `warning: ${w}`)].join('; ');

/** The image digests a template runs, each once: what provenance is checked for. */
export function digestsOf(template: PodTemplate): string[] {
  const digests = allImages(template).flatMap((image) => {
    const match = /@sha256:([0-9a-f]{64})$/.exec(image);
    return match?.[1] ? [match[1]] : [];
  });
  return [...new Set(digests)].sort();
}

/**
 * Applies the gate's answers about this candidate under the policy in force; records a
 * decision when the outcome changes. True when an answer arrived in this call.
 */
export function applyApprovals(ctx: Context, approval: ApprovalStatus): boolean {
  const { draft } = ctx;
  let answered = false;
  for (const report of ctx.reports) {
    if (report.kind !== 'approval') continue;
    if (report.templateHash !== approval.templateHash || report.revision !== approval.revision) {
      continue; // an answer about an older template or commit
    }
    if (ctx.policyDigest !== undefined && report.policyDigest !== ctx.policyDigest) {
      continue; // an answer under a policy that has changed since
    }
    answered = true;
    const { verdict } = report;
    const before = approval.outcome;
    approval.outcome = verdict.outcome;
    approval.approvers = verdict.counted.map((c) => c.login);
    approval.count = verdict.counted.length;
    if (verdict.evidence.pullRequest > 0) approval.pullRequest = verdict.evidence.pullRequest;
    approval.message = withWarnings(approvalMessage(verdict), report.warnings);
    approval.checkedAt = draft.at;
    if (report.policyDigest === undefined) delete approval.policyDigest;
    else approval.policyDigest = report.policyDigest;
    if (before === verdict.outcome) continue;
    const candidate = draft.status.candidate;
    const pr = approval.pullRequest ? ` (PR #${approval.pullRequest})` : '';
    if (verdict.outcome === 'approved') {
      record(
        draft,
        'Normal',
        'Approved',
        `${label(candidate)}${pr} ${approval.message}`,
        candidate,
      );
      // A description holds 140 characters: the warnings first, so they are never cut.
      const description = [...(report.warnings ?? []), approvalMessage(verdict)].join('; ');
      commitStatus(ctx, 'vakt/two-person', 'success', description);
    } else {
      const message = `${label(candidate)}${pr} is not approved: ${approval.message}`;
      record(draft, 'Warning', 'Blocked', message, candidate);
      commitStatus(
        ctx,
        'vakt/two-person',
        verdict.outcome === 'denied' ? 'failure' : 'error',
        message,
      );
    }
  }
  return answered;
}

/**
 * An approval given under another policy than the one in force (a ConfigMap edited, an
 * inline policy changed) no longer counts: the gate is asked again under the new one, and
 * until it answers the candidate is held at zero. A stricter policy thus revokes an
 * approval it would not give.
 */
export function expireUnderChangedPolicy(ctx: Context, approval: ApprovalStatus): void {
  const digest = ctx.policyDigest;
  if (digest === undefined || !approval.revision) return;
  if (approval.outcome !== 'approved' || approval.policyDigest === digest) return;
  approval.outcome = 'pending';
  approval.message = 'the policy changed since the approval: asking the gate again under it';
  delete approval.requestedAt;
  delete ctx.draft.status.canaryPassed;
  record(
    ctx.draft,
    'Warning',
    'Blocked',
    `${label(ctx.draft.status.candidate)}: ${approval.message}`,
    ctx.draft.status.candidate,
  );
}

/**
 * Asks the gate about the candidate (`template`) now, and wakes up in `every` ms to ask
 * again.
 */
export function askGate(
  ctx: Context,
  approval: ApprovalStatus,
  template: PodTemplate,
  every: number,
): void {
  if (!approval.revision) return;
  ctx.draft.actions.push({
    kind: 'checkApproval',
    templateHash: approval.templateHash,
    revision: approval.revision,
    repository: ctx.spec.source.repository,
    digests: digestsOf(template),
    ...(ctx.policyDigest !== undefined ? { policyDigest: ctx.policyDigest } : {}),
  });
  approval.requestedAt = ctx.draft.at;
  requeue(ctx.draft, every);
}

/** Asks the gate unless it was asked less than `every` ms ago; then wakes up when it is due. */
export function askGateEvery(
  ctx: Context,
  approval: ApprovalStatus,
  template: PodTemplate,
  every: number,
): void {
  const { draft } = ctx;
  if (!approval.revision) return;
  const asked = approval.requestedAt ? Date.parse(approval.requestedAt) : undefined;
  const onDemand = ctx.reports.some((r) => r.kind === 'approvalRecheck');
  const elapsed = asked === undefined ? Infinity : draft.now - asked;
  if (onDemand || elapsed >= every) askGate(ctx, approval, template, every);
  else requeue(draft, every - elapsed);
}

/**
 * A template that names an image by tag: a tag can be moved to other bytes after the
 * approval, a digest cannot. Never asked about, never run; said once per template.
 */
export function notPinned(
  ctx: Context,
  template: PodTemplate,
  templateHash: string,
  unpinned: string[],
): void {
  const { draft } = ctx;
  const message = `template ${templateHash} names images by tag, not by digest (${unpinned.join(', ')}): approvals bind to the bytes that run, so pin each image as name:tag@sha256:<digest> (the digest your build pushed, e.g. from \`crane digest\` or \`docker buildx imagetools inspect\`)`;
  const known =
    draft.status.candidate?.templateHash === templateHash &&
    draft.status.approval?.message === message;
  if (!known) {
    const { candidate } = newCandidate(ctx, template, templateHash);
    // No revision: nothing here is for the gate to answer.
    draft.status.approval = { templateHash, outcome: 'denied', approvers: [], count: 0, message };
    record(draft, 'Warning', 'Blocked', message, candidate);
    commitStatus(ctx, 'vakt/two-person', 'failure', message);
  }
  draft.status.phase = 'Blocked';
  draft.status.message = message;
  scaleCandidate(ctx, 0, true);
  guardStable(ctx);
}

/** Not approved (yet): no replicas, and ask the gate again from time to time. */
export function blocked(ctx: Context, approval: ApprovalStatus, template: PodTemplate): void {
  const { draft } = ctx;
  draft.status.phase = 'Blocked';
  draft.status.message = approval.message ?? 'waiting for the two-person gate';
  delete draft.status.canaryPassed;
  // The target may have rolled from an approved template to this one: out at once.
  scaleCandidate(ctx, 0, true);
  guardStable(ctx);
  const every = approval.outcome === 'undecided' ? UNDECIDED_RECHECK_MS : APPROVAL_RECHECK_MS;
  askGateEvery(ctx, approval, template, every);
}
