import { Writable } from 'node:stream';
import { createGitHub } from '../../src/github/client.ts';
import { createCluster } from '../../src/kube/cluster.ts';
import type { SealKeys } from '../../src/kube/seal.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import type { NotificationConfig } from '../../src/notify/config.ts';
import { clusterAdmission } from '../../src/operator/admission-source.ts';
import { type Operator, startOperator } from '../../src/operator/operator.ts';
import { configMapPlatform } from '../../src/operator/platform-source.ts';
import type { Cluster, LeaderElector } from '../../src/operator/ports.ts';
import type { ServiceUrl } from '../../src/operator/service-url.ts';
import type { TrustRoot } from '../../src/provenance/trust-roots.ts';
import type { ReleaseGuardStatus } from '../../src/release/schema.ts';
import { imagesOf, type PodTemplate } from '../../src/release/template.ts';
import { type FakeKube, type KubeObject, startFakeKube } from './fake-kube/index.ts';
import { API, GITHUB_TOKEN } from './operator-fixtures.ts';
import { shopEnv } from './shop-probe.ts';

/**
 * The operator as it runs in a cluster, against the loopback fake API server: the real
 * client-node adapter, Deployments and Services as API objects, and sample shops on
 * loopback standing in for the pods a Service reaches (see serviceUrl).
 */

export const NS = 'shop';
/** Where the operator itself runs: its Lease and its GitHub Secret. */
export const OPERATOR_NS = 'vakt-system';
export const GITHUB_SECRET = 'vakt-github';
export const LEASE = 'vakt-operator';
/** No one listens on the discard port: a Service without endpoints refuses connections. */
const NOWHERE = 'http://127.0.0.1:9';

type Labels = Record<string, string>;

export interface GuardEvent {
  type: string;
  reason: string;
  note: string;
  regarding: { kind?: string; name?: string; namespace?: string; uid?: string };
}

/** A write the API server accepted, as a watch would see it. */
export interface StoreWrite {
  kind: string;
  name: string;
  object: KubeObject;
}

export interface StartOptions {
  elector?: LeaderElector;
  /** Every Cluster call this operator makes, by method name. */
  calls?: string[];
  /** Read the admin's floors and allow-lists from this ConfigMap in OPERATOR_NS (default: unrestricted). */
  platformConfigMap?: { name: string; refreshMs: number };
  /** As `--admission-policies` (an empty list: the flag left out), read every refreshMs. */
  admission?: { policies: string[]; refreshMs: number };
  /** As `--trusted-root`: the roots attestations must chain to (default the shipped one). */
  trustRoots?: TrustRoot[];
  /** As `--notifications`: where decisions are announced. */
  notifications?: NotificationConfig;
  /** As `--seal-key-file`: rejection marks are sealed and only sealed ones trusted. */
  seal?: SealKeys;
  /** Reconcile passes at once (default the operator's). */
  passesAtOnce?: number;
  /** Wraps the real adapter, for a test that holds or watches particular calls. */
  wrap?: (cluster: Cluster) => Cluster;
}

export interface KubeWorld {
  kube: FakeKube;
  /** Image → URL of the shop that "runs" it; change it to change what a Service reaches. */
  urls: Map<string, string>;
  /** Every accepted write, in order (test setup included). */
  writes: StoreWrite[];
  logs: string[];
  /** What the Service mapping found wrong, such as a Service selecting two Deployments' pods. */
  problems: string[];
  start(options?: StartOptions): Operator;
  /** Stops this world's operators, then the API server. */
  close(): Promise<void>;
  guard(): KubeObject | undefined;
  status(): ReleaseGuardStatus | undefined;
  deployment(name: string): KubeObject | undefined;
  service(name: string): KubeObject | undefined;
  events(reason?: string): GuardEvent[];
  /** As `kubectl apply` would: the template and replicas change, everything else stays. */
  applyDeployment(template: PodTemplate, replicas: number): void;
  applyGuard(spec: unknown): void;
  annotateGuard(annotation: string, value: string): void;
  putSecret(
    name: string,
    data: Record<string, string>,
    namespace?: string,
    labels?: Record<string, string>,
  ): void;
  putConfigMap(name: string, data: Record<string, string>, namespace?: string): void;
  /** The vakt.dev/template-hash values `<guard>-stable` went through, in order. */
  stableHashes(): string[];
  /** The spec.replicas values a Deployment went through, in order. */
  replicasOf(name: string): number[];
  waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
}

