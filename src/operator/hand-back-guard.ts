import type { Logger } from '../log.ts';
import { handBack } from '../release/hand-back.ts';
import { GUARDED_BY } from '../release/state.ts';
import type { Cluster, GuardObject, GuardRef } from './ports.ts';
import type { ProbeManager } from './probes.ts';
import { targetNameOf } from './refs.ts';

/** Holds a deleted guard until what vakt made for it is handed back (see hand-back.ts). */
export const FINALIZER = 'vakt.dev/hand-back';

export interface HandBackDeps {
  cluster: Cluster;
  probes: ProbeManager;
  log: Logger;
}

/**
 * The guard is being deleted: leave `<name>-stable` and the Services serving (no longer
 * owned, so not garbage-collected), give the target its replicas back if it runs the
 * stable release, say so in an Event, then let the guard go. `again` when the guard
 * changed meanwhile: the next pass hands back again (each step is idempotent).
 */
export async function handBackGuard(
  { cluster, probes, log }: HandBackDeps,
  ref: GuardRef,
  key: string,
  guard: GuardObject,
): Promise<'done' | 'again'> {
  probes.forget(ref);
  const targetName = targetNameOf(guard);
  const observed = targetName ? await cluster.observe(ref, targetName) : { target: null };
  const plan = handBack(guard.name, targetName ?? '(none)', guard.status, observed);
  // The guarded-by mark goes with the hand-back, so the admission policies let the
  // namespace's users scale their Deployment again.
  const target = observed.target;
  const marked = target?.annotations[GUARDED_BY] !== undefined;
  if (targetName && target && (plan.scaleTarget !== undefined || marked)) {
    const replicas = plan.scaleTarget ?? target.replicas;
    await cluster.scaleDeployment(guard.namespace, targetName, replicas, { guardedBy: null });
  }
  await cluster.orphan(guard);
  log.info({ guard: key, message: plan.message }, 'handed back');
  await cluster.emitEvent(guard, 'Normal', 'HandedBack', plan.message);
  return (await cluster.setFinalizer(guard, FINALIZER, false)) === null ? 'again' : 'done';
}
