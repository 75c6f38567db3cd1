import { type Condition, type Decision, MAX_DECISIONS, type ReleaseGuardStatus } from './schema.ts';
import type { Action } from './state.ts';

/**
 * The status and actions one decide() call builds up. Mutable inside decide() only;
 * decide() itself stays a pure function of its input.
 */
export interface Draft {
  now: number;
  /** `now` as RFC 3339, the form status keeps. */
  at: string;
  generation: number;
  status: ReleaseGuardStatus;
  /** The response to a leak: run before anything else. */
  urgent: Action[];
  actions: Action[];
  requeueAfterMs?: number;
}

export function emptyStatus(): ReleaseGuardStatus {
  return { phase: 'Initializing', rejected: [], decisions: [], conditions: [] };
}

export function newDraft(
  now: number,
  generation: number,
  status: ReleaseGuardStatus | undefined,
): Draft {
  const copy: ReleaseGuardStatus = structuredClone(status ?? emptyStatus());
  copy.rejected ??= [];
  copy.decisions ??= [];
  copy.conditions ??= [];
  copy.observedGeneration = generation;
  return {
    now,
    at: new Date(now).toISOString(),
    generation,
    status: copy,
    urgent: [],
    actions: [],
  };
}

/**
 * Records a decision in status (newest MAX_DECISIONS kept) and as an Event. Call it only
 * on a transition: feeding the resulting status back must not record it again.
 */
export function record(
  draft: Draft,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  release?: { templateHash?: string; revision?: string },
): void {
  const decision: Decision = { at: draft.at, reason, message };
  if (release?.templateHash) decision.templateHash = release.templateHash;
  if (release?.revision) decision.revision = release.revision;
  draft.status.decisions = [...draft.status.decisions, decision].slice(-MAX_DECISIONS);
  const about = release?.templateHash
    ? {
        release: {
          templateHash: release.templateHash,
          ...(release.revision ? { revision: release.revision } : {}),
        },
      }
    : {};
  draft.actions.push({ kind: 'emitEvent', type, reason, message, ...about });
}

/** Sets a condition; its lastTransitionTime moves only when its status does. */
export function setCondition(
  draft: Draft,
  type: Condition['type'],
  status: Condition['status'],
  reason: string,
  message: string,
): void {
  const conditions = draft.status.conditions;
  const old = conditions.find((c) => c.type === type);
  const lastTransitionTime = old && old.status === status ? old.lastTransitionTime : draft.at;
  const next: Condition = {
    type,
    status,
    reason,
    message,
    lastTransitionTime,
    observedGeneration: draft.generation,
  };
  const order: Condition['type'][] = ['AdmissionPolicies', 'Approved', 'ProbesPassing', 'Ready'];
  draft.status.conditions = [...conditions.filter((c) => c.type !== type), next].sort(
    (a, b) => order.indexOf(a.type) - order.indexOf(b.type),
  );
}

/** Asks to be called again within `ms`; the earliest request wins. */
export function requeue(draft: Draft, ms: number): void {
  const wait = Math.max(0, Math.ceil(ms));
  draft.requeueAfterMs = Math.min(draft.requeueAfterMs ?? wait, wait);
}

/** GitHub cuts commit status descriptions at 140 characters. */
export function short(text: string, max = 140): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