/** pod template labels ⊇ selector, as a Service selects pods. */
export function selects(selector: Labels | undefined, labels: Labels | undefined): boolean {
  const wanted = Object.entries(selector ?? {});
  return wanted.length > 0 && wanted.every(([key, value]) => labels?.[key] === value);
}

export const podLabels = (deployment: KubeObject | undefined): Labels =>
  (
    (deployment?.spec as { template?: PodTemplate } | undefined)?.template?.metadata as
      | { labels?: Labels }
      | undefined
  )?.labels ?? {};

export const specOf = (object: KubeObject | undefined) =>
  (object?.spec ?? {}) as {
    replicas?: number;
    selector?: Labels & { matchLabels?: Labels };
    template?: PodTemplate;
  };

/** spec.selector of a Service. */
export const selectorOf = (service: KubeObject | undefined): Labels | undefined =>
  (service?.spec as { selector?: Labels } | undefined)?.selector;

const annotation = (object: KubeObject | undefined, key: string) =>
  object?.metadata.annotations?.[key];

/** Consecutive repeats collapsed: [a, a, b, a] → [a, b, a]. */
function changes<T>(values: T[]): T[] {
  return values.filter((value, i) => i === 0 || values[i - 1] !== value);
}

/**
 * Reaches a Service as kube-proxy would: through the pods of the one Deployment whose
 * template its selector matches, to the shop that runs that template's image. No pods
 * (zero replicas, or nothing selected) means no endpoints.
 */
function serviceUrl(kube: FakeKube, urls: Map<string, string>, problems: string[]): ServiceUrl {
  return ({ namespace, name }) => {
    const service = kube.store.get('Service', namespace, name);
    if (!service) return NOWHERE;
    const selector = selectorOf(service);
    const selected = kube.store
      .list('Deployment', namespace)
      .filter((d) => selects(selector, podLabels(d)));
    if (selected.length > 1) {
      problems.push(
        `Service ${name} selects the pods of ${selected.map((d) => d.metadata.name).join(' and ')}`,
      );
    }
    const running = selected.find((d) => (specOf(d).replicas ?? 1) > 0);
    const template = specOf(running).template;
    const image = template && imagesOf(template)[0];
    return (image && urls.get(image)) ?? NOWHERE;
  };
}

