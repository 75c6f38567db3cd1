import {
  type Context,
  condition,
  ensureProbe,
  isKnownLeak,
  label,
  leakStatus,
  noteProgress,
  probeReports,
  scaleCandidate,
} from './context.ts';
import { record, setCondition } from './draft.ts';
import type { findRejection } from './rejections.ts';
import { durationMs } from './schema.ts';
import type { ProbeReport } from './state.ts';

/** Phases in which `<name>-stable` alone serves: idle and reverted (baking: bake.ts). */

/**
 * The low-rate probe of stable between releases. A leak here has no newer release to
 * revert (the Klarna change was CDN configuration), so it raises an alarm and nothing else.
 */
export function guardStable(ctx: Context): void {
  const { draft } = ctx;
  const stable = draft.status.stable;
  if (!stable) return;
  for (const report of probeReports(ctx, 'stable', 'guard', stable.templateHash)) {
    const leaking = leakingOnStable(ctx);
    if (report.outcome === 'leak') {
      stableLeak(ctx, report, 'guard probe');
    } else {
      noteProgress(ctx, report);
      if (report.outcome === 'pass') {
        if (leaking) {
          record(
            draft,
            'Normal',
            'StableLeakGone',
            `guard probe found no leak on stable ${label(stable)} any more`,
            stable,
          );
        }
        setCondition(
          draft,
          'ProbesPassing',
          'True',
          'GuardPassed',
          'the last guard run found no leak',
        );
      }
    }
  }
  const interval = durationMs(ctx.spec.probe.guardInterval);
  ensureProbe(ctx, 'stable', 'guard', stable.templateHash, interval);
}

/**
 * A leak on what serves users with no newer release to revert (the Klarna change was CDN
 * configuration): an alarm, and nothing else. The guard keeps probing, so one Event when a
 * leak starts (and another when it is gone), the metric on every run.
 */
export function stableLeak(ctx: Context, report: ProbeReport, found: string): void {
  const { draft } = ctx;
  const stable = draft.status.stable;
  if (!stable || isKnownLeak(ctx, report)) return;
  const leaking = leakingOnStable(ctx);
  noteProgress(ctx, report);
  draft.status.lastLeak = leakStatus(report, draft.at, stable.revision);
  draft.actions.push({ kind: 'countLeak', target: 'stable' });
  const summary = draft.status.lastLeak.summary;
  const where = report.via === 'edge' ? 'through the edge URL' : 'on stable';
  if (!leaking) {
    record(
      draft,
      'Warning',
      'LeakOnStable',
      `${found} found a leak ${where} (stable ${label(stable)}): ${summary}; no newer release to revert, look at caches and edge configuration`,
      stable,
    );
  }
  setCondition(draft, 'ProbesPassing', 'False', 'LeakOnStable', summary);
}

/** A leak on stable was found and no guard run has passed since. */
function leakingOnStable(ctx: Context): boolean {
  return condition(ctx, 'ProbesPassing')?.reason === 'LeakOnStable';
}

/** No release pending: the target runs the stable template. */
export function idle(ctx: Context, message?: string): void {
  const { draft } = ctx;
  const previous = draft.status.phase;
  const candidate = draft.status.candidate;
  if (candidate && (previous === 'Blocked' || previous === 'Canary')) {
    record(
      draft,
      'Normal',
      'ReleaseWithdrawn',
      `the target runs the stable template again; release ${label(candidate)} withdrawn`,
      candidate,
    );
  }
  delete draft.status.candidate;
  delete draft.status.approval;
  draft.status.phase = 'Idle';
  draft.status.message =
    message ?? `${label(draft.status.stable)} serves users from ${ctx.name}-stable`;
  scaleCandidate(ctx, 0);
  guardStable(ctx);
}

/**
 * The target runs a template that leaked before, or the same images as one that did: it
 * stays at zero, never retried.
 */
export function reverted(
  ctx: Context,
  templateHash: string,
  match: NonNullable<ReturnType<typeof findRejection>>,
): void {
  const { draft } = ctx;
  const { rejection, by } = match;
  const known = draft.status.candidate?.templateHash === templateHash;
  const why =
    by === 'template'
      ? `template ${templateHash} leaked before and is never retried`
      : `template ${templateHash} runs the same image digests as template ${rejection.templateHash}, which leaked; it is never retried`;
  if (!known) {
    draft.status.candidate = {
      templateHash,
      ...(rejection.revision ? { revision: rejection.revision } : {}),
    };
    delete draft.status.approval;
    record(
      draft,
      'Warning',
      'RejectedTemplate',
      `${why}; ${by === 'template' ? 'change the Deployment' : 'build new images'} to release again`,
      draft.status.candidate,
    );
  }
  draft.status.phase = 'Reverted';
  // Keep the message of the revert itself; a re-applied template gets its own.
  if (!known || !draft.status.message) draft.status.message = why;
  scaleCandidate(ctx, 0, true);
  guardStable(ctx);
}
