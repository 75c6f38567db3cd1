import type { Logger } from '../log.ts';
import { judgePods } from '../release/pods.ts';
import type { ReleaseGuardStatus } from '../release/schema.ts';
import type { Cluster, GuardObject } from './ports.ts';
import { guardKey } from './refs.ts';

/**
 * Checks the pods that claim the guard (see release/pods.ts) and carries out the answer:
 * each false claimant or changed pod is unlabelled or deleted, and a Warning Event on the
 * guard names it.
 */
export async function guardPods(
  cluster: Cluster,
  guard: GuardObject,
  status: ReleaseGuardStatus,
  log: Logger,
): Promise<void> {
  const pods = await cluster.observePods(guard);
  for (const action of judgePods(guard.name, status, pods)) {
    if (action.kind === 'unlabelPod') {
      await cluster.unlabelPod(guard.namespace, action.pod, action.uid);
    } else {
      await cluster.deletePod(guard.namespace, action.pod, action.uid);
    }
    const reason = action.kind === 'unlabelPod' ? 'ForeignPodUnlabelled' : 'PodDeleted';
    log.warn({ guard: guardKey(guard), pod: action.pod, reason }, action.message);
    await cluster.emitEvent(guard, 'Warning', reason, action.message);
  }
}
