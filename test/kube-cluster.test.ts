import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCluster } from '../src/kube/cluster.ts';
import { shareConnections } from '../src/kube/connections.ts';
import { deploymentReady } from '../src/kube/observe.ts';
import {
  type Cluster,
  type GuardObject,
  type SetStableAction,
  STATUS_CHANGED,
} from '../src/operator/ports.ts';
import type { ReleaseGuardStatus } from '../src/release/schema.ts';
import { templateHash } from '../src/release/template.ts';
import { type FakeKube, type KubeObject, startFakeKube } from './support/fake-kube/index.ts';

const namespace = 'shop';
let kube: FakeKube;
let cluster: Cluster;

beforeEach(async () => {
  kube = await startFakeKube();
  cluster = createCluster(kube.kubeConfig(), {
    retry: { baseMs: 1, maxMs: 5 },
    instance: 'vakt-0',
  });
});

afterEach(async () => {
  await kube.close();
});

const template = {
  metadata: { labels: { app: 'web', team: 'shop' } },
  spec: { containers: [{ name: 'app', image: 'shop:1' }] },
};

function deployment(name: string, replicas = 2, podTemplate: object = template) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, annotations: { 'vakt.dev/revision': 'abc' } },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: podTemplate },
  };
}

function putGuard(name = 'web'): KubeObject {
  return kube.store.put({
    apiVersion: 'vakt.dev/v1alpha1',
    kind: 'ReleaseGuard',
    metadata: { name, namespace },
    spec: { targetRef: { name: 'web-app' }, service: { port: 80, targetPort: 8080 } },
  });
}

async function guard(name = 'web'): Promise<GuardObject> {
  const found = await cluster.getGuard({ namespace, name });
  if (!found) throw new Error(`no guard ${name}`);
  return found;
}

function stableAction(podTemplate: object = template, replicas = 2): SetStableAction {
  return {
    kind: 'setStable',
    template: podTemplate as Record<string, unknown>,
    templateHash: templateHash(podTemplate as Record<string, unknown>),
    replicas,
    why: 'adopt',
  };
}

const services = {
  kind: 'ensureServices',
  stable: 'web',
  canary: 'web-canary',
  port: 80,
  targetPort: 8080,
} as const;

const status: ReleaseGuardStatus = {
  phase: 'Initializing',
  message: 'adopting',
  observedGeneration: 1,
  rejected: [],
  decisions: [],
  conditions: [],
};

