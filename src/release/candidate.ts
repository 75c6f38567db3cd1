import {
  applyApprovals,
  askGate,
  askGateEvery,
  blocked,
  commitStatus,
  detect,
  expireUnderChangedPolicy,
  notPinned,
  UNDECIDED_RECHECK_MS,
} from './approval.ts';
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
import { record, requeue, setCondition } from './draft.ts';
import { EXPOSURE_RECHECK_MS, exposedMessage } from './exposure.ts';
import { unpinnedImages } from './rejections.ts';
import { computeRevision } from './revision.ts';
import { type CanaryPassed, durationMs } from './schema.ts';
import { guardStable, stableLeak } from './stable.ts';
import type { ProbeReport } from './state.ts';
import { templateHash as hashOf, type PodTemplate } from './template.ts';

/**
 * A new template on the target: approval, then canary, then a second look at the
 * approval, then promotion or rejection.
 */

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

/**
 * The bound is met: the run is kept and the gate is asked once more. Status recorded the
 * approval when the canary began; only the gate's answer now, under the policy in force,
 * lets the template serve users.
 */
function passCanary(ctx: Context, report: ProbeReport, template: PodTemplate): void {
  const { draft } = ctx;
  const approval = draft.status.approval;
  if (!approval) return;
  noteProgress(ctx, report);
  const bound = report.leakRateBound ?? 0;
  draft.status.canaryPassed = {
    templateHash: report.templateHash,
    runId: report.runId,
    checked: report.counters.checked,
    leakRateBound: bound,
    maxLeakRate: report.maxLeakRate,
    at: draft.at,
  };
  draft.status.phase = 'Canary';
  draft.status.message = `${label(draft.status.candidate)} passed the canary; confirming its approvals before promotion`;
  setCondition(draft, 'ProbesPassing', 'True', 'CanaryPassed', `bound ${bound.toPrecision(2)} met`);
  askGate(ctx, approval, template, UNDECIDED_RECHECK_MS);
}

/** The template becomes stable and bakes: the canary passed and the gate said yes again. */
function promote(ctx: Context, template: PodTemplate, passed: CanaryPassed): void {
  const { draft } = ctx;
  const stable = draft.status.stable;
  const candidate = draft.status.candidate;
  if (!stable || !candidate) return;
  const approvers = draft.status.approval?.message ?? 'approved';
  delete draft.status.canaryPassed;
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
  record(
    draft,
    'Normal',
    'Promoted',
    `${label(candidate)} passed: leak rate below ${passed.leakRateBound.toPrecision(2)} (policy ${passed.maxLeakRate}) after ${passed.checked} checked responses, ${approvers} (confirmed); baking for ${ctx.spec.bakeTime}`,
    candidate,
  );
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
function canary(
  ctx: Context,
  template: PodTemplate,
  templateHash: string,
  answered: boolean,
): void {
  const { draft, observed } = ctx;
  const candidate = draft.status.candidate;
  const foreign = observed.foreignCanaryPods ?? [];
  const passed = draft.status.canaryPassed;
  if (passed && (passed.templateHash !== templateHash || foreign.length > 0)) {
    delete draft.status.canaryPassed;
  } else if (passed) {
    if (answered) promote(ctx, template, passed);
    else {
      draft.status.phase = 'Canary';
      if (draft.status.approval) {
        askGateEvery(ctx, draft.status.approval, template, UNDECIDED_RECHECK_MS);
      }
    }
    return;
  }
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
    if (boundMet(report) && foreign.length === 0) {
      passCanary(ctx, report, template);
      return;
    }
    const isNews = noteProgress(ctx, report);
    // A run beside other pods says nothing either way; polluted() says why.
    if (isNews && report.outcome !== 'running' && foreign.length === 0) {
      record(
        draft,
        'Normal',
        'ProbeInconclusive',
        `probe run on ${label(candidate)} ended without meeting the bound (${report.reason ?? report.outcome}); probing again`,
        candidate,
      );
    }
  }
  if (foreign.length > 0) {
    polluted(ctx, foreign);
    return;
  }
  const exposed = exposedMessage(ctx, 'release');
  if (exposed) {
    heldAtZero(ctx, 'CandidateExposed', exposed);
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

/**
 * Other pods answer on `<name>-canary`: a probe through it would see them as well as the
 * candidate, so a clean stub beside a leaking candidate could make it pass. Until they
 * are gone nothing is probed or promoted; the candidate waits at zero.
 */
function polluted(ctx: Context, pods: string[]): void {
  const message = `pods ${pods.join(', ')} answer on Service ${ctx.name}-canary but are not pods of Deployment ${ctx.spec.targetRef.name}: a probe would not see the candidate alone; it is not probed or promoted until they are gone`;
  if (ctx.observed.probe?.target === 'candidate') ctx.draft.actions.push({ kind: 'stopProbe' });
  heldAtZero(ctx, 'CanaryPolluted', message);
}

/**
 * An approved candidate that must wait for something outside vakt (a route, a Service,
 * a pod): Blocked at zero, said once per message, looked at again in a while.
 */
function heldAtZero(
  ctx: Context,
  reason: 'CandidateExposed' | 'CanaryPolluted',
  message: string,
): void {
  const { draft } = ctx;
  draft.status.phase = 'Blocked';
  if (draft.status.message !== message) {
    record(draft, 'Warning', reason, message, draft.status.candidate);
  }
  draft.status.message = message;
  scaleCandidate(ctx, 0, true);
  guardStable(ctx);
  requeue(draft, EXPOSURE_RECHECK_MS);
}

/** The commit can be found now (say, the Deployment got its annotation late). */
function revisionFound(ctx: Context, template: PodTemplate): boolean {
  const annotations = ctx.observed.target?.annotations ?? {};
  return computeRevision(template, annotations, ctx.spec.source.revision).ok;
}

/** The target runs `template`, which is neither stable nor rejected. */
export function release(ctx: Context, template: PodTemplate, templateHash: string): void {
  const { draft } = ctx;
  const unpinned = unpinnedImages(template);
  if (unpinned.length > 0) {
    notPinned(ctx, template, templateHash, unpinned);
    return;
  }
  const known = draft.status.candidate?.templateHash === templateHash && draft.status.approval;
  if (!known || (!draft.status.approval?.revision && revisionFound(ctx, template))) {
    detect(ctx, template, templateHash);
  }
  const approval = draft.status.approval;
  if (!approval) return;
  const answered = applyApprovals(ctx, approval);
  expireUnderChangedPolicy(ctx, approval);
  if (approval.outcome === 'approved') canary(ctx, template, templateHash, answered);
  else blocked(ctx, approval, template);
}
