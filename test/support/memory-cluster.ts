import { performance } from 'node:perf_hooks';
import type { AdmissionReading } from '../../src/operator/admission-state.ts';
import type {
  Cluster,
  DeploymentMarks,
  EnsureServicesAction,
  GuardObject,
  GuardRef,
  SetStableAction,
  STATUS_CHANGED,
  Stop,
} from '../../src/operator/ports.ts';
import type { PodFacts } from '../../src/release/pods.ts';
import type { ReleaseGuardStatus } from '../../src/release/schema.ts';
import { GUARDED_BY, type Observed, REJECTED_TEMPLATE } from '../../src/release/state.ts';
import type { PodTemplate } from '../../src/release/template.ts';

/**
 * A Cluster in memory, for the operator's wiring tests (leader election, readiness,
 * approvals): plain objects that the operator's actions change at once, every write
 * recorded, watches that fire on the next turn of the event loop. The operator's behaviour
 * is tested against the fake API server through the real adapter (operator-kube.test.ts).
 */

export interface MemoryDeployment {
  namespace: string;
  name: string;
  template: PodTemplate;
  annotations: Record<string, string>;
  replicas: number;
  /** `<guard>-stable` only: the vakt.dev/template-hash annotation. */
  templateHash?: string;
}

export interface Write {
  /** performance.now() when the write was accepted. */
  at: number;
  kind: 'scale' | 'setStable' | 'ensureServices' | 'status' | 'orphan' | 'finalizer';
  namespace: string;
  name: string;
  replicas?: number;
  why?: SetStableAction['why'];
  templateHash?: string;
  phase?: string;
}

