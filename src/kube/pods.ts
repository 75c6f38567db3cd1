import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { GuardObject, GuardRef, Stop } from '../operator/ports.ts';
import { containerImages, type PodFacts } from '../release/pods.ts';
import type { PodTemplate } from '../release/template.ts';
import {
  type KubeContext,
  LABEL_GUARD,
  LABEL_ROLE,
  type OwnerReference,
  type RawObject,
  readDeployment,
} from './context.ts';
import { isNotFound, statusOf, withRetry } from './errors.ts';
import { type ListWatchOptions, listWatch } from './watch.ts';

/**
 * The pods that claim a guard (label vakt.dev/guard), and the two writes that answer a
 * false claim. Only labelled pods are listed and watched: a namespace's other pods are
 * none of vakt's business, and a cluster's pods are far too many to follow.
 */

const REPLICA_SETS = { group: 'apps', version: 'v1', plural: 'replicasets' } as const;

/** What a pass needs to judge the guard's pods (see release/pods.ts). */
export async function observePods(ctx: KubeContext, guard: GuardObject): Promise<PodFacts[]> {
  const { namespace, name } = guard;
  const labelSelector = `${LABEL_GUARD}=${name}`;
  const pods = await withRetry(
    () => ctx.core.listNamespacedPod({ namespace, labelSelector }),
    ctx.retry,
  );
  if (pods.items.length === 0) return [];
  // The ReplicaSets of -stable carry its pod labels, as every ReplicaSet carries its
  // Deployment's: one label-selected list finds them all.
  const [stable, replicaSets] = await Promise.all([
    readDeployment(ctx, namespace, `${name}-stable`),
    withRetry(
      () => ctx.custom.listNamespacedCustomObject({ ...REPLICA_SETS, namespace, labelSelector }),
      ctx.retry,
    ) as Promise<{ items?: RawObject[] }>,
  ]);
  const stableUid = stable && controllerOf(stable)?.uid === guard.uid ? stable.metadata?.uid : '';
  const stableSets = controlledBy(replicaSets.items ?? [], stableUid);
  return pods.items.map((pod) => factsOf(pod, stableSets));
}

/**
 * Pods Service `<guard>-canary` selects (the target's matchLabels) that are not the
 * target's own: a pod whose controller is not a ReplicaSet the target Deployment controls
 * (checked by uid). Anyone who may create pods can add one with the target's labels, and
 * a probe through the Service would then meet it instead of the candidate some of the
 * time. Names, sorted, at most `max`.
 */
export async function foreignCanaryPods(
  ctx: KubeContext,
  namespace: string,
  target: RawObject,
  max = 10,
): Promise<string[]> {
  const selector = (target.spec?.selector ?? {}) as { matchLabels?: Record<string, string> };
  const labels = Object.entries(selector.matchLabels ?? {});
  if (labels.length === 0) return [];
  const labelSelector = labels.map(([key, value]) => `${key}=${value}`).join(',');
  const pods = await withRetry(
    () => ctx.core.listNamespacedPod({ namespace, labelSelector }),
    ctx.retry,
  );
  const live = pods.items.filter(
    (pod) =>
      !pod.metadata?.deletionTimestamp &&
      pod.status?.phase !== 'Succeeded' &&
      pod.status?.phase !== 'Failed',
  );
  if (live.length === 0) return [];
  const replicaSets = (await withRetry(
    () => ctx.custom.listNamespacedCustomObject({ ...REPLICA_SETS, namespace, labelSelector }),
    ctx.retry,
  )) as { items?: RawObject[] };
  const own = controlledBy(replicaSets.items ?? [], target.metadata?.uid);
  return live
    .filter((pod) => {
      const owner = controllerOf(pod as RawObject);
      return !(owner?.kind === 'ReplicaSet' && own.has(owner.uid));
    })
    .map((pod) => pod.metadata?.name ?? '')
    .sort()
    .slice(0, max);
}

function factsOf(pod: V1Pod, stableSets: Set<string>): PodFacts {
  const owner = controllerOf(pod as RawObject);
  const ofStable = owner?.kind === 'ReplicaSet' && stableSets.has(owner.uid);
  return {
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    stableRole: pod.metadata?.labels?.[LABEL_ROLE] === 'stable',
    ofStable,
    images: containerImages({ spec: pod.spec } as PodTemplate),
    deleting: Boolean(pod.metadata?.deletionTimestamp),
    ...(owner && !ofStable ? { controller: `${owner.kind} ${owner.name}` } : {}),
  };
}

/** The uids of the ReplicaSets whose controller is the Deployment with this uid. */
function controlledBy(replicaSets: RawObject[], deploymentUid: string | undefined): Set<string> {
  if (!deploymentUid) return new Set();
  return new Set(
    replicaSets
      .filter((rs) => {
        const owner = controllerOf(rs);
        return owner?.kind === 'Deployment' && owner.uid === deploymentUid;
      })
      .map((rs) => rs.metadata?.uid ?? ''),
  );
}

function controllerOf(object: RawObject): OwnerReference | undefined {
  return (object.metadata?.ownerReferences ?? []).find((r) => r.controller);
}

/** Answers a write to a pod that changed meanwhile: the next pass looks again. */
function gone(error: unknown): boolean {
  return isNotFound(error) || statusOf(error) === 409 || statusOf(error) === 422;
}

const pointerKey = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** Takes the vakt labels off this very pod (a JSON Patch that first tests its uid). */
export async function unlabelPod(
  ctx: KubeContext,
  namespace: string,
  name: string,
  uid: string,
): Promise<void> {
  const body = [
    { op: 'test', path: '/metadata/uid', value: uid },
    { op: 'remove', path: `/metadata/labels/${pointerKey(LABEL_GUARD)}` },
    { op: 'remove', path: `/metadata/labels/${pointerKey(LABEL_ROLE)}` },
  ];
  try {
    await withRetry(
      () => ctx.core.patchNamespacedPod({ namespace, name, body, fieldManager: ctx.fieldManager }),
      ctx.retry,
    );
  } catch (error) {
    if (!gone(error)) throw error;
  }
}

/** Deletes this very pod (a uid precondition: not one re-created under its name). */
export async function deletePod(
  ctx: KubeContext,
  namespace: string,
  name: string,
  uid: string,
): Promise<void> {
  try {
    await withRetry(
      () => ctx.core.deleteNamespacedPod({ namespace, name, body: { preconditions: { uid } } }),
      ctx.retry,
    );
  } catch (error) {
    if (!gone(error)) throw error;
  }
}

type WatchSettings = Pick<ListWatchOptions, 'log' | 'baseMs' | 'maxMs'>;

/** Pods labelled vakt.dev/guard, added or changed: calls back with the guard they name. */
export function watchPods(
  kc: KubeConfig,
  ctx: KubeContext,
  namespace: string | undefined,
  onChange: (guard: GuardRef) => void,
  settings: WatchSettings,
): Promise<Stop> {
  const labelSelector = LABEL_GUARD;
  return listWatch({
    kc,
    group: '',
    version: 'v1',
    plural: 'pods',
    namespace,
    labelSelector,
    list: (page) =>
      namespace
        ? ctx.core.listNamespacedPod({ namespace, labelSelector, ...page })
        : ctx.core.listPodForAllNamespaces({ labelSelector, ...page }),
    ...settings,
    onChange: (ref, type, object) => {
      const guard = object?.metadata?.labels?.[LABEL_GUARD];
      // A pod gone, or no longer claiming a guard, is no longer selected by vakt's Service.
      if (type === 'DELETED' || !guard) return;
      onChange({ namespace: ref.namespace, name: guard });
    },
  });
}
