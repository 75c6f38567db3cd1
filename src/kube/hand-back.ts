import type { GuardObject } from '../operator/ports.ts';
import {
  DEPLOYMENTS,
  GUARDS,
  type KubeContext,
  mergePatch,
  type OwnerReference,
  type RawObject,
  readDeployment,
  readOrNull,
} from './context.ts';
import { isConflict, isNotFound, withRetry } from './errors.ts';

/**
 * The two writes a deleted guard needs before it may go: its owner reference off what
 * vakt made for it (so nothing is garbage-collected from under users), then its finalizer.
 */

export async function setFinalizer(
  ctx: KubeContext,
  guard: GuardObject,
  finalizer: string,
  present: boolean,
): Promise<string | null> {
  const others = guard.finalizers.filter((f) => f !== finalizer);
  const finalizers = present ? [...others, finalizer] : others;
  try {
    const written = (await withRetry(
      () =>
        ctx.custom.patchNamespacedCustomObject(
          {
            ...GUARDS,
            namespace: guard.namespace,
            name: guard.name,
            // A merge patch replaces the list: the resourceVersion makes sure it is the list
            // we read, not one another controller has added to since.
            body: { metadata: { resourceVersion: guard.resourceVersion, finalizers } },
            fieldManager: ctx.fieldManager,
          },
          mergePatch,
        ),
      ctx.retry,
    )) as RawObject;
    return written.metadata?.resourceVersion ?? null;
  } catch (error) {
    if (isConflict(error) || isNotFound(error)) return null;
    throw error;
  }
}

export async function orphan(ctx: KubeContext, guard: GuardObject): Promise<void> {
  const { namespace } = guard;
  const stable = await readDeployment(ctx, namespace, `${guard.name}-stable`);
  if (stable && owned(stable, guard)) {
    await patchOwners(ctx, stable, guard, (body) =>
      ctx.custom.patchNamespacedCustomObject(
        {
          ...DEPLOYMENTS,
          namespace,
          name: `${guard.name}-stable`,
          body,
          fieldManager: ctx.fieldManager,
        },
        mergePatch,
      ),
    );
  }
  for (const name of [guard.name, `${guard.name}-canary`]) {
    const service = (await readOrNull(ctx, () =>
      ctx.core.readNamespacedService({ namespace, name }),
    )) as RawObject | null;
    if (!service || !owned(service, guard)) continue;
    await patchOwners(ctx, service, guard, (body) =>
      ctx.core.patchNamespacedService(
        { namespace, name, body, fieldManager: ctx.fieldManager },
        mergePatch,
      ),
    );
  }
}

function owned(object: RawObject, guard: GuardObject): boolean {
  return (object.metadata?.ownerReferences ?? []).some((r) => r.uid === guard.uid);
}

/** Drops the guard's reference; other owners stay. A 404 means there is nothing to keep. */
async function patchOwners(
  ctx: KubeContext,
  object: RawObject,
  guard: GuardObject,
  patch: (body: object) => Promise<unknown>,
): Promise<void> {
  const ownerReferences = (object.metadata?.ownerReferences ?? []).filter(
    (r: OwnerReference) => r.uid !== guard.uid,
  );
  const body = {
    metadata: { resourceVersion: object.metadata?.resourceVersion, ownerReferences },
  };
  try {
    await withRetry(() => patch(body), ctx.retry);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
