import { findKind, type KindInfo } from './kinds.ts';
import type { Store } from './store.ts';

/**
 * Stands in for the Deployment controller, since no pods run: after each spec change it
 * reports every replica ready, in a separate write (as the real controller does, so
 * clients see the spec write first and the status in a later event). Zero counts are left
 * out, as the real status omits them.
 */
export function mirrorDeploymentStatus(store: Store, enabled: () => boolean): () => void {
  const deployments = findKind('apps/v1/deployments') as KindInfo;
  return store.subscribe((event) => {
    if (event.kind !== deployments || event.type === 'DELETED' || !enabled()) return;
    const { namespace, name = '' } = event.object.metadata;
    setImmediate(() => {
      const current = store.get(deployments, namespace, name);
      const status = (current?.status ?? {}) as Record<string, unknown>;
      const generation = current?.metadata.generation;
      if (!current || !enabled() || status.observedGeneration === generation) return;
      const replicas = Number((current.spec as { replicas?: number } | undefined)?.replicas ?? 1);
      const count = replicas > 0 ? replicas : undefined;
      store.update(
        deployments,
        {
          ...current,
          status: {
            ...status,
            observedGeneration: generation,
            replicas: count,
            updatedReplicas: count,
            readyReplicas: count,
            availableReplicas: count,
          },
        },
        { status: true },
      );
    });
  });
}
