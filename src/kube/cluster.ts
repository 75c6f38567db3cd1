import type { KubeConfig } from '@kubernetes/client-node';
import type { Cluster, Stop, WriteFence } from '../operator/ports.ts';
import { GUARDED_BY } from '../release/state.ts';
import { readAdmission } from './admission.ts';
import { shareConnections } from './connections.ts';
import {
  DEPLOYMENTS,
  GUARDS,
  type KubeContext,
  LABEL_GUARD,
  makeContext,
  mergePatch,
  type RetrySettings,
  readOrNull,
} from './context.ts';
import { withRetry } from './errors.ts';
import { emitEvent } from './events.ts';
import { getGuard, writeStatus } from './guards.ts';
import { orphan, setFinalizer } from './hand-back.ts';
import { type Logger, silentLogger } from './logger.ts';
import { markAnnotations, targetUid } from './marks.ts';
import { observe } from './observe.ts';
import { deletePod, observePods, unlabelPod, watchPods } from './pods.ts';
import { watchRoutes } from './routes.ts';
import type { SealKeys } from './seal.ts';
import { ensureServices } from './services.ts';
import { setStable } from './stable.ts';
import { type ListWatchOptions, listWatch } from './watch.ts';

export interface ClusterOptions {
  /** Recorded in managedFields for every write (default vakt-operator). */
  fieldManager?: string;
  log?: Logger;
  /** Events' reportingInstance: the pod name (default env HOSTNAME, else "vakt"). */
  instance?: string;
  /** Retry settings for API calls; tests shorten the waits. */
  retry?: RetrySettings;
  /** Backoff of watches after errors (defaults 250 ms doubling to 30 s). */
  watchBackoff?: { baseMs?: number; maxMs?: number };
  /** Leadership: without it every write goes out (a single replica, or a tool). */
  fence?: WriteFence;
  /** Keys that seal rejection marks (`--seal-key-file`); without them marks go bare. */
  seal?: SealKeys;
}

async function readLabelledSecret(
  ctx: KubeContext,
  namespace: string,
  name: string,
): Promise<{ data: Record<string, string>; labels: Record<string, string> } | null> {
  const secret = await readOrNull(ctx, () => ctx.core.readNamespacedSecret({ namespace, name }));
  if (!secret) return null;
  const data = Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value, 'base64').toString('utf8'),
    ]),
  );
  return { data, labels: { ...(secret.metadata?.labels ?? {}) } };
}

