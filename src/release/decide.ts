import { bake } from './bake.ts';
import { release } from './candidate.ts';
import { type Context, label } from './context.ts';
import { type Draft, newDraft, record, requeue, setCondition } from './draft.ts';
import { EXPOSURE_RECHECK_MS, exposedMessage, noteCandidateLabels } from './exposure.ts';
import { convergeStable, holdLastKnownGood } from './hold.ts';
import { recoverRejections } from './recover.ts';
import { findRejection, releaseKey } from './rejections.ts';
import { computeRevision } from './revision.ts';
import { idle, reverted } from './stable.ts';
import type { DecideInput, DecideOutput } from './state.ts';
import { imagesOf, type PodTemplate, templateHash } from './template.ts';
import {
  describeProblems,
  type SpecProblem,
  validateInlinePolicy,
  validateSpec,
} from './validate.ts';

/**
 * The ReleaseGuard state machine: a pure function from the guard, what the cluster looks
 * like and the reports that arrived, to the status to write and the actions to run.
 * Decisions (and their Events) are recorded only on transitions, and every action is
 * declarative, so running decide() again on its own output repeats nothing.
 */
export function decide(input: DecideInput): DecideOutput {
  const { guard, observed } = input;
  const draft = newDraft(input.now, guard.generation, guard.status);
  // Before anything can return: an Invalid guard is shown its protection too.
  if (input.admission) {
    const { status, reason, message } = input.admission;
    setCondition(draft, 'AdmissionPolicies', status, reason, message);
  }

  const checked = validateSpec(guard.spec);
  const problems: SpecProblem[] = checked.ok ? [] : checked.problems;
  if (checked.ok && checked.value.policy.inline) {
    const policy = validateInlinePolicy(checked.value.policy.inline);
    if (!policy.ok) problems.push(...policy.problems);
  }
  problems.push(...(input.policyProblems ?? []));
  if (checked.ok)
    problems.push(...targetProblems(guard.name, checked.value.targetRef.name, observed));
  if (!checked.ok || problems.length > 0) return invalid(draft, problems, observed);
  if (draft.status.phase === 'Invalid') delete draft.status.message;

  const ctx: Context = {
    draft,
    name: guard.name,
    spec: checked.value,
    observed,
    reports: input.reports,
    stableSet: false,
    ...(input.policyDigest !== undefined ? { policyDigest: input.policyDigest } : {}),
  };
  notePolicy(ctx);
  if (adopt(ctx)) {
    recoverRejections(ctx);
    if (!bake(ctx)) current(ctx);
  }
  converge(ctx);
  conditions(ctx);
  noteCandidateLabels(draft.status, observed);
  return finish(draft);
}

function finish(draft: Draft): DecideOutput {
  const output: DecideOutput = {
    status: draft.status,
    actions: [...draft.urgent, ...draft.actions],
  };
  if (draft.requeueAfterMs !== undefined) output.requeueAfterMs = draft.requeueAfterMs;
  return output;
}

/**
 * Bad input stops the guard where it is: nothing new is released, one Event per new
 * message, and the last known-good state stays enforced (see hold.ts).
 */
function invalid(
  draft: Draft,
  problems: SpecProblem[],
  observed: DecideInput['observed'],
): DecideOutput {
  const before = { phase: draft.status.phase, message: draft.status.message };
  const message = describeProblems(problems);
  draft.status.phase = 'Invalid';
  draft.status.message = message;
  if (before.phase !== 'Invalid' || before.message !== message) {
    record(draft, 'Warning', 'Invalid', message);
  }
  setCondition(draft, 'Ready', 'False', 'Invalid', message);
  holdLastKnownGood(draft, observed);
  noteCandidateLabels(draft.status, observed);
  return finish(draft);
}

/**
 * Takes over: what serves users becomes `<name>-stable`. That is a `<name>-stable` an
 * earlier guard of this name left behind (see Observed.stable.previous), when there is
 * one: a guard deleted and created again must not adopt whatever the target holds then,
 * say a release that was Blocked at zero. Otherwise it is the target, but only while it
 * actually serves (replicas above zero, all ready). Capacity never shrinks: stable gets
 * the larger of the two replica counts. True once stable serves; until then the target
 * keeps its replicas and the phase is Initializing.
 */
function adopt(ctx: Context): boolean {
  const { draft, observed } = ctx;
  const { status } = draft;
  if (status.adoptedAt && status.stable) return true;
  const targetName = ctx.spec.targetRef.name;
  status.phase = 'Initializing';
  if (!status.stable) {
    const chosen = adoptable(ctx);
    if ('waiting' in chosen) {
      if (status.message !== chosen.waiting) {
        record(draft, 'Warning', chosen.reason, chosen.waiting);
      }
      status.message = chosen.waiting;
      return false;
    }
    const { template, replicas } = chosen;
    const image = imagesOf(template)[0];
    const revision = computeRevision(
      template,
      chosen.from === 'target' ? (observed.target?.annotations ?? {}) : {},
      ctx.spec.source.revision,
    );
    status.stable = {
      templateHash: templateHash(template),
      template,
      replicas,
      ...(revision.ok ? { revision: revision.sha } : {}),
      ...(image ? { image } : {}),
    };
  }
  const stable = status.stable;
  const serving =
    observed.stable?.templateHash === stable.templateHash &&
    observed.stable.ready &&
    observed.services.stable &&
    observed.services.canary;
  if (!serving) {
    status.message = `creating ${ctx.name}-stable from ${targetName} and the Services`;
    return false;
  }
  const exposed = exposedMessage(ctx, 'adopt');
  if (exposed) {
    // Scaling the target to zero would leave these Services without endpoints: an outage.
    if (status.message !== exposed) record(draft, 'Warning', 'ServiceSelectsTarget', exposed);
    status.message = exposed;
    requeue(draft, EXPOSURE_RECHECK_MS);
    return false;
  }
  status.adoptedAt = draft.at;
  record(
    draft,
    'Normal',
    'Adopted',
    `${ctx.name}-stable serves ${label(stable)}; Deployment ${targetName} is now the candidate`,
    stable,
  );
  return true;
}

