import type { Draft } from './draft.ts';
import { allImages } from './rejections.ts';
import { type Condition, type LeakStatus, MAX_REJECTED, type ReleaseGuardSpec } from './schema.ts';
import type { Observed, ProbeMode, ProbeReport, ProbeTarget, Report } from './state.ts';
import type { PodTemplate } from './template.ts';

/** What the phase handlers share during one decide() call. */
export interface Context {
  draft: Draft;
  name: string;
  spec: ReleaseGuardSpec;
  observed: Observed;
  reports: Report[];
  /** A transition already told `<name>-stable` what to run in this call. */
  stableSet: boolean;
  /** DecideInput.policyDigest: approvals count only under this policy. */
  policyDigest?: string;
}

/** Scales the candidate unless it is already there or an earlier action does it. */
export function scaleCandidate(ctx: Context, replicas: number, urgent = false): void {
  const { draft, observed } = ctx;
  const queued = [...draft.urgent, ...draft.actions].some((a) => a.kind === 'scaleCandidate');
  if (queued || !observed.target || observed.target.replicas === replicas) return;
  (urgent ? draft.urgent : draft.actions).push({ kind: 'scaleCandidate', replicas });
}

/** Starts the wanted probe unless the adapter reports it running already. */
export function ensureProbe(
  ctx: Context,
  target: ProbeTarget,
  mode: ProbeMode,
  templateHash: string,
  intervalMs?: number,
): void {
  const running = ctx.observed.probe;
  if (
    running?.target === target &&
    running.mode === mode &&
    running.templateHash === templateHash
  ) {
    return;
  }
  ctx.draft.actions.push({
    kind: 'startProbe',
    target,
    mode,
    templateHash,
    ...(intervalMs === undefined ? {} : { intervalMs }),
  });
}

/** The probe reports about one run target, mode and template, oldest first. */
export function probeReports(
  ctx: Context,
  target: ProbeTarget,
  mode: ProbeMode,
  templateHash: string,
): ProbeReport[] {
  return ctx.reports.filter(
    (r): r is ProbeReport =>
      r.kind === 'probe' &&
      r.target === target &&
      r.mode === mode &&
      r.templateHash === templateHash,
  );
}

/** Keeps a report's figures in status; says whether the run's outcome is news. */
export function noteProgress(ctx: Context, report: ProbeReport): boolean {
  const { draft } = ctx;
  const old = draft.status.probe;
  const isNews = old?.runId !== report.runId || old.outcome !== report.outcome;
  draft.status.probe = {
    target: report.target,
    mode: report.mode,
    templateHash: report.templateHash,
    runId: report.runId,
    outcome: report.outcome,
    sent: report.counters.sent,
    checked: report.counters.checked,
    failed: report.counters.failed,
    leakRateBound: report.leakRateBound,
    maxLeakRate: report.maxLeakRate,
    updatedAt: draft.at,
  };
  return isNews;
}

/** A pass counts only when the bound on the leak rate meets the policy's. */
export function boundMet(report: ProbeReport): boolean {
  return (
    report.outcome === 'pass' &&
    report.leakRateBound !== null &&
    report.leakRateBound <= report.maxLeakRate
  );
}

/** The evidence status keeps: what a person needs to reproduce it, never a credential. */
export function leakStatus(report: ProbeReport, at: string, revision?: string): LeakStatus {
  const leak = report.leak;
  const status: LeakStatus = {
    target: report.target,
    templateHash: report.templateHash,
    runId: report.runId,
    at,
    kind: leak?.kind ?? 'unknown',
    summary: leak?.summary ?? report.reason ?? 'the probe reported a leak without evidence',
    tenant: leak?.request.tenant ?? '',
    method: leak?.request.method ?? '',
    path: leak?.request.path ?? '',
    requestNumber: leak?.request.number ?? 0,
    status: leak?.status ?? 0,
    headers: leak?.headers ?? {},
  };
  if (revision) status.revision = revision;
  if (leak?.expectedIdentity !== undefined) status.expectedIdentity = leak.expectedIdentity;
  if (leak?.observedIdentity !== undefined) status.observedIdentity = leak.observedIdentity;
  if (leak?.owner !== undefined) status.owner = leak.owner;
  return status;
}

/** True when status already holds this very leak (a report delivered twice). */
export function isKnownLeak(ctx: Context, report: ProbeReport): boolean {
  const last = ctx.draft.status.lastLeak;
  return (
    last !== undefined &&
    last.runId === report.runId &&
    last.templateHash === report.templateHash &&
    last.requestNumber === (report.leak?.request.number ?? 0)
  );
}

/** Rejects a template for good: status keeps the newest MAX_REJECTED. */
export function addRejected(
  draft: Draft,
  templateHash: string,
  reason: string,
  revision: string | undefined,
  template: PodTemplate | undefined,
): void {
  const images = template ? allImages(template) : [];
  draft.status.rejected = [
    ...draft.status.rejected,
    {
      templateHash,
      at: draft.at,
      reason,
      ...(revision ? { revision } : {}),
      ...(images.length > 0 ? { images } : {}),
    },
  ].slice(-MAX_REJECTED);
}

/** A condition as status has it now (during decide(): as set so far). */
export function condition(ctx: Context, type: Condition['type']): Condition | undefined {
  return ctx.draft.status.conditions.find((c) => c.type === type);
}

/** `abc1234` or `template 3f2a…` when the commit is unknown: for messages. */
export function label(release: { revision?: string; templateHash: string } | undefined): string {
  if (!release) return 'none';
  return release.revision ? release.revision.slice(0, 12) : `template ${release.templateHash}`;
}
