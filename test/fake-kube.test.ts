import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type KubernetesObject,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1DeploymentSpec,
  type V1Lease,
  V1MicroTime,
  Watch,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeKube, startFakeKube } from './support/fake-kube/index.ts';

const namespace = 'shop';
const guards = { group: 'vakt.dev', version: 'v1alpha1', plural: 'releaseguards', namespace };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategicPatch = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

let kube: FakeKube;
let cleanups: (() => unknown)[];

beforeEach(async () => {
  kube = await startFakeKube();
  cleanups = [];
});

afterEach(async () => {
  for (const cleanup of cleanups) await cleanup();
  await kube.close();
});

function apps(): AppsV1Api {
  return kube.kubeConfig().makeApiClient(AppsV1Api);
}

function deployment(name: string, labels: Record<string, string> = { app: name }): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            { name: 'app', image: 'shop:1' },
            { name: 'proxy', image: 'envoy:1' },
          ],
        },
      },
    },
  };
}

/** The ApiException a call fails with, and its body (a JSON string) parsed. */
async function failure(
  call: Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiException);
  const api = error as ApiException<string>;
  return {
    code: api.code,
    body: JSON.parse(api.body) as Record<string, unknown>,
    headers: api.headers,
  };
}

describe('fake Kubernetes API server with the real client', () => {
  it('creates, reads and lists Deployments with server-set metadata', async () => {
    const api = apps();
    const created = await api.createNamespacedDeployment({ namespace, body: deployment('shop') });
    await api.createNamespacedDeployment({
      namespace: 'other',
      body: {
        ...deployment('cart', { app: 'cart' }),
        metadata: { name: 'cart', labels: { app: 'cart' } },
      },
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);

    const read = await api.readNamespacedDeployment({ name: 'shop', namespace });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(read.spec?.template.spec?.containers.map((c) => c.image)).toEqual(['shop:1', 'envoy:1']);

    const inShop = await api.listNamespacedDeployment({ namespace });
    expect(inShop.items.map((d) => d.metadata?.name)).toEqual(['shop']);
    expect(Number(inShop.metadata?.resourceVersion)).toBeGreaterThanOrEqual(2);
    const everywhere = await api.listDeploymentForAllNamespaces({});
    expect(everywhere.items.map((d) => d.metadata?.namespace)).toEqual(['other', 'shop']);
    const selected = await api.listDeploymentForAllNamespaces({ labelSelector: 'app=cart' });
    expect(selected.items.map((d) => d.metadata?.name)).toEqual(['cart']);

    const generated = await kube
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedConfigMap({
        namespace,
        body: { metadata: { generateName: 'policy-' }, data: { a: '1' } },
      });
    expect(generated.metadata?.name).toMatch(/^policy-[a-z0-9]{5}$/);
  });

  it('answers 409 Conflict for a replace with a stale resourceVersion, and bumps generation only on spec changes', async () => {
    kube.deploymentStatus = false;
    const api = apps();
    const created = await api.createNamespacedDeployment({ namespace, body: deployment('shop') });
    const labelled = await api.replaceNamespacedDeployment({
      name: 'shop',
      namespace,
      body: { ...created, metadata: { ...created.metadata, annotations: { note: 'x' } } },
    });
    expect(labelled.metadata?.generation).toBe(1);
    expect(labelled.metadata?.resourceVersion).not.toBe(created.metadata?.resourceVersion);

    const stale = await failure(
      api.replaceNamespacedDeployment({
        name: 'shop',
        namespace,
        body: { ...created, spec: { ...(created.spec as V1DeploymentSpec), replicas: 5 } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
    });

    const scaled = await api.replaceNamespacedDeployment({
      name: 'shop',
      namespace,
      body: { ...labelled, spec: { ...(labelled.spec as V1DeploymentSpec), replicas: 5 } },
    });
    expect(scaled.metadata?.generation).toBe(2);
    expect(
      (await failure(api.createNamespacedDeployment({ namespace, body: deployment('shop') }))).body
        .reason,
    ).toBe('AlreadyExists');
  });

  it('mirrors spec.replicas into Deployment status, and can be switched off', async () => {
    const api = apps();
    await api.createNamespacedDeployment({ namespace, body: deployment('shop') });
    await vi.waitFor(async () => {
      const { status, metadata } = await api.readNamespacedDeployment({ name: 'shop', namespace });
      expect(status).toMatchObject({
        observedGeneration: metadata?.generation,
        readyReplicas: 2,
        availableReplicas: 2,
      });
    });
    kube.deploymentStatus = false;
    const scaled = await api.patchNamespacedDeployment(
      { name: 'shop', namespace, body: { spec: { replicas: 4 } } },
      mergePatch,
    );
    expect(scaled.metadata?.generation).toBe(2);
    expect(scaled.status?.observedGeneration).toBe(1);
  });

  it('applies merge, strategic merge and JSON patches', async () => {
    const api = apps();
    await api.createNamespacedDeployment({ namespace, body: deployment('shop') });
    const newImage = {
      spec: { template: { spec: { containers: [{ name: 'app', image: 'shop:2' }] } } },
    };

    const strategic = await api.patchNamespacedDeployment(
      { name: 'shop', namespace, body: newImage },
      strategicPatch,
    );
    expect(strategic.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual([
      'app=shop:2',
      'proxy=envoy:1',
    ]);
    expect(strategic.metadata?.generation).toBe(2);

    const merged = await api.patchNamespacedDeployment(
      { name: 'shop', namespace, body: { ...newImage, metadata: { labels: { tier: 'web' } } } },
      mergePatch,
    );
    expect(merged.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['app']);
    expect(merged.metadata?.labels).toEqual({ app: 'shop', tier: 'web' });

    const jsonPatched = await api.patchNamespacedDeployment({
      name: 'shop',
      namespace,
      body: [
        { op: 'test', path: '/spec/replicas', value: 2 },
        { op: 'replace', path: '/spec/replicas', value: 0 },
        { op: 'add', path: '/metadata/annotations', value: { 'vakt.dev/revision': 'abc' } },
      ],
    });
    expect(jsonPatched.spec?.replicas).toBe(0);
    expect(jsonPatched.metadata?.annotations).toEqual({ 'vakt.dev/revision': 'abc' });
    const failedTest = await failure(
      api.patchNamespacedDeployment({
        name: 'shop',
        namespace,
        body: [{ op: 'test', path: '/spec/replicas', value: 9 }],
      }),
    );
    expect(failedTest.code).toBe(422);
  });

  it('serves a custom resource whose status changes only through the status subresource', async () => {
    const custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
    const created = (await custom.createNamespacedCustomObject({
      ...guards,
      body: {
        apiVersion: 'vakt.dev/v1alpha1',
        kind: 'ReleaseGuard',
        metadata: { name: 'shop' },
        spec: { deployment: 'shop' },
        status: { phase: 'Invented' },
      },
    })) as KubernetesObject & { status?: unknown };
    expect(created.status).toBeUndefined();

    const withStatus = await custom.patchNamespacedCustomObjectStatus(
      { ...guards, name: 'shop', body: { status: { phase: 'Blocked', observedGeneration: 1 } } },
      mergePatch,
    );
    expect(withStatus).toMatchObject({ status: { phase: 'Blocked' }, metadata: { generation: 1 } });

    const respec = await custom.patchNamespacedCustomObject(
      {
        ...guards,
        name: 'shop',
        body: { spec: { deployment: 'cart' }, status: { phase: 'Ignored' } },
      },
      mergePatch,
    );
    expect(respec).toMatchObject({
      spec: { deployment: 'cart' },
      status: { phase: 'Blocked' },
      metadata: { generation: 2 },
    });

    const strategic = await failure(
      custom.patchNamespacedCustomObject(
        { ...guards, name: 'shop', body: { spec: {} } },
        strategicPatch,
      ),
    );
    expect(strategic.code).toBe(415);
    expect(strategic.body.reason).toBe('UnsupportedMediaType');
  });

  it('keeps an object with finalizers until the last one is removed', async () => {
    const custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
    const body = {
      apiVersion: 'vakt.dev/v1alpha1',
      kind: 'ReleaseGuard',
      metadata: { name: 'shop', finalizers: ['vakt.dev/cleanup'] },
    };
    await custom.createNamespacedCustomObject({ ...guards, body });
    const deleting = (await custom.deleteNamespacedCustomObject({
      ...guards,
      name: 'shop',
    })) as KubernetesObject;
    expect(deleting.metadata?.deletionTimestamp).toBeDefined();
    expect(kube.store.get('ReleaseGuard', namespace, 'shop')).toBeDefined();
    await custom.patchNamespacedCustomObject(
      { ...guards, name: 'shop', body: { metadata: { finalizers: null } } },
      mergePatch,
    );
    expect(kube.store.get('ReleaseGuard', namespace, 'shop')).toBeUndefined();
  });

  it('answers a missing object with a NotFound Status', async () => {
    const missing = await failure(apps().readNamespacedDeployment({ name: 'nope', namespace }));
    expect(missing.code).toBe(404);
    expect(missing.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
      code: 404,
    });
    expect(
      (await failure(apps().deleteNamespacedDeployment({ name: 'nope', namespace }))).code,
    ).toBe(404);
  });

  it('feeds an informer ADDED, MODIFIED and DELETED, and relists after 410 Gone', async () => {
    kube.deploymentStatus = false;
    const config = kube.kubeConfig();
    const api = config.makeApiClient(AppsV1Api);
    const path = `/apis/apps/v1/namespaces/${namespace}/deployments`;
    const informer = makeInformer(config, path, () => api.listNamespacedDeployment({ namespace }));
    const seen: string[] = [];
    informer.on('add', (d) => seen.push(`add ${d.metadata?.name}`));
    informer.on('update', (d) => seen.push(`update ${d.metadata?.name} ${d.spec?.replicas}`));
    informer.on('delete', (d) => seen.push(`delete ${d.metadata?.name}`));
    informer.on('error', (e) => seen.push(`error ${String(e)}`));
    cleanups.push(() => informer.stop());
    kube.store.put(deployment('before'));
    await informer.start();
    await vi.waitFor(() => expect(seen).toContain('add before'));

    await api.createNamespacedDeployment({ namespace, body: deployment('shop') });
    await api.patchNamespacedDeployment(
      { name: 'shop', namespace, body: { spec: { replicas: 3 } } },
      mergePatch,
    );
    await api.deleteNamespacedDeployment({ name: 'shop', namespace });
    await vi.waitFor(() => expect(seen).toContain('delete shop'));
    expect(seen).toEqual(['add before', 'add shop', 'update shop 3', 'delete shop']);

    // Changes while disconnected, then history compacted: resuming gets 410 and relists.
    expect(kube.faults.dropWatches()).toBe(1);
    kube.store.put(deployment('during'));
    kube.store.remove('Deployment', namespace, 'before');
    kube.store.compact();
    await vi.waitFor(() => expect(seen).toContain('delete before'));
    expect(seen.slice(4)).toEqual(['delete before', 'add during']);
    expect(kube.requests.count('list', 'Deployment')).toBe(2);
    // Watching again after the relist: a change made now still arrives.
    await vi.waitFor(() => expect(kube.requests.count('watch', 'deployments')).toBeGreaterThan(2), {
      timeout: 5_000,
    });
    await api.createNamespacedDeployment({ namespace, body: deployment('after') });
    await vi.waitFor(() => expect(seen).toContain('add after'), { timeout: 5_000 });
  });

  it('resumes a watch from a resourceVersion, and reports an expired one as a 410 ERROR event', async () => {
    kube.deploymentStatus = false;
    const first = kube.store.put(deployment('one'));
    const one = deployment('one');
    kube.store.put({ ...one, spec: { ...(one.spec as V1DeploymentSpec), replicas: 7 } });
    kube.store.put(deployment('two'));
    const watch = new Watch(kube.kubeConfig());
    const events: string[] = [];
    const ended = Promise.withResolvers<unknown>();
    const request = await watch.watch(
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
      { resourceVersion: first.metadata.resourceVersion, allowWatchBookmarks: true },
      (type, object: V1Deployment) =>
        events.push(`${type} ${object.metadata?.name} ${object.spec?.replicas}`),
      ended.resolve,
    );
    cleanups.push(() => request.abort());
    await vi.waitFor(() => expect(events).toEqual(['MODIFIED one 7', 'ADDED two 2']));

    kube.store.compact();
    const expired: unknown[] = [];
    const gone = Promise.withResolvers<unknown>();
    await watch.watch(
      '/apis/apps/v1/deployments',
      { resourceVersion: first.metadata.resourceVersion },
      (type, object) => expired.push({ type, object }),
      gone.resolve,
    );
    expect(await gone.promise).toBeNull();
    expect(expired).toMatchObject([
      { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } },
    ]);

    const limited = Promise.withResolvers<unknown>();
    await watch.watch(
      '/api/v1/namespaces/shop/configmaps',
      { timeoutSeconds: 1 },
      () => {},
      limited.resolve,
    );
    expect(await limited.promise).toBeNull();
  });

  it('lets exactly one of two candidates take a Lease', async () => {
    const leases = () => kube.kubeConfig().makeApiClient(CoordinationV1Api);
    const lease: V1Lease = {
      metadata: { name: 'vakt-operator', namespace },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
    };
    await leases().createNamespacedLease({ namespace, body: lease });
    expect(
      (await failure(leases().createNamespacedLease({ namespace, body: lease }))).body.reason,
    ).toBe('AlreadyExists');

    const [a, b] = [leases(), leases()];
    const seenByA = await a.readNamespacedLease({ name: 'vakt-operator', namespace });
    const seenByB = await b.readNamespacedLease({ name: 'vakt-operator', namespace });
    const renew = (seen: V1Lease, holder: string) => ({
      ...seen,
      spec: { ...seen.spec, holderIdentity: holder, renewTime: new V1MicroTime() },
    });
    const won = await a.replaceNamespacedLease({
      name: 'vakt-operator',
      namespace,
      body: renew(seenByA, 'a'),
    });
    expect(won.spec?.holderIdentity).toBe('a');
    const lost = await failure(
      b.replaceNamespacedLease({ name: 'vakt-operator', namespace, body: renew(seenByB, 'b') }),
    );
    expect(lost.code).toBe(409);
    expect(kube.store.get('Lease', namespace, 'vakt-operator')?.spec).toMatchObject({
      holderIdentity: 'a',
    });
  });

  it('injects 429 and 500 failures for a verb and kind, and counts requests', async () => {
    const api = apps();
    kube.store.put(deployment('shop'));
    kube.faults.fail({ verb: 'get', kind: 'Deployment', code: 429, retryAfterSeconds: 7 });
    kube.faults.fail({ verb: 'get', kind: 'Deployment', code: 500 });

    const throttled = await failure(api.readNamespacedDeployment({ name: 'shop', namespace }));
    expect(throttled.code).toBe(429);
    expect(throttled.headers['retry-after']).toBe('7');
    expect(throttled.body).toMatchObject({
      kind: 'Status',
      reason: 'TooManyRequests',
      details: { retryAfterSeconds: 7 },
    });
    expect((await failure(api.readNamespacedDeployment({ name: 'shop', namespace }))).code).toBe(
      500,
    );
    expect((await api.readNamespacedDeployment({ name: 'shop', namespace })).metadata?.name).toBe(
      'shop',
    );
    await api.listNamespacedDeployment({ namespace });

    expect(kube.requests.count('get', 'Deployment')).toBe(3);
    expect(kube.requests.count(undefined, 'apps/v1/deployments')).toBe(4);
    expect(kube.requests.count('get', 'Lease')).toBe(0);
  });

  it('serves Secrets, Services and both Event APIs', async () => {
    const core = kube.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'tenants' }, stringData: { token: 't0p' } },
    });
    const secret = await core.readNamespacedSecret({ name: 'tenants', namespace });
    expect(secret.data).toEqual({ token: Buffer.from('t0p').toString('base64') });
    expect(secret.stringData).toBeUndefined();

    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'shop-canary' },
        spec: { selector: { app: 'shop' }, ports: [{ port: 80 }] },
      },
    });
    expect(
      (await core.listNamespacedService({ namespace })).items.map((s) => s.metadata?.name),
    ).toEqual(['shop-canary']);

    await core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: 'legacy' },
        involvedObject: { kind: 'Deployment', name: 'shop' },
        reason: 'Blocked',
      },
    });
    const events = kube.kubeConfig().makeApiClient(EventsV1Api);
    await events.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: 'shop.' },
        eventTime: new V1MicroTime(),
        reason: 'Blocked',
        action: 'Gate',
        reportingController: 'vakt.dev/operator',
        reportingInstance: 'vakt-0',
      },
    });
    expect((await events.listNamespacedEvent({ namespace })).items).toHaveLength(1);
    expect(kube.store.list('Event', namespace).map((e) => e.reason)).toEqual(['Blocked']);
  });
});
