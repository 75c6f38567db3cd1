import {
  addRejected,
  boundMet,
  type Context,
  condition,
  ensureProbe,
  label,
  leakStatus,
  noteProgress,
  probeReports,
  scaleCandidate,
} from './context.ts';
import { record, requeue, setCondition, short } from './draft.ts';
import type { BakeRuns } from './schema.ts';
import type { ProbeReport } from './state.ts';

/**
 * After promotion the new template serves users from `<name>-stable` and stays under
 * probe. It counts as stable once the bake time is over and at least one bake run ended
 * meeting the leak-rate bound: time alone proves nothing when every run hung or ended
 * inconclusive. The passes are counted in status, so a restarted operator knows too.
 */

/** Returns true while baking (or reverted by it); false once baked, so the flow goes on. */
export function bake(ctx: Context): boolean {
  const { draft } = ctx;
  const stable = draft.status.stable;
  const bakeUntil = draft.status.bakeUntil;
  if (!stable || !bakeUntil || !draft.status.previousStable) return false;
  const runs = bakeRuns(ctx, stable.templateHash);
  for (const report of probeReports(ctx, 'stable', 'bake', stable.templateHash)) {
    if (report.outcome === 'leak') {
      restore(ctx, report);
      return true;
    }
    noteProgress(ctx, report);
    if (report.outcome !== 'running') countRun(runs, report);
  }
  const remaining = Date.parse(bakeUntil) - draft.now;
  // An unreadable bakeUntil counts as over, as it always did: the pass is what matters.
  const timeOver = !(remaining > 0);
  if (timeOver && runs.passedRuns > 0) {
    baked(ctx, runs);
    return false;
  }
  draft.status.phase = 'Baking';
  scaleCandidate(ctx, 0);
  ensureProbe(ctx, 'stable', 'bake', stable.templateHash);
  if (timeOver) {
    // No requeue: the next bake report is what can end this.
    unproven(ctx);
  } else {
    draft.status.message = `${label(stable)} promoted; probing it until ${bakeUntil}`;
    requeue(draft, remaining);
  }
  return true;
}

/** The bake record of the stable template; one about another template starts over. */
function bakeRuns(ctx: Context, templateHash: string): BakeRuns {
  const { status } = ctx.draft;
  if (status.bake?.templateHash !== templateHash) status.bake = { templateHash, passedRuns: 0 };
  return status.bake;
}

/** A bake run ended: counted once however often its report arrives. */
function countRun(runs: BakeRuns, report: ProbeReport): void {
  if (runs.lastRun?.runId === report.runId) return;
  const metBound = boundMet(report);
  if (metBound) runs.passedRuns += 1;
  const bound =
    report.leakRateBound === null
      ? 'no bound on the leak rate'
      : `leak rate below ${report.leakRateBound.toPrecision(2)}, policy ${report.maxLeakRate}`;
  let reason = bound;
  if (report.outcome !== 'pass') reason = report.reason ?? report.outcome;
  else if (!metBound) reason = `ended without meeting the bound: ${bound}`;
  runs.lastRun = {
    runId: report.runId,
    outcome: report.outcome === 'pass' ? 'pass' : 'inconclusive',
    metBound,
    reason,
  };
}

/** Why no bake run has passed yet: the last one that ended, or the one under way. */
function noPassYet(ctx: Context): string {
  const { draft, observed } = ctx;
  const last = draft.status.bake?.lastRun;
  if (last?.outcome === 'inconclusive') return `last run inconclusive: ${last.reason}`;
  if (last) return `last run ${last.reason}`;
  const probe = draft.status.probe;
  const hash = draft.status.stable?.templateHash;
  const going = observed.probe?.mode === 'bake' && observed.probe.templateHash === hash;
  if (going && probe?.mode === 'bake' && probe.templateHash === hash && probe.runId) {
    return `run ${probe.runId} is still running (${probe.checked} responses checked)`;
  }
  return 'no bake run has finished yet';
}

/** The bake time is over without a passing run: keep baking, and say why once. */
function unproven(ctx: Context): void {
  const { draft } = ctx;
  const stable = draft.status.stable;
  const why = `bake time over, but no bake run has completed with a pass yet: ${noPassYet(ctx)}`;
  draft.status.message = `${label(stable)} promoted; ${why}; still baking`;
  if (condition(ctx, 'ProbesPassing')?.reason !== 'BakeNotPassed') {
    record(
      draft,
      'Warning',
      'BakeExtended',
      `${label(stable)}: ${why}; it stays under bake probe until a run passes`,
      stable,
    );
  }
  setCondition(draft, 'ProbesPassing', 'Unknown', 'BakeNotPassed', why);
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function baked(ctx: Context, runs: BakeRuns): void {
  const { draft } = ctx;
  const stable = draft.status.stable;
  if (!stable) return;
  delete draft.status.previousStable;
  delete draft.status.bakeUntil;
  const passed = `${plural(runs.passedRuns, 'bake run')} passed`;
  record(
    draft,
    'Normal',
    'Baked',
    `${label(stable)} passed its bake time and is the stable release; ${passed}`,
    stable,
  );
  setCondition(draft, 'ProbesPassing', 'True', 'Baked', `${passed} on ${label(stable)}`);
  if (stable.revision) {
    draft.actions.push({
      kind: 'postCommitStatus',
      repository: ctx.spec.source.repository,
      sha: stable.revision,
      context: 'vakt/probe',
      state: 'success',
      description: short(`no cross-tenant leak: the canary and ${passed}`),
    });
  }
}

/** A leak while baking: the promoted template is live, so stable goes back to the one before. */
function restore(ctx: Context, report: ProbeReport): void {
  const { draft } = ctx;
  const bad = draft.status.stable;
  const previous = draft.status.previousStable;
  if (!bad || !previous) return;
  draft.urgent.push(
    {
      kind: 'setStable',
      template: previous.template,
      templateHash: previous.templateHash,
      replicas: previous.replicas,
      why: 'restore',
      rejectTemplate: bad.templateHash,
    },
    { kind: 'stopProbe' },
  );
  ctx.stableSet = true;
  noteProgress(ctx, report);
  const leak = leakStatus(report, draft.at, bad.revision);
  draft.status.lastLeak = leak;
  restored(ctx);
  addRejected(draft, bad.templateHash, leak.summary, bad.revision, bad.template);
  draft.status.phase = 'Reverted';
  draft.status.message = `leak while baking ${label(bad)}: ${leak.summary}; restored ${label(previous)}`;
  draft.actions.push({ kind: 'countLeak', target: 'stable' });
  record(draft, 'Warning', 'RolledBack', draft.status.message, bad);
  setCondition(draft, 'ProbesPassing', 'False', 'LeakWhileBaking', leak.summary);
  if (bad.revision) {
    draft.actions.push({
      kind: 'postCommitStatus',
      repository: ctx.spec.source.repository,
      sha: bad.revision,
      context: 'vakt/probe',
      state: 'failure',
      description: short(`rolled back after a cross-tenant leak: ${leak.summary}`),
    });
  }
}

/**
 * Status after a restore: stable is the release before the bake again, and the release
 * that was baking becomes the candidate (rejected by the caller).
 */
export function restored(ctx: Context): void {
  const { status } = ctx.draft;
  const bad = status.stable;
  if (!bad || !status.previousStable) return;
  status.stable = status.previousStable;
  delete status.previousStable;
  delete status.bakeUntil;
  delete status.bake;
  status.candidate = {
    templateHash: bad.templateHash,
    ...(bad.revision ? { revision: bad.revision } : {}),
    ...(bad.image ? { image: bad.image } : {}),
  };
}
