import type { PodFacts } from '../release/pods.ts';
import type { ReleaseGuardStatus } from '../release/schema.ts';
import type { Action, Observed } from '../release/state.ts';
import type { AdmissionReading } from './admission-state.ts';

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

/**
 * Annotations written on the target with its replicas. `guardedBy` marks a Deployment the
 * operator has taken over, so the chart's admission policies can refuse anyone else
 * scaling it up; hand-back removes it (null).
 */
export interface DeploymentMarks {
  rejectTemplate?: string | undefined;
  guardedBy?: string | null;
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
   * target's pods and the Ingresses and HTTPRoutes whose backend is `<guard>-canary`
   * (lists of the namespace's Services and routes, so only when it matters).
   */
  observe(
    ref: GuardRef,
    targetName: string,
    options?: {
      /** 'fresh': not from a list another guard made a moment ago (see observe.ts). */
      exposure?: boolean | 'fresh';
      /** The port the Services should have; a Service with another counts as missing. */
      port?: { port: number; targetPort: number };
      /** Read Observed.foreignCanaryPods: the candidate is (about to be) probed. */
      canaryPods?: boolean;
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
   * The ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding of each name, as
   * read (missing, or why unreadable); never throws.
   */
  readAdmission(names: readonly string[]): Promise<AdmissionReading[]>;

  /**
   * Sets spec.replicas of a Deployment (a merge patch: fast, and no conflict to lose). The
   * same patch sets, with `rejectTemplate`, the vakt.dev/rejected-template annotation and,
   * with `guardedBy`, the vakt.dev/guarded-by annotation naming the guard (null removes it).
   * An adapter with seal keys seals the rejection to that guard and the Deployment's uid
   * (vakt.dev/rejected-seal), in the same patch.
   */
  scaleDeployment(
    namespace: string,
    name: string,
    replicas: number,
    marks?: DeploymentMarks,
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
   * Writes status through the status subresource; returns the new resourceVersion, or null
   * when the guard is gone. On 409 it re-reads the guard: when only its metadata or spec
   * moved on (status as read), it writes again; when status itself changed meanwhile,
   * another decision was written over the one this status was decided from, so nothing is
   * written and STATUS_CHANGED says to decide again on the fresh object.
   */
  writeStatus(
    guard: GuardObject,
    status: ReleaseGuardStatus,
  ): Promise<string | null | typeof STATUS_CHANGED>;
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
  /**
   * The same for Deployments (targets and `-stable` copies), with the generation the
   * object now has (`null`: deleted) when the event carried it.
   */
  watchDeployments(
    namespace: string | undefined,
    onChange: (ref: GuardRef, generation?: number | null) => void,
  ): Promise<Stop>;
  /**
   * Pods labelled vakt.dev/guard (a label-selected watch) added or changed: calls back
   * with the guard the label names, which may not exist.
   */
  watchPods(namespace: string | undefined, onChange: (guard: GuardRef) => void): Promise<Stop>;
  /**
   * Services labelled vakt.dev/guard (vakt's own), added, changed, deleted or relabelled:
   * calls back with each guard the Service may belong to (`<guard>` or `<guard>-canary`).
   */
  watchServices(namespace: string | undefined, onChange: (guard: GuardRef) => void): Promise<Stop>;
  /**
   * Any Ingress or HTTPRoute change (HTTPRoutes only where the Gateway API is installed):
   * calls back with its namespace. The next observe() with `exposure` reads the change.
   */
  watchRoutes(namespace: string | undefined, onChange: (namespace: string) => void): Promise<Stop>;
  /** The pods labelled vakt.dev/guard=<guard>, and whether each is really `-stable`'s. */
  observePods(guard: GuardObject): Promise<PodFacts[]>;
  /** Takes vakt.dev/guard and vakt.dev/role off the pod with this uid; gone already is fine. */
  unlabelPod(namespace: string, name: string, uid: string): Promise<void>;
  /** Deletes the pod with this uid; gone already is fine. */
  deletePod(namespace: string, name: string, uid: string): Promise<void>;
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

/** writeStatus: status changed since it was read; decide again, never write over it. */
export const STATUS_CHANGED = Symbol('status changed');