describe('Cluster (client-node adapter) against the fake API server', () => {
  it('reads a guard, and null for a missing one', async () => {
    const stored = putGuard();
    const read = await guard();
    expect(read).toMatchObject({
      namespace,
      name: 'web',
      uid: stored.metadata.uid,
      generation: 1,
      resourceVersion: stored.metadata.resourceVersion,
      spec: { targetRef: { name: 'web-app' } },
    });
    expect(read.status).toBeUndefined();
    expect(await cluster.getGuard({ namespace, name: 'nope' })).toBeNull();
  });

  it('observes nothing when nothing exists', async () => {
    expect(await cluster.observe({ namespace, name: 'web' }, 'web-app')).toEqual({
      target: null,
      stable: null,
      services: { stable: false, canary: false },
    });
  });

  it('observes the target, the stable copy and the Services once they exist', async () => {
    putGuard();
    kube.store.put(deployment('web-app', 3));
    const g = await guard();
    const written = await cluster.setStable(g, stableAction());
    expect(written).toBeTypeOf('number');
    await cluster.ensureServices(g, services);
    await vi.waitFor(
      async () => {
        const seen = await cluster.observe({ namespace, name: 'web' }, 'web-app');
        expect(seen).toEqual({
          target: {
            template,
            annotations: { 'vakt.dev/revision': 'abc' },
            matchLabels: { app: 'web' },
            replicas: 3,
            ready: true,
          },
          // The generation observed is the one the operator's own write left; the release
          // it serves is read back exactly, its labels as the target selects them.
          stable: {
            templateHash: templateHash(template),
            ready: true,
            generation: written,
            previous: { template, replicas: 2 },
          },
          services: { stable: true, canary: true },
        });
      },
      { timeout: 10_000 },
    );
  });

  it('counts a Service that selects the wrong pods as missing', async () => {
    putGuard();
    kube.store.put(deployment('web-app'));
    await cluster.ensureServices(await guard(), services);
    kube.store.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web-canary', namespace },
      spec: { selector: { app: 'other' }, ports: [{ port: 80 }] },
    });
    const seen = await cluster.observe({ namespace, name: 'web' }, 'web-app');
    expect(seen.services).toEqual({ stable: true, canary: false });
  });

  it('judges readiness by observedGeneration and the replica counts', async () => {
    kube.deploymentStatus = false;
    const base = deployment('web-app', 2);
    const withStatus = (metaGeneration: number, status: Record<string, number>, replicas = 2) => ({
      metadata: { generation: metaGeneration },
      spec: { replicas },
      status,
    });
    const full = { updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, replicas: 2 };
    expect(deploymentReady(withStatus(1, { observedGeneration: 1, ...full }))).toBe(true);
    expect(deploymentReady(withStatus(2, { observedGeneration: 1, ...full }))).toBe(false);
    expect(
      deploymentReady(withStatus(1, { observedGeneration: 1, ...full, readyReplicas: 1 })),
    ).toBe(false);
    expect(
      deploymentReady(withStatus(1, { observedGeneration: 1, ...full, availableReplicas: 1 })),
    ).toBe(false);
    // Old pods still terminating: the rollout is not complete.
    expect(deploymentReady(withStatus(1, { observedGeneration: 1, ...full, replicas: 3 }))).toBe(
      false,
    );
    // Zero counts are omitted from status; zero replicas is ready once observed.
    expect(deploymentReady(withStatus(1, { observedGeneration: 1 }, 0))).toBe(true);
    expect(deploymentReady(withStatus(2, { observedGeneration: 1 }, 0))).toBe(false);

    // Through the API: not ready until the controller reports, then ready.
    kube.store.put(base);
    const before = await cluster.observe({ namespace, name: 'web' }, 'web-app');
    expect(before.target?.ready).toBe(false);
    const stored = kube.store.get('Deployment', namespace, 'web-app') as KubeObject;
    kube.store.put({ ...stored, status: { observedGeneration: 1, ...full } });
    const after = await cluster.observe({ namespace, name: 'web' }, 'web-app');
    expect(after.target?.ready).toBe(true);
  });

  it('scales a Deployment by merge patch, through an injected 500 and 429', async () => {
    kube.store.put(deployment('web-app', 2));
    kube.faults.fail({ verb: 'patch', kind: 'Deployment', code: 500 });
    kube.faults.fail({ verb: 'patch', kind: 'Deployment', code: 429, retryAfterSeconds: 0 });
    await cluster.scaleDeployment(namespace, 'web-app', 0);
    expect(kube.store.get('Deployment', namespace, 'web-app')?.spec).toMatchObject({
      replicas: 0,
      template,
    });
    expect(kube.requests.count('patch', 'Deployment')).toBe(3);
  });

  it('scales to zero and marks the template rejected in one patch', async () => {
    kube.store.put(deployment('web-app', 2));
    kube.requests.reset();
    await cluster.scaleDeployment(namespace, 'web-app', 0, { rejectTemplate: 'a1b2c3d4e5f60718' });
    const stored = kube.store.get('Deployment', namespace, 'web-app');
    expect(stored?.spec).toMatchObject({ replicas: 0 });
    expect(stored?.metadata.annotations).toEqual({
      'vakt.dev/revision': 'abc',
      'vakt.dev/rejected-template': 'a1b2c3d4e5f60718',
    });
    expect(kube.requests.all.map((r) => r.verb)).toEqual(['patch']);
    const seen = await cluster.observe({ namespace, name: 'web' }, 'web-app');
    expect(seen.target?.annotations['vakt.dev/rejected-template']).toBe('a1b2c3d4e5f60718');
  });

  it("lists the users' Services that select the target's pods, only when asked", async () => {
    putGuard();
    kube.store.put(deployment('web-app'));
    const service = (name: string, selector?: Record<string, string>) =>
      kube.store.put({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace },
        spec: { ...(selector ? { selector } : {}), ports: [{ port: 80 }] },
      });
    service('web-public', { app: 'web' });
    service('web-team', { app: 'web', team: 'shop' });
    // The ReplicaSet's pod-template-hash is on the target's pods too, whichever value.
    service('web-hashed', { team: 'shop', 'pod-template-hash': '5f7b9c' });
    service('other', { app: 'other' });
    service('other-hashed', { app: 'other', 'pod-template-hash': '5f7b9c' });
    service('external'); // no selector: endpoints by hand
    await cluster.ensureServices(await guard(), services);
    const ref = { namespace, name: 'web' };
    const seen = await cluster.observe(ref, 'web-app', { exposure: true });
    expect(seen.exposedBy).toEqual(['web-hashed', 'web-public', 'web-team']);
    kube.requests.reset();
    expect((await cluster.observe(ref, 'web-app')).exposedBy).toBeUndefined();
    expect(kube.requests.count('list', 'Service')).toBe(0);

    // Guards in one namespace share a list made a moment ago; a waiting guard asks afresh.
    service('web-public', { app: 'elsewhere' });
    expect((await cluster.observe(ref, 'web-app', { exposure: true })).exposedBy).toEqual([
      'web-hashed',
      'web-public',
      'web-team',
    ]);
    expect(kube.requests.count('list', 'Service')).toBe(0);
    const fresh = await cluster.observe(ref, 'web-app', { exposure: 'fresh' });
    expect(fresh.exposedBy).toEqual(['web-hashed', 'web-team']);
    expect(kube.requests.count('list', 'Service')).toBe(1);
  });

  it('counts a Service with another port as missing, so a changed spec.service.port is applied', async () => {
    putGuard();
    kube.store.put(deployment('web-app'));
    await cluster.ensureServices(await guard(), services);
    const ref = { namespace, name: 'web' };
    const asSpec = { port: services.port, targetPort: services.targetPort };
    expect((await cluster.observe(ref, 'web-app', { port: asSpec })).services).toEqual({
      stable: true,
      canary: true,
    });
    const moved = { port: 8080, targetPort: 8080 };
    expect((await cluster.observe(ref, 'web-app', { port: moved })).services).toEqual({
      stable: false,
      canary: false,
    });
    await cluster.ensureServices(await guard(), { ...services, ...moved });
    expect((await cluster.observe(ref, 'web-app', { port: moved })).services).toEqual({
      stable: true,
      canary: true,
    });
    expect(kube.store.get('Service', namespace, 'web')?.spec).toMatchObject({
      ports: [{ port: 8080, targetPort: 8080 }],
    });
  });

  it('gives up scaling on a 404 at once', async () => {
    await expect(cluster.scaleDeployment(namespace, 'gone', 0)).rejects.toMatchObject({
      code: 404,
    });
    expect(kube.requests.count('patch', 'Deployment')).toBe(1);
  });

  it('creates <guard>-stable relabelled, owned and annotated, then updates it through a 409', async () => {
    const stored = putGuard();
    kube.store.put(deployment('web-app'));
    const g = await guard();
    await cluster.setStable(g, stableAction());

    const created = kube.store.get('Deployment', namespace, 'web-stable') as KubeObject;
    expect(created.metadata.annotations?.['vakt.dev/template-hash']).toBe(templateHash(template));
    expect(created.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'vakt' });
    expect(created.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'vakt.dev/v1alpha1',
        kind: 'ReleaseGuard',
        name: 'web',
        uid: stored.metadata.uid,
        controller: true,
      },
    ]);
    expect(created.spec).toMatchObject({
      replicas: 2,
      selector: { matchLabels: { 'vakt.dev/guard': 'web', 'vakt.dev/role': 'stable' } },
      template: {
        // `app` is what the target selects on: the copy must not carry it.
        metadata: { labels: { team: 'shop', 'vakt.dev/guard': 'web', 'vakt.dev/role': 'stable' } },
        spec: template.spec,
      },
    });

    const next = { ...template, spec: { containers: [{ name: 'app', image: 'shop:2' }] } };
    kube.faults.fail({ verb: 'update', kind: 'Deployment', code: 409 });
    const generation = await cluster.setStable(g, { ...stableAction(next, 3), why: 'promote' });
    const updated = kube.store.get('Deployment', namespace, 'web-stable') as KubeObject;
    expect(updated.metadata.annotations?.['vakt.dev/template-hash']).toBe(templateHash(next));
    expect(updated.spec).toMatchObject({
      replicas: 3,
      selector: { matchLabels: { 'vakt.dev/guard': 'web', 'vakt.dev/role': 'stable' } },
      template: { spec: { containers: [{ name: 'app', image: 'shop:2' }] } },
    });
    expect(
      (updated.spec as { template: { metadata: { labels: object } } }).template.metadata.labels,
    ).not.toHaveProperty('app');
    expect(kube.requests.count('create', 'Deployment')).toBe(1);
    expect(kube.requests.count('update', 'Deployment')).toBe(2);

    // The same action again, knowing the generation that write left, writes nothing.
    kube.requests.reset();
    await cluster.setStable(g, { ...stableAction(next, 3), generation, why: 'repair' });
    expect(kube.requests.count('update', 'Deployment')).toBe(0);
    // An action that does not know that generation (someone wrote since) writes once more.
    await cluster.setStable(g, { ...stableAction(next, 3), why: 'repair' });
    expect(kube.requests.count('update', 'Deployment')).toBe(1);
  });

  it('keeps the target-selected labels off the stable pods even when the target is gone', async () => {
    putGuard();
    kube.store.put(deployment('web-app'));
    const g = await guard();
    await cluster.setStable(g, stableAction());
    kube.store.remove('Deployment', namespace, 'web-app');
    const next = { ...template, spec: { containers: [{ name: 'app', image: 'shop:3' }] } };
    await cluster.setStable(g, { ...stableAction(next), why: 'restore' });
    const stable = kube.store.get('Deployment', namespace, 'web-stable')?.spec as {
      template: { metadata: { labels: Record<string, string> } };
    };
    expect(stable.template.metadata.labels).toEqual({
      team: 'shop',
      'vakt.dev/guard': 'web',
      'vakt.dev/role': 'stable',
    });
  });

  it('marks the template a restore takes back, in the same write as the restore', async () => {
    putGuard();
    kube.store.put(deployment('web-app'));
    const g = await guard();
    const promoted = { ...template, spec: { containers: [{ name: 'app', image: 'shop:2' }] } };
    await cluster.setStable(g, stableAction());
    await cluster.setStable(g, { ...stableAction(promoted), why: 'promote' });
    kube.requests.reset();
    const back = { ...stableAction(), why: 'restore' as const };
    await cluster.setStable(g, { ...back, rejectTemplate: templateHash(promoted) });
    expect(kube.requests.count('update', 'Deployment')).toBe(1);
    const seen = await cluster.observe({ namespace, name: 'web' }, 'web-app');
    expect(seen.stable).toMatchObject({
      templateHash: templateHash(template),
      rejectedTemplate: templateHash(promoted),
    });
  });

  it('adds a finalizer only to the guard it read, and hands back what the guard owns', async () => {
    putGuard();
    kube.store.put(deployment('web-app'));
    const g = await guard();
    await cluster.setStable(g, stableAction());
    await cluster.ensureServices(g, services);
    const written = await cluster.setFinalizer(g, 'vakt.dev/hand-back', true);
    expect(written).not.toBeNull();
    // A second write from the same (now stale) read is refused: read again, then write.
    expect(await cluster.setFinalizer(g, 'vakt.dev/other', true)).toBeNull();
    const fresh = await guard();
    expect(fresh.finalizers).toEqual(['vakt.dev/hand-back']);

    await cluster.orphan(fresh);
    for (const [kind, name] of [
      ['Deployment', 'web-stable'],
      ['Service', 'web'],
      ['Service', 'web-canary'],
    ] as const) {
      const refs = kube.store.get(kind, namespace, name)?.metadata.ownerReferences;
      expect(refs ?? [], `${kind} ${name}`).toEqual([]);
    }
    kube.store.remove('ReleaseGuard', namespace, 'web');
    const deleting = await guard();
    expect(deleting.deleting).toBe(true);
    expect(await cluster.setFinalizer(deleting, 'vakt.dev/hand-back', false)).not.toBeNull();
    expect(await cluster.getGuard({ namespace, name: 'web' })).toBeNull();
    expect(kube.store.get('Deployment', namespace, 'web-stable')).toBeDefined();
  });

  it("takes over a user's Service with the guard's name without owning it", async () => {
    putGuard();
    kube.store.put(deployment('web-app'));
    kube.store.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace, labels: { team: 'shop' } },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    await cluster.ensureServices(await guard(), services);
    const taken = kube.store.get('Service', namespace, 'web') as KubeObject;
    expect(taken.spec).toMatchObject({
      selector: { 'vakt.dev/guard': 'web', 'vakt.dev/role': 'stable' },
    });
    // Its labels stay, plus the one the operator's Service watch selects on.
    expect(taken.metadata.labels).toEqual({ team: 'shop', 'vakt.dev/guard': 'web' });
    expect(taken.metadata.ownerReferences).toBeUndefined();
  });

  it('creates both Services once, and a second call writes nothing', async () => {
    putGuard();
    kube.store.put(deployment('web-app'));
    const g = await guard();
    await cluster.ensureServices(g, services);
    expect(kube.store.get('Service', namespace, 'web')?.spec).toMatchObject({
      selector: { 'vakt.dev/guard': 'web', 'vakt.dev/role': 'stable' },
      ports: [{ port: 80, targetPort: 8080 }],
    });
    const canary = kube.store.get('Service', namespace, 'web-canary') as KubeObject;
    expect(canary.spec).toMatchObject({
      selector: { app: 'web' },
      ports: [{ port: 80, targetPort: 8080 }],
    });
    expect(canary.metadata.ownerReferences).toMatchObject([{ kind: 'ReleaseGuard', name: 'web' }]);

    kube.requests.reset();
    await cluster.ensureServices(g, services);
    expect(kube.requests.count('create', 'Service')).toBe(0);
    expect(kube.requests.count('update', 'Service')).toBe(0);
    expect(kube.requests.count('patch', 'Service')).toBe(0);

    // A changed port is written, to the existing Service.
    await cluster.ensureServices(g, { ...services, targetPort: 9090 });
    expect(kube.requests.count('update', 'Service')).toBe(2);
    expect(kube.store.get('Service', namespace, 'web')?.spec).toMatchObject({
      ports: [{ port: 80, targetPort: 9090 }],
    });
  });

  it('writes status through /status only, and writes again after a 409', async () => {
    putGuard();
    const g = await guard();
    // The guard changes after it was read: the first write conflicts for real.
    kube.store.put({
      ...(kube.store.get('ReleaseGuard', namespace, 'web') as KubeObject),
      metadata: { name: 'web', namespace, annotations: { touched: 'yes' } },
    });
    kube.faults.fail({ verb: 'update', kind: 'ReleaseGuard', subresource: 'status', code: 409 });
    const version = await cluster.writeStatus(g, status);
    const stored = kube.store.get('ReleaseGuard', namespace, 'web') as KubeObject;
    expect(version).toBe(stored.metadata.resourceVersion);
    expect(stored.status).toEqual(status);
    const writes = kube.requests.all.filter((r) => ['update', 'patch'].includes(r.verb));
    expect(writes.length).toBeGreaterThanOrEqual(2);
    expect(writes.every((r) => r.subresource === 'status')).toBe(true);
    expect((await guard()).status).toMatchObject({ phase: 'Initializing', message: 'adopting' });
  });

  it('never writes over a status that changed since it was read: it says so instead', async () => {
    putGuard();
    const g = await guard();
    // Another decision lands between the read and the write (another replica's rejection).
    const newer = { ...status, phase: 'Reverted', message: 'leak on candidate' };
    kube.store.put({
      ...(kube.store.get('ReleaseGuard', namespace, 'web') as KubeObject),
      status: newer,
    });
    expect(await cluster.writeStatus(g, status)).toBe(STATUS_CHANGED);
    const stored = kube.store.get('ReleaseGuard', namespace, 'web') as KubeObject;
    expect(stored.status).toEqual(newer);
  });

  it('gives null when writing status of a guard that is gone', async () => {
    putGuard();
    const g = await guard();
    kube.store.remove('ReleaseGuard', namespace, 'web');
    expect(await cluster.writeStatus(g, status)).toBeNull();
  });

  it('records an events.k8s.io/v1 Event about the guard, and swallows a failure', async () => {
    putGuard();
    const g = await guard();
    await cluster.emitEvent(g, 'Warning', 'LeakDetected', `leak ${'x'.repeat(2000)}`);
    const [event] = kube.store.list('events.k8s.io/v1/Event', namespace);
    expect(event).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      type: 'Warning',
      reason: 'LeakDetected',
      reportingController: 'vakt.dev/operator',
      reportingInstance: 'vakt-0',
      regarding: { kind: 'ReleaseGuard', name: 'web', namespace, uid: g.uid },
    });
    expect(event?.metadata.name).toMatch(/^web\./);
    expect(typeof event?.eventTime).toBe('string');
    expect(Buffer.byteLength(String(event?.note))).toBeLessThanOrEqual(1024);

    kube.faults.fail({ verb: 'create', kind: 'events.k8s.io/v1/Event', code: 500 });
    await expect(cluster.emitEvent(g, 'Normal', 'Promoted', 'ok')).resolves.toBeUndefined();
    expect(kube.store.list('events.k8s.io/v1/Event', namespace)).toHaveLength(1);
  });

  it('reads and decodes a Secret, reads a ConfigMap, and gives null for missing ones', async () => {
    kube.store.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tenants', namespace },
      stringData: { token: 'tøp-secret' },
    });
    kube.store.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'policy', namespace },
      data: { 'policy.yaml': 'version: 1' },
    });
    expect(await cluster.readSecret(namespace, 'tenants')).toEqual({ token: 'tøp-secret' });
    expect(await cluster.readConfigMap(namespace, 'policy')).toEqual({
      'policy.yaml': 'version: 1',
    });
    expect(await cluster.readSecret(namespace, 'nope')).toBeNull();
    expect(await cluster.readConfigMap(namespace, 'nope')).toBeNull();
  });
});

describe('connections', () => {
  it('shares one keep-alive connection across calls instead of opening one per call', async () => {
    putGuard();
    kube.store.put(deployment('web-app'));
    const before = kube.connections;
    for (let i = 0; i < 40; i++) {
      await cluster.getGuard({ namespace, name: 'web' });
      await cluster.observe({ namespace, name: 'web' }, 'web-app');
    }
    // observe() reads four objects at once, so a few sockets open; 120 calls would open 200.
    expect(kube.connections - before).toBeLessThanOrEqual(8);
  });

  it('takes a fresh connection pool after a while, so rotated certificates are read again', async () => {
    let now = 0;
    const kc = shareConnections(kube.kubeConfig(), () => now);
    const core = kc.makeApiClient(CoreV1Api);
    const before = kube.connections;
    const calls = async () => {
      for (let i = 0; i < 10; i++) await core.listNamespacedSecret({ namespace });
      return kube.connections - before;
    };
    const first = await calls();
    expect(first).toBeLessThanOrEqual(2);
    expect(await calls()).toBe(first);
    now += 11 * 60_000;
    const after = await calls();
    expect(after).toBeGreaterThan(first);
    expect(after).toBeLessThanOrEqual(first + 2);
  });
});
