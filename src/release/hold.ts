import type { Draft } from './draft.ts';
import type { Observed } from './state.ts';
import { templateHash } from './template.ts';

/**
 * What an Invalid guard still enforces. A guard someone broke (a tenants Secret deleted, a
 * policy below the platform's floor) must not become a way around it: the last known-good
 * state stays in force. The candidate stays at zero unless it runs stable's template, and
 * `<name>-stable` keeps the template it was given. Nothing new is probed or promoted.
 */
export function holdLastKnownGood(draft: Draft, observed: Omit<Observed, 'probe'>): void {
  const { status } = draft;
  const stable = status.stable;
  // Before adoption nothing is known good yet: the target keeps serving as it was.
  if (!status.adoptedAt || !stable) return;
  const target = observed.target;
  if (target && target.replicas > 0 && templateHash(target.template) !== stable.templateHash) {
    draft.urgent.push({ kind: 'scaleCandidate', replicas: 0 });
  }
  if (observed.stable) convergeStable(draft, observed.stable, 'repair');
}

/** Puts status.stable's template back on `<name>-stable` when that runs anything else. */
export function convergeStable(
  draft: Draft,
  running: { templateHash: string } | null,
  why: 'adopt' | 'repair',
): void {
  const stable = draft.status.stable;
  if (!stable || running?.templateHash === stable.templateHash) return;
  draft.actions.push({
    kind: 'setStable',
    template: stable.template,
    templateHash: stable.templateHash,
    replicas: stable.replicas,
    why,
  });
}
