import {
  AppsV1Api,
  type Configuration,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
} from '@kubernetes/client-node';
import type { GuardObject, WriteFence } from '../operator/ports.ts';
import { isNotFound, type RetryOptions, withRetry } from './errors.ts';
import { fencedClient } from './fence.ts';
import type { Logger } from './logger.ts';
import type { RouteObjects } from './routes.ts';
import type { SealKeys } from './seal.ts';

/** What every part of the Cluster adapter shares: API clients, logger, retry settings. */
export interface KubeContext {
  kc: KubeConfig;
  apps: AppsV1Api;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  events: EventsV1Api;
  log: Logger;
  fieldManager: string;
  /** Base retry settings (tests shorten the waits). */
  retry: Omit<RetryOptions, 'retryable' | 'signal'>;
  /** Recent lists of a namespace's Services, shared by the guards there (see observe.ts). */
  serviceLists: Map<string, { at: number; items: Promise<V1Service[]> }>;
  /** The same for Ingresses and HTTPRoutes (see routes.ts); a watch event drops its entry. */
  routeLists: Map<string, { at: number; items: Promise<RouteObjects> }>;
  /** Seals rejection marks (see seal.ts); without keys marks are written and trusted bare. */
  seal?: SealKeys;
  /**
   * `namespace/name` → metadata.uid of each target last observed: the revert seals its
   * mark to the Deployment's uid without a read before the scale.
   */
  deploymentUids: Map<string, string>;
}

export type RetrySettings = KubeContext['retry'];

export function makeContext(
  kc: KubeConfig,
  log: Logger,
  fieldManager: string,
  retry: RetrySettings,
  fence?: WriteFence,
  seal?: SealKeys,
): KubeContext {
  // With a fence, every write below passes it (see fence.ts).
  const client = <T>(Api: new (configuration: Configuration) => T): T =>
    fence ? fencedClient(kc, Api, fence) : (kc.makeApiClient(Api as never) as T);
  return {
    kc,
    apps: client(AppsV1Api),
    core: client(CoreV1Api),
    custom: client(CustomObjectsApi),
    events: client(EventsV1Api),
    log,
    fieldManager,
    retry,
    serviceLists: new Map(),
    routeLists: new Map(),
    ...(seal && { seal }),
    deploymentUids: new Map(),
  };
}

export const GUARDS = { group: 'vakt.dev', version: 'v1alpha1', plural: 'releaseguards' } as const;
export const GUARD_API_VERSION = 'vakt.dev/v1alpha1';
/**
 * Deployments are read and written through CustomObjectsApi on purpose: it returns the JSON
 * as stored, while the typed AppsV1Api model drops fields this client version does not know
 * and turns timestamps into Dates. The pod template is hashed and copied to `-stable`, so it
 * must come through untouched.
 */
export const DEPLOYMENTS = { group: 'apps', version: 'v1', plural: 'deployments' } as const;

export const LABEL_GUARD = 'vakt.dev/guard';
export const LABEL_ROLE = 'vakt.dev/role';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const ANNOTATION_TEMPLATE_HASH = 'vakt.dev/template-hash';

export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** A Deployment (or any object) as raw JSON. */
export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The guard as owner, so deleting it garbage-collects what vakt created for it. */
export function ownerReference(guard: GuardObject): OwnerReference {
  return {
    apiVersion: GUARD_API_VERSION,
    kind: 'ReleaseGuard',
    name: guard.name,
    uid: guard.uid,
    controller: true,
  };
}

export function ownedBy(object: RawObject, guard: GuardObject): boolean {
  return (object.metadata?.ownerReferences ?? []).some((r) => r.uid === guard.uid);
}

/** Reads with retries on throttling and server errors; null when the object does not exist. */
export async function readOrNull<T>(ctx: KubeContext, read: () => Promise<T>): Promise<T | null> {
  try {
    return await withRetry(read, ctx.retry);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

export function readDeployment(
  ctx: KubeContext,
  namespace: string,
  name: string,
): Promise<RawObject | null> {
  return readOrNull(
    ctx,
    async () =>
      (await ctx.custom.getNamespacedCustomObject({
        ...DEPLOYMENTS,
        namespace,
        name,
      })) as RawObject,
  );
}

/** spec.selector.matchLabels of a Deployment. */
export function matchLabelsOf(deployment: RawObject | null): Record<string, string> {
  const selector = deployment?.spec?.selector as
    | { matchLabels?: Record<string, string> }
    | undefined;
  return { ...(selector?.matchLabels ?? {}) };
}