/** Forwards every call, noting the method's name first. */
function recording(cluster: Cluster, calls: string[]): Cluster {
  return Object.fromEntries(
    Object.entries(cluster).map(([method, fn]) => [
      method,
      (...args: unknown[]) => {
        calls.push(method);
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as Cluster;
}

export interface WorldSetup {
  spec: unknown;
  template: PodTemplate;
  urls: [string, string][];
  /** The target's replicas before adoption (default 3). */
  replicas?: number;
  tenants?: Record<string, string>;
  /** The cluster has the Gateway API's CRDs (HTTPRoute); default true. */
  gatewayApi?: boolean;
}

export async function startKubeWorld(setup: WorldSetup): Promise<KubeWorld> {
  const kube = await startFakeKube({ gatewayApi: setup.gatewayApi ?? true });
  const writes: StoreWrite[] = [];
  const unsubscribe = kube.store.onWrite((kind, object) => {
    writes.push({ kind, name: object.metadata.name ?? '', object });
  });
  const logs: string[] = [];
  const problems: string[] = [];
  const urls = new Map(setup.urls);
  const operators: Operator[] = [];
  const log: Logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  });

  const world: KubeWorld = {
    kube,
    urls,
    writes,
    logs,
    problems,
    start(options = {}) {
      const cluster = createCluster(kube.kubeConfig(), {
        log: log.child({ component: 'kube' }),
        instance: `vakt-${operators.length}`,
        retry: { baseMs: 1, maxMs: 20 },
        watchBackoff: { baseMs: 5, maxMs: 50 },
        ...(options.elector && { fence: options.elector }),
        ...(options.seal && { seal: options.seal }),
      });
      const wrapped = options.wrap ? options.wrap(cluster) : cluster;
      const op = startOperator({
        cluster: options.calls ? recording(wrapped, options.calls) : wrapped,
        ...(options.passesAtOnce !== undefined && { passesAtOnce: options.passesAtOnce }),
        ...(options.elector && { elector: options.elector }),
        ...(options.platformConfigMap && {
          platform: configMapPlatform({
            cluster,
            configMap: { namespace: OPERATOR_NS, name: options.platformConfigMap.name },
            log: log.child({ component: 'platform' }),
            refreshMs: options.platformConfigMap.refreshMs,
          }),
        }),
        ...(options.admission && {
          admission: clusterAdmission({
            cluster,
            names: options.admission.policies,
            log: log.child({ component: 'admission' }),
            refreshMs: options.admission.refreshMs,
          }),
        }),
        log,
        github: {
          secret: { namespace: OPERATOR_NS, name: GITHUB_SECRET },
          baseUrl: API,
          createOctokit: (github) => createGitHub({ ...github, retries: false }),
          ...(options.trustRoots && { trustRoots: options.trustRoots }),
        },
        serviceUrl: serviceUrl(kube, urls, problems),
        // Enough requests for a guard run to meet the policy's bound and pass.
        guardLoad: { requests: 100, concurrency: 2 },
        ...(options.notifications && {
          notifications: options.notifications,
          notificationDrainMs: 200,
        }),
      });
      operators.push(op);
      return op;
    },
    async close() {
      await Promise.all(operators.map((op) => op.stop()));
      unsubscribe();
      await kube.close();
    },
    guard: () => kube.store.get('ReleaseGuard', NS, 'shop'),
    status: () => world.guard()?.status as ReleaseGuardStatus | undefined,
    deployment: (name) => kube.store.get('Deployment', NS, name),
    service: (name) => kube.store.get('Service', NS, name),
    events: (reason) =>
      kube.store
        .list('events.k8s.io/v1/Event', NS)
        .map((e) => e as unknown as GuardEvent)
        .filter((e) => reason === undefined || e.reason === reason),
    applyDeployment(template, replicas) {
      const current = world.deployment('shop');
      kube.store.put({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        ...current,
        metadata: { ...current?.metadata, name: 'shop', namespace: NS },
        spec: {
          ...specOf(current),
          selector: { matchLabels: { app: 'shop' } },
          replicas,
          template: structuredClone(template),
        },
      });
    },
    applyGuard(spec) {
      const current = world.guard();
      kube.store.put({
        apiVersion: 'vakt.dev/v1alpha1',
        kind: 'ReleaseGuard',
        ...current,
        metadata: { ...current?.metadata, name: 'shop', namespace: NS },
        spec: structuredClone(spec),
      });
    },
    annotateGuard(key, value) {
      const current = world.guard();
      if (!current) throw new Error('no ReleaseGuard to annotate');
      const annotations = { ...current.metadata.annotations, [key]: value };
      kube.store.put({ ...current, metadata: { ...current.metadata, annotations } });
    },
    putSecret(name, data, namespace = NS, labels) {
      kube.store.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace, ...(labels && { labels }) },
        stringData: data,
      });
    },
    putConfigMap(name, data, namespace = NS) {
      kube.store.put({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace },
        data,
      });
    },
    stableHashes: () =>
      changes(
        writes
          .filter((w) => w.kind === 'Deployment' && w.name === 'shop-stable')
          .map((w) => annotation(w.object, 'vakt.dev/template-hash') ?? ''),
      ),
    replicasOf: (name) =>
      changes(
        writes
          .filter((w) => w.kind === 'Deployment' && w.name === name)
          .map((w) => specOf(w.object).replicas ?? 1),
      ),
    async waitFor(what, check, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) {
          const status = world.status();
          const events = world.events().map((e) => e.reason);
          throw new Error(
            `timed out waiting for ${what}; phase ${status?.phase}: ${status?.message}; events ${events.join(', ')}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };

  world.putSecret(GITHUB_SECRET, { token: GITHUB_TOKEN }, OPERATOR_NS);
  world.putSecret('shop-tenants', setup.tenants ?? shopEnv());
  world.applyDeployment(setup.template, setup.replicas ?? 3);
  world.applyGuard(setup.spec);
  return world;
}

/** Every ReleaseGuard status write fails from now on: each pass acts, then fails at its end. */
export function failStatusWrites(world: KubeWorld): void {
  world.kube.faults.fail({
    verb: 'update',
    kind: 'ReleaseGuard',
    subresource: 'status',
    code: 500,
    times: 10_000,
  });
}