/** The Cluster port implemented with @kubernetes/client-node. */
export function createCluster(kc: KubeConfig, options: ClusterOptions = {}): Cluster {
  shareConnections(kc);
  const log = options.log ?? silentLogger();
  const ctx: KubeContext = makeContext(
    kc,
    log,
    options.fieldManager ?? 'vakt-operator',
    options.retry ?? {},
    options.fence,
    options.seal,
  );
  const instance = options.instance ?? process.env.HOSTNAME ?? 'vakt';
  const settings = {
    log,
    ...(options.watchBackoff?.baseMs !== undefined ? { baseMs: options.watchBackoff.baseMs } : {}),
    ...(options.watchBackoff?.maxMs !== undefined ? { maxMs: options.watchBackoff.maxMs } : {}),
  };
  const watch = (
    kind: { group: string; version: string; plural: string },
    namespace: string | undefined,
    onChange: ListWatchOptions['onChange'],
  ): Promise<Stop> => listWatch({ kc, ...kind, namespace, ...settings, onChange });

  return {
    getGuard: (ref) => getGuard(ctx, ref),
    observe: (ref, targetName, options) => observe(ctx, ref, targetName, options),
    readSecret: async (namespace, name) =>
      (await readLabelledSecret(ctx, namespace, name))?.data ?? null,
    readLabelledSecret: (namespace, name) => readLabelledSecret(ctx, namespace, name),
    readConfigMap: async (namespace, name) => {
      const map = await readOrNull(ctx, () =>
        ctx.core.readNamespacedConfigMap({ namespace, name }),
      );
      return map ? { ...(map.data ?? {}) } : null;
    },
    readAdmission: (names) => readAdmission(ctx, names),
    // The revert path: a merge patch cannot conflict, so only throttling and server or
    // network trouble are retried, quickly and for longer than other calls.
    scaleDeployment: async (namespace, name, replicas, marks = {}) => {
      const annotations: Record<string, string | null> = {};
      if (marks.rejectTemplate) {
        // The seal, to the guard named by guardedBy, goes in this same patch: a revert
        // stays one request.
        const guard = marks.guardedBy;
        const uid = guard ? await targetUid(ctx, namespace, name) : undefined;
        const about = { namespace, guard: guard ?? '', deployment: name };
        Object.assign(annotations, markAnnotations(ctx, about, uid, marks.rejectTemplate));
      }
      if (marks.guardedBy !== undefined) annotations[GUARDED_BY] = marks.guardedBy;
      const body = {
        ...(Object.keys(annotations).length > 0 && { metadata: { annotations } }),
        spec: { replicas },
      };
      await withRetry(
        () =>
          ctx.custom.patchNamespacedCustomObject(
            {
              ...DEPLOYMENTS,
              namespace,
              name,
              body,
              fieldManager: ctx.fieldManager,
            },
            mergePatch,
          ),
        { baseMs: 100, maxMs: 2000, ...ctx.retry, attempts: Math.max(10, ctx.retry.attempts ?? 0) },
      );
    },
    setStable: (guard, action) => setStable(ctx, guard, action),
    ensureServices: (guard, action) => ensureServices(ctx, guard, action),
    writeStatus: (guard, status) => writeStatus(ctx, guard, status),
    setFinalizer: (guard, finalizer, present) => setFinalizer(ctx, guard, finalizer, present),
    orphan: (guard) => orphan(ctx, guard),
    emitEvent: (guard, type, reason, message) =>
      emitEvent(ctx, guard, type, reason, message, instance),
    watchGuards: (namespace, onChange) => watch(GUARDS, namespace, (ref) => onChange(ref)),
    watchDeployments: (namespace, onChange) =>
      watch(DEPLOYMENTS, namespace, (ref, type, object) => {
        const generation = object?.metadata?.generation;
        if (type === 'DELETED') onChange(ref, null);
        else onChange(ref, typeof generation === 'number' ? generation : undefined);
      }),
    watchPods: (namespace, onChange) => watchPods(kc, ctx, namespace, onChange, settings),
    watchServices: (namespace, onChange) =>
      listWatch({
        kc,
        group: '',
        version: 'v1',
        plural: 'services',
        namespace,
        labelSelector: LABEL_GUARD,
        list: (page) =>
          namespace
            ? ctx.core.listNamespacedService({ namespace, labelSelector: LABEL_GUARD, ...page })
            : ctx.core.listServiceForAllNamespaces({ labelSelector: LABEL_GUARD, ...page }),
        ...settings,
        // By name too: a Service whose label was taken off leaves the selection (DELETED)
        // carrying labels that no longer say whose it was.
        onChange: (ref, _type, object) => {
          const guards = new Set([ref.name, ref.name.replace(/-canary$/, '')]);
          const labelled = object?.metadata?.labels?.[LABEL_GUARD];
          if (labelled) guards.add(labelled);
          for (const name of guards) onChange({ namespace: ref.namespace, name });
        },
      }),
    watchRoutes: (namespace, onChange) => watchRoutes(kc, ctx, namespace, onChange, settings),
    observePods: (guard) => observePods(ctx, guard),
    unlabelPod: (namespace, name, uid) => unlabelPod(ctx, namespace, name, uid),
    deletePod: (namespace, name, uid) => deletePod(ctx, namespace, name, uid),
  };
}
