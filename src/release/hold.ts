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

/**
 * Puts status.stable's template back on `<name>-stable` when that runs anything else. The
 * hash annotation alone cannot tell: `kubectl set image` leaves it as it was. So the
 * generation the operator's own last write left must match too; when it is not known
 * (an operator that stopped before saving it), the template is written once more, which
 * changes nothing on an object that was not touched.
 */
export function convergeStable(
  draft: Draft,
  running: { templateHash: string; generation?: number } | null,
  why: 'adopt' | 'repair',
): void {
  const stable = draft.status.stable;
  if (!stable) return;
  const known = draft.status.stableGeneration;
  if (running?.templateHash === stable.templateHash && unchanged(running.generation, known)) return;
  draft.actions.push({
    kind: 'setStable',
    template: stable.template,
    templateHash: stable.templateHash,
    replicas: stable.replicas,
    why,
    ...(known === undefined ? {} : { generation: known }),
  });
}

/** Nothing but the operator wrote the spec since: the generations agree (or cannot be told). */
function unchanged(live: number | undefined, known: number | undefined): boolean {
  if (live === undefined) return true;
  return known === live;
}
