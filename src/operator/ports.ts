import type { ReleaseGuardStatus } from '../release/schema.ts';
import type { Action, Observed } from '../release/state.ts';

/**
 * What the operator needs from Kubernetes, as an interface: src/kube implements it with
 * client-node, tests may implement it in memory. The operator never imports client-node.
 */

export interface GuardRef {
  namespace: string;
  name: string;
}

/** A ReleaseGuard as read from the API server. */
export interface GuardObject extends GuardRef {
  uid: string;
  generation: number;
  resourceVersion: string;
  annotations: Record<string, string>;
  finalizers: string[];
  /** metadata.deletionTimestamp is set: the guard goes once its finalizers are removed. */
  deleting: boolean;
  /** Unvalidated: decide() validates it and reports problems as phase Invalid. */
  spec: unknown;
  status?: ReleaseGuardStatus;
}

export type SetStableAction = Extract<Action, { kind: 'setStable' }>;
export type EnsureServicesAction = Extract<Action, { kind: 'ensureServices' }>;

/**
 * Stops a watch; resolves once it is stopped. `synced`, when there, says whether the
 * watch has listed its objects at least once (a watch keeps retrying a failed list).
 */
export type Stop = (() => Promise<void>) & { synced?: () => boolean };

export interface Cluster {
  /** null when the guard no longer exists. */
  getGuard(ref: GuardRef): Promise<GuardObject | null>;
  /**
   * The world decide() needs, for a guard whose targetRef names `targetName` (everything
   * but `probe`, which the operator itself knows): the target Deployment, `<guard>-stable`
   * and the two Services; with `exposure`, also the other Services that select the
   * target's pods (a list of the namespace's Services, so only when it matters).
   */
  observe(
    ref: GuardRef,
    targetName: string,
    options?: {
      /** 'fresh': not from a list another guard made a moment ago (see observe.ts). */
      exposure?: boolean | 'fresh';
      /** The port the Services should have; a Service with another counts as missing. */
      port?: { port: number; targetPort: number };
    },
  ): Promise<Omit<Observed, 'probe'>>;
  /** Decoded Secret data (keys to UTF-8 strings); null when the Secret does not exist. */
  readSecret(namespace: string, name: string): Promise<Record<string, string> | null>;
  /** A Secret's decoded data and its labels (to check before the data is used); null when absent. */
  readLabelledSecret(
    namespace: string,
    name: string,
  ): Promise<{ data: Record<string, string>; labels: Record<string, string> } | null>;
  /** ConfigMap data; null when it does not exist. */
  readConfigMap(namespace: string, name: string): Promise<Record<string, string> | null>;

  /**
   * Sets spec.replicas of a Deployment (a merge patch: fast, and no conflict to lose); with
   * `rejectTemplate`, the same patch sets the vakt.dev/rejected-template annotation.
   */
  scaleDeployment(
    namespace: string,
    name: string,
    replicas: number,
    rejectTemplate?: string,
  ): Promise<void>;
  /**
   * Creates or updates `<guard>-stable` to run `action.template`, with pod labels that keep
   * the candidate's Service from selecting it, annotated vakt.dev/template-hash, owned by
   * the guard (ownerReferences; see orphan() for what deleting the guard does). Resolves
   * to its metadata.generation after the write (undefined when the adapter cannot tell):
   * the operator records it, and any later change of the spec by anyone else moves it.
   */
  setStable(guard: GuardObject, action: SetStableAction): Promise<number | undefined>;
  /** Creates or updates Service `<guard>` (to stable) and `<guard>-canary` (to the candidate). */
  ensureServices(guard: GuardObject, action: EnsureServicesAction): Promise<void>;
  /**
   * Writes status through the status subresource. On 409 it re-reads the guard and writes
   * again (status is wholly decide()'s, so the newest write wins); returns the new
   * resourceVersion, or null when the guard is gone.
   */
  writeStatus(guard: GuardObject, status: ReleaseGuardStatus): Promise<string | null>;
  /**
   * Adds or removes `finalizer`, conditional on the resourceVersion read. Returns the new
   * resourceVersion; null when the guard is gone or changed meanwhile (read it again).
   */
  setFinalizer(guard: GuardObject, finalizer: string, present: boolean): Promise<string | null>;
  /**
   * Drops the guard's owner reference from `<guard>-stable` and the two Services, so that
   * deleting the guard leaves them serving instead of garbage-collected.
   */
  orphan(guard: GuardObject): Promise<void>;
  /** An events.k8s.io/v1 Event about the guard; failures are logged, never thrown. */
  emitEvent(
    guard: GuardObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void>;

  /**
   * Calls back with every ReleaseGuard added, changed or deleted, across `namespace` (all
   * when undefined), starting with those that exist. Survives dropped watches, 410 and API
   * errors by relisting after a backoff.
   */
  watchGuards(namespace: string | undefined, onChange: (ref: GuardRef) => void): Promise<Stop>;
  /** The same for Deployments (targets and `-stable` copies). */
  watchDeployments(namespace: string | undefined, onChange: (ref: GuardRef) => void): Promise<Stop>;
}

/**
 * Whether this process may write to the API server now. The Cluster adapter asks before
 * every write and sends each request with `signal()`, which aborts when leadership ends, so a
 * replica that lost the Lease stops writing, in-flight writes included.
 */
export interface WriteFence {
  isLeading(): boolean;
  signal(): AbortSignal;
}

/** Leader election on a coordination.k8s.io/v1 Lease. */
export interface LeaderElector extends WriteFence {
  /** Resolves when this replica holds the lease; calls onLost if it is lost later. */
  acquire(onLost: () => void): Promise<void>;
  /** Gives the lease up (on shutdown), so another replica takes over at once. */
  release(): Promise<void>;
}