export interface MemoryEvent {
  guard: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

type Method = keyof Cluster;

/** What the API server's client throws: a status code, as client-node's ApiException has. */
export function apiError(code: number, message = `HTTP ${code}`): Error {
  return Object.assign(new Error(message), { code, statusCode: code });
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

export class MemoryCluster implements Cluster {
  readonly guards = new Map<string, GuardObject>();
  readonly deployments = new Map<string, MemoryDeployment>();
  /** Service → what it selects. */
  readonly services = new Map<string, { guard: string; selects: 'stable' | 'candidate' }>();
  readonly secrets = new Map<string, Record<string, string>>();
  /** Labels of the Secrets above, by the same key (none when absent). */
  readonly secretLabels = new Map<string, Record<string, string>>();
  readonly configMaps = new Map<string, Record<string, string>>();
  readonly events: MemoryEvent[] = [];
  readonly writes: Write[] = [];
  readonly calls = new Map<Method, number>();
  private readonly guardWatchers = new Set<(ref: GuardRef) => void>();
  private readonly deploymentWatchers = new Set<(ref: GuardRef) => void>();
  private version = 1;

  // --- what a person does with kubectl -------------------------------------------------

  applyGuard(
    namespace: string,
    name: string,
    spec: unknown,
    annotations: Record<string, string> = {},
  ) {
    const existing = this.guards.get(key(namespace, name));
    const changed = !existing || JSON.stringify(existing.spec) !== JSON.stringify(spec);
    const guard: GuardObject = {
      namespace,
      name,
      uid: existing?.uid ?? `uid-${name}`,
      generation: (existing?.generation ?? 0) + (changed ? 1 : 0),
      resourceVersion: String(this.version++),
      annotations: { ...existing?.annotations, ...annotations },
      finalizers: [...(existing?.finalizers ?? [])],
      deleting: existing?.deleting ?? false,
      spec: structuredClone(spec),
      ...(existing?.status && { status: existing.status }),
    };
    this.guards.set(key(namespace, name), guard);
    this.notify(this.guardWatchers, { namespace, name });
  }

  annotateGuard(namespace: string, name: string, annotation: string, value: string): void {
    const guard = this.guards.get(key(namespace, name));
    if (!guard) throw new Error(`no guard ${name}`);
    guard.annotations = { ...guard.annotations, [annotation]: value };
    guard.resourceVersion = String(this.version++);
    this.notify(this.guardWatchers, { namespace, name });
  }

  /** Creates or updates a Deployment, as `kubectl apply` does (replicas included). */
  applyDeployment(
    namespace: string,
    name: string,
    template: PodTemplate,
    replicas: number,
    annotations: Record<string, string> = {},
  ): void {
    this.deployments.set(key(namespace, name), {
      namespace,
      name,
      template: structuredClone(template),
      annotations,
      replicas,
    });
    this.notify(this.deploymentWatchers, { namespace, name });
  }

  deployment(namespace: string, name: string): MemoryDeployment | undefined {
    return this.deployments.get(key(namespace, name));
  }

  guard(namespace: string, name: string): GuardObject | undefined {
    return this.guards.get(key(namespace, name));
  }

  count(method: Method): number {
    return this.calls.get(method) ?? 0;
  }

  // --- the Cluster port ------------------------------------------------------------------

  async getGuard(ref: GuardRef): Promise<GuardObject | null> {
    this.enter('getGuard');
    const guard = this.guards.get(key(ref.namespace, ref.name));
    return guard ? structuredClone(guard) : null;
  }

  async observe(ref: GuardRef, targetName: string): Promise<Omit<Observed, 'probe'>> {
    this.enter('observe');
    const target = this.deployment(ref.namespace, targetName);
    const stable = this.deployment(ref.namespace, `${ref.name}-stable`);
    return {
      target: target
        ? {
            template: structuredClone(target.template),
            annotations: { ...target.annotations },
            replicas: target.replicas,
            ready: true,
          }
        : null,
      stable: stable?.templateHash
        ? {
            templateHash: stable.templateHash,
            ready: true,
            ...(stable.annotations[REJECTED_TEMPLATE]
              ? { rejectedTemplate: stable.annotations[REJECTED_TEMPLATE] }
              : {}),
          }
        : null,
      services: {
        stable: this.services.has(key(ref.namespace, ref.name)),
        canary: this.services.has(key(ref.namespace, `${ref.name}-canary`)),
      },
    };
  }

  async readSecret(namespace: string, name: string): Promise<Record<string, string> | null> {
    this.enter('readSecret');
    const data = this.secrets.get(key(namespace, name));
    return data ? { ...data } : null;
  }

  async readLabelledSecret(
    namespace: string,
    name: string,
  ): Promise<{ data: Record<string, string>; labels: Record<string, string> } | null> {
    this.enter('readLabelledSecret');
    const data = this.secrets.get(key(namespace, name));
    if (!data) return null;
    return { data: { ...data }, labels: { ...this.secretLabels.get(key(namespace, name)) } };
  }

  async readConfigMap(namespace: string, name: string): Promise<Record<string, string> | null> {
    this.enter('readConfigMap');
    const data = this.configMaps.get(key(namespace, name));
    return data ? { ...data } : null;
  }

  /** No admission objects here: every one reads as missing. */
  async readAdmission(names: readonly string[]): Promise<AdmissionReading[]> {
    this.enter('readAdmission');
    return names.map((name) => ({
      name,
      policy: { state: 'missing' },
      binding: { state: 'missing' },
    }));
  }

  async scaleDeployment(
    namespace: string,
    name: string,
    replicas: number,
    marks: DeploymentMarks = {},
  ): Promise<void> {
    this.enter('scaleDeployment');
    const deployment = this.deployment(namespace, name);
    if (!deployment) throw apiError(404, `deployments.apps "${name}" not found`);
    deployment.replicas = replicas;
    if (marks.rejectTemplate) deployment.annotations[REJECTED_TEMPLATE] = marks.rejectTemplate;
    if (marks.guardedBy) deployment.annotations[GUARDED_BY] = marks.guardedBy;
    if (marks.guardedBy === null) delete deployment.annotations[GUARDED_BY];
    this.writes.push({ at: performance.now(), kind: 'scale', namespace, name, replicas });
    this.notify(this.deploymentWatchers, { namespace, name });
  }

  async setStable(guard: GuardObject, action: SetStableAction): Promise<number | undefined> {
    this.enter('setStable');
    const name = `${guard.name}-stable`;
    this.deployments.set(key(guard.namespace, name), {
      namespace: guard.namespace,
      name,
      template: structuredClone(action.template),
      annotations: {
        'vakt.dev/template-hash': action.templateHash,
        ...(action.rejectTemplate ? { [REJECTED_TEMPLATE]: action.rejectTemplate } : {}),
      },
      replicas: action.replicas,
      templateHash: action.templateHash,
    });
    this.writes.push({
      at: performance.now(),
      kind: 'setStable',
      namespace: guard.namespace,
      name,
      why: action.why,
      templateHash: action.templateHash,
      replicas: action.replicas,
    });
    this.notify(this.deploymentWatchers, { namespace: guard.namespace, name });
    return undefined;
  }

  async ensureServices(guard: GuardObject, action: EnsureServicesAction): Promise<void> {
    this.enter('ensureServices');
    this.services.set(key(guard.namespace, action.stable), {
      guard: guard.name,
      selects: 'stable',
    });
    this.services.set(key(guard.namespace, action.canary), {
      guard: guard.name,
      selects: 'candidate',
    });
    this.writes.push({
      at: performance.now(),
      kind: 'ensureServices',
      namespace: guard.namespace,
      name: guard.name,
    });
  }

  async setFinalizer(
    guard: GuardObject,
    finalizer: string,
    present: boolean,
  ): Promise<string | null> {
    this.enter('setFinalizer');
    const at = key(guard.namespace, guard.name);
    const stored = this.guards.get(at);
    if (!stored || stored.resourceVersion !== guard.resourceVersion) return null;
    const others = stored.finalizers.filter((f) => f !== finalizer);
    stored.finalizers = present ? [...others, finalizer] : others;
    stored.resourceVersion = String(this.version++);
    this.writes.push({
      at: performance.now(),
      kind: 'finalizer',
      namespace: guard.namespace,
      name: guard.name,
    });
    if (stored.deleting && stored.finalizers.length === 0) this.guards.delete(at);
    this.notify(this.guardWatchers, { namespace: guard.namespace, name: guard.name });
    return stored.resourceVersion;
  }

  /** What vakt made for the guard outlives it: nothing here garbage-collects, so only recorded. */
  async orphan(guard: GuardObject): Promise<void> {
    this.enter('orphan');
    this.writes.push({
      at: performance.now(),
      kind: 'orphan',
      namespace: guard.namespace,
      name: guard.name,
    });
  }

  async writeStatus(
    guard: GuardObject,
    status: ReleaseGuardStatus,
  ): Promise<string | null | typeof STATUS_CHANGED> {
    this.enter('writeStatus');
    const stored = this.guards.get(key(guard.namespace, guard.name));
    if (!stored) return null;
    stored.status = structuredClone(status);
    stored.resourceVersion = String(this.version++);
    this.writes.push({
      at: performance.now(),
      kind: 'status',
      namespace: guard.namespace,
      name: guard.name,
      phase: status.phase,
    });
    this.notify(this.guardWatchers, { namespace: guard.namespace, name: guard.name });
    return stored.resourceVersion;
  }

  async emitEvent(
    guard: GuardObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    this.enter('emitEvent');
    this.events.push({ guard: key(guard.namespace, guard.name), type, reason, message });
  }

  async watchGuards(
    namespace: string | undefined,
    onChange: (ref: GuardRef) => void,
  ): Promise<Stop> {
    this.enter('watchGuards');
    return this.watch(this.guardWatchers, [...this.guards.values()], namespace, onChange);
  }

  async watchDeployments(
    namespace: string | undefined,
    onChange: (ref: GuardRef) => void,
  ): Promise<Stop> {
    this.enter('watchDeployments');
    return this.watch(this.deploymentWatchers, [...this.deployments.values()], namespace, onChange);
  }

  // Pods, vakt's Services and Ingresses are not modelled here: the fake API server tests them.
  async watchPods(): Promise<Stop> {
    this.enter('watchPods');
    return async () => {};
  }

  async watchServices(): Promise<Stop> {
    this.enter('watchServices');
    return async () => {};
  }

  async watchRoutes(): Promise<Stop> {
    this.enter('watchRoutes');
    return async () => {};
  }

  async observePods(): Promise<PodFacts[]> {
    this.enter('observePods');
    return [];
  }

  async unlabelPod(): Promise<void> {
    this.enter('unlabelPod');
  }

  async deletePod(): Promise<void> {
    this.enter('deletePod');
  }

  // --- inside ----------------------------------------------------------------------------

  private watch(
    watchers: Set<(ref: GuardRef) => void>,
    existing: GuardRef[],
    namespace: string | undefined,
    onChange: (ref: GuardRef) => void,
  ): Stop {
    const listener = (ref: GuardRef) => {
      if (namespace === undefined || ref.namespace === namespace) onChange(ref);
    };
    watchers.add(listener);
    for (const object of existing) {
      const ref = { namespace: object.namespace, name: object.name };
      setImmediate(() => {
        if (watchers.has(listener)) listener(ref);
      });
    }
    return async () => {
      watchers.delete(listener);
    };
  }

  private notify(watchers: Set<(ref: GuardRef) => void>, ref: GuardRef): void {
    setImmediate(() => {
      for (const watcher of watchers) watcher(ref);
    });
  }

  private enter(method: Method): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }
}
