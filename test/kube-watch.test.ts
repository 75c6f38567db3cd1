import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCluster } from '../src/kube/cluster.ts';
import type { ChangeType, ObjectRef } from '../src/kube/watch.ts';
import { listWatch } from '../src/kube/watch.ts';
import type { Stop } from '../src/operator/ports.ts';
import { type FakeKube, startFakeKube } from './support/fake-kube/index.ts';

const namespace = 'shop';
let kube: FakeKube;
let stops: Stop[];
let seen: string[];

beforeEach(async () => {
  kube = await startFakeKube({ deploymentStatus: false });
  stops = [];
  seen = [];
});

afterEach(async () => {
  for (const stop of stops) await stop();
  await kube.close();
});

function deployment(name: string, replicas = 1, ns = namespace) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [] } },
    },
  };
}

async function watchDeployments(ns: string | undefined): Promise<void> {
  const stop = await listWatch({
    kc: kube.kubeConfig(),
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    namespace: ns,
    baseMs: 5,
    maxMs: 50,
    onChange: (ref: ObjectRef, type: ChangeType) =>
      seen.push(`${type} ${ref.namespace}/${ref.name}`),
  });
  stops.push(stop);
}

const wait = { timeout: 10_000 };

describe('listWatch', () => {
  it('reports what exists, then additions, changes and deletions', async () => {
    kube.store.put(deployment('before'));
    await watchDeployments(namespace);
    expect(seen).toEqual(['ADDED shop/before']);
    kube.store.put(deployment('web'));
    kube.store.put(deployment('web', 3));
    kube.store.remove('Deployment', namespace, 'web');
    await vi.waitFor(() => expect(seen).toContain('DELETED shop/web'), wait);
    expect(seen).toEqual([
      'ADDED shop/before',
      'ADDED shop/web',
      'MODIFIED shop/web',
      'DELETED shop/web',
    ]);
  });

  it('lists a large collection page by page', async () => {
    for (const name of ['a', 'b', 'c']) kube.store.put(deployment(name));
    const stop = await listWatch({
      kc: kube.kubeConfig(),
      group: 'apps',
      version: 'v1',
      plural: 'deployments',
      namespace,
      pageSize: 2,
      onChange: (ref) => seen.push(ref.name),
    });
    stops.push(stop);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(kube.requests.count('list', 'Deployment')).toBe(2);
  });

  it('watches every namespace when none is given', async () => {
    await watchDeployments(undefined);
    kube.store.put(deployment('a', 1, 'one'));
    kube.store.put(deployment('b', 1, 'two'));
    await vi.waitFor(() => expect(seen).toEqual(['ADDED one/a', 'ADDED two/b']), wait);
  });

  it('keeps going after the server drops its watches, cleanly or abruptly', async () => {
    await watchDeployments(namespace);
    await vi.waitFor(() => expect(kube.requests.count('watch', 'Deployment')).toBe(1), wait);
    expect(kube.faults.dropWatches()).toBe(1);
    kube.store.put(deployment('during'));
    await vi.waitFor(() => expect(seen).toContain('ADDED shop/during'), wait);
    await vi.waitFor(() => expect(kube.faults.watches.size).toBe(1), wait);
    kube.faults.dropWatches({ abrupt: true });
    kube.store.put(deployment('after'));
    await vi.waitFor(() => expect(seen).toContain('ADDED shop/after'), wait);
    // Resumed from the last resourceVersion: no relist was needed.
    expect(kube.requests.count('list', 'Deployment')).toBe(1);
    expect(seen.filter((line) => line === 'ADDED shop/during')).toHaveLength(1);
  });

  it('says it is not synced while its first list keeps failing, and is once one works', async () => {
    kube.store.put(deployment('before'));
    kube.faults.fail({
      verb: 'list',
      kind: 'Deployment',
      code: 503,
      times: 3,
      retryAfterSeconds: 0,
    });
    await watchDeployments(namespace);
    const stop = stops.at(-1);
    expect(stop?.synced?.()).toBe(false);
    expect(seen).toEqual([]);
    await vi.waitFor(() => expect(stop?.synced?.()).toBe(true), wait);
    expect(seen).toEqual(['ADDED shop/before']);
  });

  it('relists after 410 Gone, reporting what changed while it was away', async () => {
    kube.store.put(deployment('kept'));
    kube.store.put(deployment('removed'));
    await watchDeployments(namespace);
    await vi.waitFor(() => expect(kube.faults.watches.size).toBe(1), wait);
    // Drop the watch, change things, forget the history: resuming gets 410 Gone.
    kube.faults.dropWatches();
    kube.store.remove('Deployment', namespace, 'removed');
    kube.store.put(deployment('new'));
    kube.store.compact();
    await vi.waitFor(() => expect(seen).toContain('DELETED shop/removed'), wait);
    await vi.waitFor(() => expect(seen).toContain('ADDED shop/new'), wait);
    expect(kube.requests.count('list', 'Deployment')).toBe(2);
    // `kept` did not change, so the relist does not report it again.
    expect(seen.filter((line) => line.endsWith('shop/kept'))).toEqual(['ADDED shop/kept']);
    await vi.waitFor(() => expect(kube.faults.watches.size).toBe(1), wait);
    kube.store.put(deployment('later'));
    await vi.waitFor(() => expect(seen).toContain('ADDED shop/later'), wait);
  });

  it('relists when a watch request is answered with HTTP 410', async () => {
    await watchDeployments(namespace);
    await vi.waitFor(() => expect(kube.faults.watches.size).toBe(1), wait);
    kube.faults.fail({ verb: 'watch', kind: 'Deployment', code: 410 });
    kube.faults.dropWatches();
    await vi.waitFor(() => expect(kube.requests.count('list', 'Deployment')).toBe(2), wait);
    await vi.waitFor(() => expect(kube.faults.watches.size).toBe(1), wait);
    kube.store.put(deployment('after'));
    await vi.waitFor(() => expect(seen).toEqual(['ADDED shop/after']), wait);
  });

  it('retries injected 500 and 429 failures on list and on watch', async () => {
    kube.faults.fail({ verb: 'list', kind: 'Deployment', code: 500 });
    kube.faults.fail({ verb: 'list', kind: 'Deployment', code: 429, retryAfterSeconds: 0 });
    kube.faults.fail({ verb: 'watch', kind: 'Deployment', code: 500 });
    kube.faults.fail({ verb: 'watch', kind: 'Deployment', code: 429, retryAfterSeconds: 0 });
    kube.store.put(deployment('existing'));
    await watchDeployments(namespace);
    await vi.waitFor(() => expect(seen).toContain('ADDED shop/existing'), wait);
    await vi.waitFor(() => expect(kube.faults.watches.size).toBe(1), wait);
    kube.store.put(deployment('new'));
    await vi.waitFor(() => expect(seen).toContain('ADDED shop/new'), wait);
    expect(kube.requests.count('list', 'Deployment')).toBe(3);
    expect(kube.requests.count('watch', 'Deployment')).toBe(3);
  });

  it('stops: no more requests and no more callbacks', async () => {
    await watchDeployments(namespace);
    await vi.waitFor(() => expect(kube.faults.watches.size).toBe(1), wait);
    const stop = stops.pop() as Stop;
    await stop();
    await vi.waitFor(() => expect(kube.faults.watches.size).toBe(0), wait);
    const requests = kube.requests.all.length;
    kube.store.put(deployment('unseen'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual([]);
    expect(kube.requests.all.length).toBe(requests);
  });

  it('serves Cluster.watchGuards and watchDeployments', async () => {
    const cluster = createCluster(kube.kubeConfig(), { watchBackoff: { baseMs: 5, maxMs: 50 } });
    const guards: string[] = [];
    const deployments: string[] = [];
    stops.push(await cluster.watchGuards(namespace, (ref) => guards.push(ref.name)));
    stops.push(await cluster.watchDeployments(undefined, (ref) => deployments.push(ref.name)));
    kube.store.put({
      apiVersion: 'vakt.dev/v1alpha1',
      kind: 'ReleaseGuard',
      metadata: { name: 'web', namespace },
      spec: {},
    });
    kube.store.put(deployment('web-app'));
    await vi.waitFor(() => expect(guards).toEqual(['web']), wait);
    await vi.waitFor(() => expect(deployments).toEqual(['web-app']), wait);
  });
});
