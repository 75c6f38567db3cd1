import type { V1Service } from '@kubernetes/client-node';
import type { Cluster, GuardRef } from '../operator/ports.ts';
import type { Observed } from '../release/state.ts';
import type { PodTemplate } from '../release/template.ts';
import {
  ANNOTATION_TEMPLATE_HASH,
  type KubeContext,
  LABEL_GUARD,
  LABEL_ROLE,
  matchLabelsOf,
  type RawObject,
  readDeployment,
  readOrNull,
} from './context.ts';
import { withRetry } from './errors.ts';
import { observeMarks } from './marks.ts';
import { foreignCanaryPods } from './pods.ts';
import { previousStable } from './previous-stable.ts';
import { listRoutes, routesTo } from './routes.ts';
import { matches } from './services.ts';

export type ObserveOptions = NonNullable<Parameters<Cluster['observe']>[2]>;

/** The world decide() needs: the target, `<guard>-stable` and the two Services. */
export async function observe(
  ctx: KubeContext,
  ref: GuardRef,
  targetName: string,
  options: ObserveOptions = {},
): Promise<Omit<Observed, 'probe'>> {
  const { namespace, name } = ref;
  const service = (serviceName: string) =>
    readOrNull(ctx, () => ctx.core.readNamespacedService({ namespace, name: serviceName }));
  const fresh = options.exposure === 'fresh';
  const [target, stable, stableService, canaryService, all, routes] = await Promise.all([
    readDeployment(ctx, namespace, targetName),
    readDeployment(ctx, namespace, `${name}-stable`),
    service(name),
    service(`${name}-canary`),
    options.exposure ? listServices(ctx, namespace, fresh) : null,
    options.exposure ? listRoutes(ctx, namespace, fresh) : null,
  ]);
  const foreign =
    options.canaryPods && target ? await foreignCanaryPods(ctx, namespace, target) : undefined;
  if (target?.metadata?.uid)
    ctx.deploymentUids.set(`${namespace}/${targetName}`, target.metadata.uid);
  const marks = observeMarks(ctx, ref, target, stable);
  const exposedBy =
    all && target
      ? exposingServices(all, podLabelsOf(target), [name, `${name}-canary`])
      : undefined;
  return {
    ...(exposedBy ? { exposedBy } : {}),
    ...(foreign ? { foreignCanaryPods: foreign } : {}),
    ...(routes ? { canaryRoutes: routesTo(routes, `${name}-canary`, namespace) } : {}),
    ...(marks.unsealed.length > 0 ? { unsealedMarks: marks.unsealed } : {}),
    target: target
      ? {
          template: structuredClone((target.spec?.template ?? {}) as PodTemplate),
          annotations: marks.targetAnnotations,
          matchLabels: matchLabelsOf(target),
          replicas: replicasOf(target),
          ready: deploymentReady(target),
        }
      : null,
    stable: stable
      ? {
          templateHash: stable.metadata?.annotations?.[ANNOTATION_TEMPLATE_HASH] ?? '',
          ready: deploymentReady(stable),
          ...(typeof stable.metadata?.generation === 'number'
            ? { generation: stable.metadata.generation }
            : {}),
          ...(marks.stableRejected ? { rejectedTemplate: marks.stableRejected } : {}),
          ...adoptableOf(stable, target, name),
        }
      : null,
    // A Service that selects the wrong pods or has the wrong port counts as missing, so
    // decide() repairs it.
    // Without its vakt.dev/guard label a Service escapes the operator's watch: missing too.
    services: {
      stable: selects(stableService, stableSelector(name), options.port, name),
      canary: target
        ? selects(canaryService, matchLabelsOf(target), options.port, name)
        : canaryService !== null,
    },
  };
}

function adoptableOf(
  stable: RawObject,
  target: RawObject | null,
  guardName: string,
): { previous?: NonNullable<ReturnType<typeof previousStable>> } {
  const previous = previousStable(stable, target, guardName);
  return previous ? { previous } : {};
}

export function stableSelector(guardName: string): Record<string, string> {
  return { [LABEL_GUARD]: guardName, [LABEL_ROLE]: 'stable' };
}

function selects(
  service: V1Service | null,
  selector: Record<string, string>,
  port: { port: number; targetPort: number } | undefined,
  guard: string,
): boolean {
  return (
    service !== null &&
    service.metadata?.labels?.[LABEL_GUARD] === guard &&
    matches(service, selector, port)
  );
}

/** The API server defaults spec.replicas to 1. */
export function replicasOf(deployment: RawObject): number {
  const replicas = deployment.spec?.replicas;
  return typeof replicas === 'number' ? replicas : 1;
}

/**
 * The rollout of the current template is complete, as `kubectl rollout status` sees it: the
 * controller has seen this generation, every replica runs the new template and is ready
 * and available, and no old replica is left. Zero counts are omitted from status, so
 * missing means 0 (and 0 replicas is ready once observed).
 */
export function deploymentReady(deployment: RawObject): boolean {
  const status = (deployment.status ?? {}) as Record<string, unknown>;
  const count = (key: string) => (typeof status[key] === 'number' ? (status[key] as number) : 0);
  const generation = deployment.metadata?.generation ?? 0;
  if (count('observedGeneration') < generation) return false;
  const replicas = replicasOf(deployment);
  return (
    count('updatedReplicas') === replicas &&
    count('readyReplicas') === replicas &&
    count('availableReplicas') === replicas &&
    count('replicas') <= replicas
  );
}

/**
 * A namespace's Services, listed at most once per SERVICE_LIST_MS for all guards there:
 * a thousand guards adopting in one namespace would otherwise each list every Service
 * (a million objects), and every pass of a running canary would list them again. A guard
 * already waiting on a Service asks for a fresh list, so a fix is seen at once.
 */
const SERVICE_LIST_MS = 2_000;

function listServices(ctx: KubeContext, namespace: string, fresh: boolean): Promise<V1Service[]> {
  const now = performance.now();
  const cached = ctx.serviceLists.get(namespace);
  if (cached && !fresh && now - cached.at < SERVICE_LIST_MS) return cached.items;
  const items = withRetry(() => ctx.core.listNamespacedService({ namespace }), ctx.retry).then(
    (list) => list.items,
  );
  ctx.serviceLists.set(namespace, { at: now, items });
  // A failed list is not kept: the next pass asks again.
  items.catch(() => {
    if (ctx.serviceLists.get(namespace)?.items === items) ctx.serviceLists.delete(namespace);
  });
  return items;
}

function podLabelsOf(deployment: RawObject): Record<string, string> {
  const template = deployment.spec?.template as { metadata?: { labels?: Record<string, string> } };
  return template?.metadata?.labels ?? {};
}

/** The ReplicaSet controller puts it on every pod it makes, with a value vakt does not read. */
const POD_TEMPLATE_HASH = 'pod-template-hash';

/**
 * Services, but those named, whose selector takes in pods with these labels (and any
 * pod-template-hash: some value of it is on the target's pods).
 */
export function exposingServices(
  services: V1Service[],
  podLabels: Record<string, string>,
  except: string[],
): string[] {
  return services
    .filter((s) => {
      const selector = Object.entries(s.spec?.selector ?? {});
      // No selector: endpoints are managed by hand, not by pod labels.
      if (selector.length === 0 || except.includes(s.metadata?.name ?? '')) return false;
      return selector.every(
        ([key, value]) => key === POD_TEMPLATE_HASH || podLabels[key] === value,
      );
    })
    .map((s) => s.metadata?.name ?? '')
    .sort();
}
