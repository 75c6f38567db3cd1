import { createHash } from 'node:crypto';
import { allImages } from '../release/rejections.ts';
import type { ReleaseGuardStatus } from '../release/schema.ts';
import type { Action } from '../release/state.ts';
import { templateHash as hashOf, type PodTemplate } from '../release/template.ts';
import { NOTIFY_EVENTS, type NotifyEvent } from './config.ts';
import { type Evidence, NOTIFICATION_SCHEMA, type Notification } from './notification.ts';

/**
 * The notification one decision makes, from what the pass that made it knows. Pure: the
 * reconciler hands it the Event action decide() returned and the status around it.
 *
 * A decision is announced once. decide() records one only on a transition, so a status
 * written back never makes it again; what remains is a pass that decided but could not
 * write status (the next pass decides the same again), which the notifier's memory of
 * `key` covers, and a restart, which starts with an empty memory: there `before` (the
 * status the pass read) says whether an earlier pass, in any process, recorded it.
 */

export type EmitEvent = Extract<Action, { kind: 'emitEvent' }>;

export interface DecisionFacts {
  guard: { namespace: string; name: string; uid: string };
  event: EmitEvent;
  /** Status as the pass read it (undefined for a new guard). */
  before?: ReleaseGuardStatus;
  /** Status as decide() left it, with this decision in it. */
  status: ReleaseGuardStatus;
  /** The target Deployment's pod template as the pass observed it. */
  target?: PodTemplate;
  now: number;
}

export interface Built {
  /** Names the decision: the same key is never sent twice. */
  key: string;
  notification: Notification;
}

const isNotifyEvent = (reason: string): reason is NotifyEvent =>
  (NOTIFY_EVENTS as readonly string[]).includes(reason);

export function notificationFor(facts: DecisionFacts): Built | undefined {
  const { event, status, guard } = facts;
  const release = event.release;
  if (!isNotifyEvent(event.reason) || !release) return undefined;
  const kind = event.reason;
  const hash = release.templateHash;
  const leak = status.lastLeak?.templateHash === hash ? status.lastLeak : undefined;
  let key = `${guard.uid}|${kind}|${hash}`;
  if (kind === 'LeakOnStable') {
    // A leak on stable can start again after it was gone: each one is news.
    key += `|${leak?.runId ?? ''}|${leak?.requestNumber ?? 0}`;
  } else if (recordedBefore(facts.before, kind, hash)) {
    // Blocked is said once per release, however often its reasons change.
    return undefined;
  }
  const images = imagesOf(facts, hash);
  const notification: Notification = {
    schema: NOTIFICATION_SCHEMA,
    id: createHash('sha256').update(key).digest('hex').slice(0, 32),
    event: kind,
    severity: event.type === 'Warning' ? 'warning' : 'info',
    time: new Date(facts.now).toISOString(),
    guard: { namespace: guard.namespace, name: guard.name },
    release: {
      templateHash: hash,
      ...(release.revision ? { commit: release.revision } : {}),
      images,
      digests: digestsOf(images),
    },
    message: event.message,
    evidence: evidenceOf(kind, status, hash),
  };
  return { key, notification };
}

function recordedBefore(
  before: ReleaseGuardStatus | undefined,
  reason: string,
  hash: string,
): boolean {
  return (before?.decisions ?? []).some((d) => d.reason === reason && d.templateHash === hash);
}

/** The images of the release, from wherever the pass still has its template. */
function imagesOf(facts: DecisionFacts, hash: string): string[] {
  const { status, target } = facts;
  for (const release of [status.stable, status.previousStable]) {
    if (release?.templateHash === hash) return allImages(release.template);
  }
  if (target && hashOf(target) === hash) return allImages(target);
  const rejected = status.rejected.find((r) => r.templateHash === hash);
  return rejected?.images ?? [];
}

function digestsOf(images: string[]): string[] {
  const digests = images.flatMap((image) => {
    const match = /@(sha256:[0-9a-f]{64})$/.exec(image);
    return match?.[1] ? [match[1]] : [];
  });
  return [...new Set(digests)].sort();
}

function evidenceOf(kind: NotifyEvent, status: ReleaseGuardStatus, hash: string): Evidence {
  const evidence: Evidence = {};
  const leak = status.lastLeak;
  const leakEvent = kind === 'Reverted' || kind === 'RolledBack' || kind === 'LeakOnStable';
  if (leakEvent && leak?.templateHash === hash) {
    evidence.leak = {
      kind: leak.kind,
      summary: leak.summary,
      tenant: leak.tenant,
      ...(leak.owner !== undefined && { owner: leak.owner }),
      ...(leak.expectedIdentity !== undefined && { expectedIdentity: leak.expectedIdentity }),
      ...(leak.observedIdentity !== undefined && { observedIdentity: leak.observedIdentity }),
      method: leak.method,
      path: leak.path,
      requestNumber: leak.requestNumber,
      status: leak.status,
      headers: { ...leak.headers },
    };
  }
  const probe = status.probe;
  if (probe?.templateHash === hash && kind !== 'Blocked') {
    evidence.probe = {
      runId: probe.runId ?? '',
      mode: probe.mode,
      target: probe.target,
      sent: probe.sent,
      checked: probe.checked,
      failed: probe.failed,
      leakRateBound: probe.leakRateBound ?? null,
      maxLeakRate: probe.maxLeakRate ?? 0,
    };
  }
  const approval = status.approval;
  if ((kind === 'Blocked' || kind === 'Promoted') && approval?.templateHash === hash) {
    evidence.approval = {
      outcome: approval.outcome,
      approvers: [...approval.approvers],
      ...(approval.pullRequest !== undefined && { pullRequest: approval.pullRequest }),
    };
  }
  if (kind === 'Baked' && status.bake?.templateHash === hash) {
    evidence.bake = { passedRuns: status.bake.passedRuns };
  }
  return evidence;
}
