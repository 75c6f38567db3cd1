import { type GuardObject, type GuardRef, STATUS_CHANGED } from '../operator/ports.ts';
import { sameStatus } from '../operator/same-status.ts';
import { ReleaseGuardStatus } from '../release/schema.ts';
import {
  GUARD_API_VERSION,
  GUARDS,
  type KubeContext,
  type RawObject,
  readOrNull,
} from './context.ts';
import { isConflict, isNotFound, retryable, withRetry } from './errors.ts';

/** A ReleaseGuard as the operator sees it; null when it does not exist. */
export async function getGuard(ctx: KubeContext, ref: GuardRef): Promise<GuardObject | null> {
  const raw = (await readOrNull(ctx, () =>
    ctx.custom.getNamespacedCustomObject({ ...GUARDS, namespace: ref.namespace, name: ref.name }),
  )) as RawObject | null;
  return raw ? toGuard(ctx, raw, ref) : null;
}

function toGuard(ctx: KubeContext, raw: RawObject, ref: GuardRef): GuardObject {
  const meta = raw.metadata ?? {};
  const guard: GuardObject = {
    namespace: meta.namespace ?? ref.namespace,
    name: meta.name ?? ref.name,
    uid: meta.uid ?? '',
    generation: meta.generation ?? 0,
    resourceVersion: meta.resourceVersion ?? '',
    annotations: { ...(meta.annotations ?? {}) },
    finalizers: [...((meta.finalizers as string[] | undefined) ?? [])],
    deleting: Boolean(meta.deletionTimestamp),
    spec: raw.spec,
  };
  if (raw.status === undefined || raw.status === null) return guard;
  const parsed = ReleaseGuardStatus.safeParse(raw.status);
  if (parsed.success) return { ...guard, status: parsed.data };
  // Dropping it would forget rejected templates; the API server validated it against the CRD.
  ctx.log.warn(
    { guard: guard.name, issues: parsed.error.issues.slice(0, 5) },
    'status does not match the schema; passing it on as stored',
  );
  return { ...guard, status: raw.status as ReleaseGuardStatus };
}

/**
 * Replaces status through the status subresource, conditional on the resourceVersion read.
 * A 409 means the guard changed meanwhile. A spec or metadata edit leaves status as read:
 * write again on the fresh resourceVersion (the edit's own watch event decides on it
 * next). Status that changed (another replica's decision, say a fresh rejection) is never
 * written over: STATUS_CHANGED, and the caller decides again. A guard deleted, or
 * deleted and re-created (another uid), gets no status: null.
 */
export async function writeStatus(
  ctx: KubeContext,
  guard: GuardObject,
  status: ReleaseGuardStatus,
): Promise<string | null | typeof STATUS_CHANGED> {
  let resourceVersion = guard.resourceVersion;
  let reread = false;
  try {
    return await withRetry(
      async () => {
        if (reread) {
          const fresh = await getGuard(ctx, guard);
          if (!fresh || fresh.uid !== guard.uid) return null;
          if (!sameRecord(guard.status, fresh.status)) return STATUS_CHANGED;
          resourceVersion = fresh.resourceVersion;
          reread = false;
        }
        try {
          const written = (await ctx.custom.replaceNamespacedCustomObjectStatus({
            ...GUARDS,
            namespace: guard.namespace,
            name: guard.name,
            body: {
              apiVersion: GUARD_API_VERSION,
              kind: 'ReleaseGuard',
              metadata: {
                name: guard.name,
                namespace: guard.namespace,
                uid: guard.uid,
                resourceVersion,
              },
              status,
            },
            fieldManager: ctx.fieldManager,
          })) as RawObject;
          return written.metadata?.resourceVersion ?? null;
        } catch (error) {
          if (isConflict(error)) reread = true;
          throw error;
        }
      },
      { ...ctx.retry, attempts: 8, retryable: (error) => retryable(error, { conflicts: true }) },
    );
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** Both absent, or the same status. */
function sameRecord(
  read: ReleaseGuardStatus | undefined,
  fresh: ReleaseGuardStatus | undefined,
): boolean {
  if (read === undefined || fresh === undefined) return read === fresh;
  return sameStatus(read, fresh);
}