/** Records the policy in force; a change is said once, and approvals are asked again. */
function notePolicy(ctx: Context): void {
  const { draft, policyDigest } = ctx;
  if (policyDigest === undefined || draft.status.policyDigest === policyDigest) return;
  const before = draft.status.policyDigest;
  draft.status.policyDigest = policyDigest;
  if (before === undefined) return;
  record(
    draft,
    'Normal',
    'PolicyChanged',
    `policy changed (digest ${before} to ${policyDigest}); approvals given under the old one are checked again`,
  );
}

type Adoptable =
  | { from: 'previous' | 'target'; template: PodTemplate; replicas: number }
  | { waiting: string; reason: 'TargetNotFound' | 'TargetNotServing' };

function adoptable(ctx: Context): Adoptable {
  const { observed } = ctx;
  const targetName = ctx.spec.targetRef.name;
  const target = observed.target;
  const serving = target !== null && target.replicas > 0 && target.ready;
  const previous = observed.stable?.previous;
  if (previous) {
    const replicas = Math.max(1, previous.replicas, serving ? target.replicas : 0);
    return { from: 'previous', template: previous.template, replicas };
  }
  if (!target) return { waiting: `waiting for Deployment ${targetName}`, reason: 'TargetNotFound' };
  if (!serving) {
    const state = target.replicas > 0 ? 'is not ready' : 'has 0 replicas';
    return {
      waiting: `waiting for Deployment ${targetName} to serve: it ${state}, and vakt adopts only a release that serves users (or a ${ctx.name}-stable an earlier guard left)`,
      reason: 'TargetNotServing',
    };
  }
  return { from: 'target', template: target.template, replicas: target.replicas };
}

/** What the target runs now decides the phase: stable, a rejected template, or a release. */
function current(ctx: Context): void {
  const target = ctx.observed.target;
  const stable = ctx.draft.status.stable;
  if (!target || !stable) {
    const missing = `Deployment ${ctx.spec.targetRef.name} not found`;
    idle(ctx, `${missing}; ${ctx.name}-stable keeps serving`);
    return;
  }
  const hash = templateHash(target.template);
  if (hash === stable.templateHash) {
    idle(ctx);
    return;
  }
  const rejected = findRejection(ctx.draft.status.rejected, releaseKey(target.template, hash));
  if (rejected) reverted(ctx, hash, rejected);
  else release(ctx, target.template, hash);
}

/** Repairs drift: `<name>-stable` runs what status says, and the Services exist. */
function converge(ctx: Context): void {
  const { draft, observed, spec } = ctx;
  if (!ctx.stableSet)
    convergeStable(draft, observed.stable, draft.status.adoptedAt ? 'repair' : 'adopt');
  if (!observed.services.stable || !observed.services.canary) {
    draft.actions.push({
      kind: 'ensureServices',
      stable: ctx.name,
      canary: `${ctx.name}-canary`,
      port: spec.service.port,
      targetPort: spec.service.targetPort ?? spec.service.port,
    });
  }
}

function conditions(ctx: Context): void {
  const { draft } = ctx;
  const { status } = draft;
  if (status.phase === 'Initializing') {
    setCondition(draft, 'Ready', 'False', 'Adopting', status.message ?? 'adopting the target');
  } else {
    setCondition(
      draft,
      'Ready',
      'True',
      'Guarding',
      `${ctx.name}-stable serves ${label(status.stable)}`,
    );
  }
  const approval = status.approval;
  if (!status.candidate || !approval) {
    setCondition(
      draft,
      'Approved',
      'True',
      'NoPendingRelease',
      'no release is waiting for approval',
    );
  } else if (approval.outcome === 'approved') {
    setCondition(draft, 'Approved', 'True', 'Approved', approval.message ?? 'approved');
  } else if (approval.outcome === 'pending') {
    setCondition(draft, 'Approved', 'Unknown', 'Checking', 'asking the two-person gate');
  } else {
    const reason = approval.outcome === 'denied' ? 'Denied' : 'Undecided';
    setCondition(draft, 'Approved', 'False', reason, approval.message ?? approval.outcome);
  }
  if (!status.conditions.some((c) => c.type === 'ProbesPassing')) {
    setCondition(draft, 'ProbesPassing', 'Unknown', 'NotProbed', 'no probe run has finished yet');
  }
}

/** What vakt cannot guard: a target it could not route a canary Service to. */
function targetProblems(
  name: string,
  targetName: string,
  observed: DecideInput['observed'],
): SpecProblem[] {
  const labels = observed.target?.matchLabels;
  if (!labels || Object.keys(labels).length > 0) return [];
  return [
    {
      path: 'spec.targetRef.name',
      message: `Deployment ${targetName} selects its pods by matchExpressions alone; vakt needs spec.selector.matchLabels to point Service ${name}-canary at the candidate`,
    },
  ];
}
