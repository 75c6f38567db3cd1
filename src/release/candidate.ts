import type { ApprovalVerdict } from '../approval/verdict.ts';
import {
  addRejected,
  boundMet,
  type Context,
  ensureProbe,
  label,
  leakStatus,
  noteProgress,
  probeReports,
  scaleCandidate,
} from './context.ts';
import { record, requeue, setCondition, short } from './draft.ts';
import { EXPOSURE_RECHECK_MS, exposedMessage } from './exposure.ts';
import { computeRevision } from './revision.ts';
import { type ApprovalStatus, durationMs } from './schema.ts';
import { guardStable, stableLeak } from './stable.ts';
import type { CommitState, ProbeReport } from './state.ts';
import { templateHash as hashOf, imagesOf, type PodTemplate } from './template.ts';

/** A new template on the target: approval, then canary, then promotion or rejection. */

/** How often a blocked release asks the gate again; approvals arrive without a webhook. */
export const APPROVAL_RECHECK_MS = 60_000;
/** After an undecided answer (GitHub unreachable, a rate limit): sooner, it may pass. */
export const UNDECIDED_RECHECK_MS = 10_000;

function commitStatus(
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

/** Starts a release for `templateHash`: forgets the previous candidate's approval. */
function detect(ctx: Context, template: PodTemplate, templateHash: string): void {
  const { draft, observed } = ctx;
  const revision = computeRevision(
    template,
    observed.target?.annotations ?? {},
    ctx.spec.source.revision,
  );
  const image = imagesOf(template)[0];
  draft.status.candidate = {
    templateHash,
    ...(revision.ok ? { revision: revision.sha } : {}),
    ...(image ? { image } : {}),
  };
  const candidate = draft.status.candidate;
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

/** Applies the gate's answers about this candidate; records a decision when the outcome changes. */
function applyApprovals(ctx: Context, approval: ApprovalStatus): void {
  const { draft } = ctx;
  for (const report of ctx.reports) {
    if (report.kind !== 'approval') continue;
    if (report.templateHash !== approval.templateHash || report.revision !== approval.revision) {
      continue; // an answer about an older template or commit
    }
    const { verdict } = report;
    const before = approval.outcome;
    approval.outcome = verdict.outcome;
    approval.approvers = verdict.counted.map((c) => c.login);
    approval.count = verdict.counted.length;
    if (verdict.evidence.pullRequest > 0) approval.pullRequest = verdict.evidence.pullRequest;
    approval.message = approvalMessage(verdict);
    approval.checkedAt = draft.at;
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
      commitStatus(ctx, 'vakt/two-person', 'success', approval.message);
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
}

/** Not approved (yet): no replicas, and ask the gate again from time to time. */
function blocked(ctx: Context, approval: ApprovalStatus): void {
  const { draft } = ctx;
  draft.status.phase = 'Blocked';
  draft.status.message = approval.message ?? 'waiting for the two-person gate';
  // The target may have rolled from an approved template to this one: out at once.
  scaleCandidate(ctx, 0, true);
  guardStable(ctx);
  if (!approval.revision) return;
  const asked = approval.requestedAt ? Date.parse(approval.requestedAt) : undefined;
  const onDemand = ctx.reports.some((r) => r.kind === 'approvalRecheck');
  const elapsed = asked === undefined ? Infinity : draft.now - asked;
  const every = approval.outcome === 'undecided' ? UNDECIDED_RECHECK_MS : APPROVAL_RECHECK_MS;
  if (onDemand || elapsed >= every) {
    draft.actions.push({
      kind: 'checkApproval',
      templateHash: approval.templateHash,
      revision: approval.revision,
      repository: ctx.spec.source.repository,
    });
    approval.requestedAt = draft.at;
    requeue(draft, every);
  } else {
    requeue(draft, every - elapsed);
  }
}

/** The first leak: candidate to zero before anything else, template rejected for good. */
function reject(ctx: Context, report: ProbeReport): void {
  const { draft } = ctx;
  draft.urgent.push(
    { kind: 'scaleCandidate', replicas: 0, rejectTemplate: report.templateHash },
    { kind: 'stopProbe' },
  );
  const candidate = draft.status.candidate;
  noteProgress(ctx, report);
  const leak = leakStatus(report, draft.at, candidate?.revision);
  draft.status.lastLeak = leak;
  const target = ctx.observed.target?.template;
  const template = target && hashOf(target) === report.templateHash ? target : undefined;
  addRejected(draft, report.templateHash, leak.summary, candidate?.revision, template);
  draft.status.phase = 'Reverted';
  draft.status.message = `leak on candidate ${label(candidate)}: ${leak.summary}; scaled to 0, template ${report.templateHash} rejected`;
  draft.actions.push({ kind: 'countLeak', target: 'candidate' });
  record(draft, 'Warning', 'Reverted', draft.status.message, candidate);
  setCondition(draft, 'ProbesPassing', 'False', 'LeakOnCandidate', leak.summary);
  commitStatus(ctx, 'vakt/probe', 'failure', `cross-tenant leak: ${leak.summary}`);
}

/** The bound is met: the candidate's template becomes stable and bakes. */
function promote(ctx: Context, template: PodTemplate, report: ProbeReport): void {
  const { draft } = ctx;
  const stable = draft.status.stable;
  const candidate = draft.status.candidate;
  if (!stable || !candidate) return;
  noteProgress(ctx, report);
  const bakeMs = promoted(ctx, template);
  draft.actions.push(
    {
      kind: 'setStable',
      template,
      templateHash: candidate.templateHash,
      replicas: stable.replicas,
      why: 'promote',
    },
    { kind: 'scaleCandidate', replicas: 0 },
    { kind: 'startProbe', target: 'stable', mode: 'bake', templateHash: candidate.templateHash },
  );
  ctx.stableSet = true;
  const bound = report.leakRateBound ?? 0;
  record(
    draft,
    'Normal',
    'Promoted',
    `${label(candidate)} passed: leak rate below ${bound.toPrecision(2)} (policy ${report.maxLeakRate}) after ${report.counters.checked} checked responses; baking for ${ctx.spec.bakeTime}`,
    candidate,
  );
  setCondition(draft, 'ProbesPassing', 'True', 'CanaryPassed', `bound ${bound.toPrecision(2)} met`);
  requeue(draft, bakeMs);
}

/**
 * Status after a promotion: the candidate is stable, the release before it is kept for a
 * restore, and the bake begins. Returns the bake time.
 */
export function promoted(ctx: Context, template: PodTemplate): number {
  const { status } = ctx.draft;
  const { stable, candidate } = status;
  if (!stable || !candidate) return 0;
  const bakeMs = durationMs(ctx.spec.bakeTime);
  status.previousStable = stable;
  status.stable = { ...candidate, template, replicas: stable.replicas };
  status.bakeUntil = new Date(ctx.draft.now + bakeMs).toISOString();
  // Passes of an earlier bake say nothing about this template.
  status.bake = { templateHash: candidate.templateHash, passedRuns: 0 };
  status.phase = 'Baking';
  status.message = `${label(candidate)} promoted; probing it until ${status.bakeUntil}`;
  return bakeMs;
}

/** Approved: the candidate runs behind `<name>-canary` only, under probe. */
function canary(ctx: Context, template: PodTemplate, templateHash: string): void {
  const { draft, observed } = ctx;
  const candidate = draft.status.candidate;
  let edgeLeaks = false;
  for (const report of probeReports(ctx, 'candidate', 'canary', templateHash)) {
    if (report.outcome === 'leak' && report.via === 'edge') {
      // The edge serves stable, not the candidate: an alarm, and no promotion behind it.
      stableLeak(ctx, report, `the probe of ${label(candidate)}`);
      edgeLeaks = true;
      continue;
    }
    if (report.outcome === 'leak') {
      reject(ctx, report);
      return;
    }
    if (boundMet(report)) {
      promote(ctx, template, report);
      return;
    }
    const isNews = noteProgress(ctx, report);
    if (isNews && report.outcome !== 'running') {
      record(
        draft,
        'Normal',
        'ProbeInconclusive',
        `probe run on ${label(candidate)} ended without meeting the bound (${report.reason ?? report.outcome}); probing again`,
        candidate,
      );
    }
  }
  const exposed = exposedMessage(ctx, 'release');
  if (exposed) {
    draft.status.phase = 'Blocked';
    if (draft.status.message !== exposed) {
      record(draft, 'Warning', 'CandidateExposed', exposed, candidate);
    }
    draft.status.message = exposed;
    scaleCandidate(ctx, 0, true);
    guardStable(ctx);
    requeue(draft, EXPOSURE_RECHECK_MS);
    return;
  }
  const replicas = ctx.spec.probe.canaryReplicas;
  draft.status.phase = 'Canary';
  scaleCandidate(ctx, replicas);
  const target = observed.target;
  if (target?.ready && target.replicas === replicas) {
    draft.status.message = edgeLeaks
      ? `the edge URL leaks (it serves stable); ${label(candidate)} is not promoted while it does, probing again`
      : `probing ${label(candidate)} through ${ctx.name}-canary`;
    ensureProbe(ctx, 'candidate', 'canary', templateHash);
  } else {
    draft.status.message = `waiting for ${replicas} ready candidate replicas of ${label(candidate)}`;
  }
}

/** The commit can be found now (say, the Deployment got its annotation late). */
function revisionFound(ctx: Context, template: PodTemplate): boolean {
  const annotations = ctx.observed.target?.annotations ?? {};
  return computeRevision(template, annotations, ctx.spec.source.revision).ok;
}

/** The target runs `template`, which is neither stable nor rejected. */
export function release(ctx: Context, template: PodTemplate, templateHash: string): void {
  const { draft } = ctx;
  const known = draft.status.candidate?.templateHash === templateHash && draft.status.approval;
  if (!known || (!draft.status.approval?.revision && revisionFound(ctx, template))) {
    detect(ctx, template, templateHash);
  }
  const approval = draft.status.approval;
  if (!approval) return;
  applyApprovals(ctx, approval);
  if (approval.outcome === 'approved') canary(ctx, template, templateHash);
  else blocked(ctx, approval);
}
