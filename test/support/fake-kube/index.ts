import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { mirrorDeploymentStatus } from './deployments.ts';
import { Faults, RequestLog } from './faults.ts';
import { findKind, type KindInfo, type KubeObject, kindOf } from './kinds.ts';
import { apiHandler } from './server.ts';
import { Store } from './store.ts';

export type { FaultRule, RequestRecord, Verb } from './faults.ts';
export type { KubeObject } from './kinds.ts';

export interface FakeKubeOptions {
  /** Watch events kept for resuming (default 1000); a watch from before them gets 410 Gone. */
  historyLimit?: number;
  /** Stand in for the Deployment controller: mirror spec.replicas into status (default true). */
  deploymentStatus?: boolean;
  /** Serve the Gateway API's HTTPRoutes, as a cluster with its CRDs installed (default true). */
  gatewayApi?: boolean;
}

/** Anything shaped like an API object, such as client-node's V1Deployment. */
export interface Writable {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}

/** Direct access to the objects for test setup and assertions; kinds by "Deployment", "leases", ... */
export interface FakeStore {
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(kind: string, namespace?: string): KubeObject[];
  /** Creates or overwrites (status included, no resourceVersion check); emits watch events. */
  put<T extends Writable>(object: T): KubeObject;
  /** Deletes (or marks for deletion while finalizers remain); emits watch events. */
  remove(kind: string, namespace: string | undefined, name: string): void;
  /** Forgets watch history, so resuming from any earlier resourceVersion gets 410 Gone. */
  compact(): void;
  /** Changes the watch history size (0 keeps none). */
  setHistoryLimit(limit: number): void;
  /** Calls back at every accepted write, as it is accepted; returns an unsubscribe. */
  onWrite(listener: (kind: string, object: KubeObject) => void): () => void;
  readonly resourceVersion: string;
}

export interface FakeKube {
  url: string;
  /** A KubeConfig for this server: plain HTTP, skipTLSVerify, a dummy token. */
  kubeConfig(namespace?: string): KubeConfig;
  store: FakeStore;
  faults: Faults;
  requests: RequestLog;
  /** Switch the Deployment status stand-in on or off. */
  deploymentStatus: boolean;
  /** TCP connections clients opened so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A Kubernetes API server on loopback for the kinds the operator uses. */
export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const store = new Store(options.historyLimit);
  const faults = new Faults();
  const requests = new RequestLog();
  const server = createServer(
    apiHandler({
      store,
      faults,
      requests,
      absentGroups: new Set(options.gatewayApi === false ? ['gateway.networking.k8s.io'] : []),
    }),
  );
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeKube = {
    url,
    kubeConfig: (namespace = 'default') => {
      const config = new KubeConfig();
      config.loadFromOptions({
        clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
        users: [{ name: 'fake', token: 'fake-token' }],
        contexts: [{ name: 'fake', cluster: 'fake', user: 'fake', namespace }],
        currentContext: 'fake',
      });
      return config;
    },
    store: {
      get: (kind, namespace, name) => store.get(lookup(kind), namespace, name),
      list: (kind, namespace) => store.list(lookup(kind), namespace),
      put: (input) => {
        const object = input as unknown as KubeObject;
        const kind = kindOf(object);
        if (!kind) throw new Error(`fake-kube: unknown kind ${object.apiVersion} ${object.kind}`);
        const metadata = { ...object.metadata };
        if (kind.namespaced) metadata.namespace ??= 'default';
        const exists = store.get(kind, metadata.namespace, metadata.name ?? '');
        return exists
          ? store.update(kind, { ...object, metadata }, { force: true })
          : store.create(kind, { ...object, metadata }, { keepStatus: true });
      },
      remove: (kind, namespace, name) => void store.delete(lookup(kind), namespace, name),
      compact: () => store.compact(),
      setHistoryLimit: (limit) => {
        store.historyLimit = limit;
      },
      onWrite: (listener) => store.subscribe((event) => listener(event.kind.kind, event.object)),
      get resourceVersion() {
        return String(store.resourceVersion);
      },
    },
    faults,
    requests,
    deploymentStatus: options.deploymentStatus ?? true,
    get connections() {
      return connections;
    },
    close: async () => {
      stopMirror();
      faults.dropWatches({ abrupt: true });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const stopMirror = mirrorDeploymentStatus(store, () => fake.deploymentStatus);
  return fake;
}

function lookup(ref: string): KindInfo {
  const kind = findKind(ref);
  if (!kind) throw new Error(`fake-kube: unknown kind ${ref}`);
  return kind;
}
