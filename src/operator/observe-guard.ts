import type { Observed } from '../release/state.ts';
import type { GuardPolicy } from './policy.ts';
import type { Cluster, GuardObject } from './ports.ts';
import type { ProbeManager } from './probes.ts';
import type { Work } from './work.ts';

/**
 * What one pass observes for decide(): the target, `<name>-stable`, the Services, and
 * (only while they matter, since each costs a list) the other Services, routes and pods
 * that could reach the target's pods; plus the probe under way.
 */
export async function observeGuard(
  options: { cluster: Cluster; probes: ProbeManager },
  work: Work,
  guard: GuardObject,
  resolved: GuardPolicy,
): Promise<Observed> {
  const targetName = resolved.spec?.targetRef.name;
  if (!targetName) {
    return { target: null, stable: null, services: { stable: false, canary: false }, probe: null };
  }
  const seen = await options.cluster.observe(work.ref, targetName, {
    exposure: exposureMatters(guard) && (work.exposed ? 'fresh' : true),
    // Only an approved candidate is probed: then who else answers on -canary matters.
    canaryPods: guard.status?.phase === 'Canary' || guard.status?.approval?.outcome === 'approved',
    ...(resolved.spec && {
      port: {
        port: resolved.spec.service.port,
        targetPort: resolved.spec.service.targetPort ?? resolved.spec.service.port,
      },
    }),
  });
  return { ...seen, probe: options.probes.current(work.ref) };
}

/**
 * Whether other Services selecting the target's pods matter now (listing them costs a
 * list of the namespace's Services): before adoption scales the target to zero, and
 * while a release waits for or runs its canary.
 */
function exposureMatters(guard: GuardObject): boolean {
  const phase = guard.status?.phase;
  return !guard.status?.adoptedAt || phase === 'Blocked' || phase === 'Canary';
}
