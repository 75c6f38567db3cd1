import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCluster } from '../src/kube/cluster.ts';
import { NotLeadingError } from '../src/kube/fence.ts';
import type { Cluster, GuardObject, WriteFence } from '../src/operator/ports.ts';
import type { ReleaseGuardStatus } from '../src/release/schema.ts';
import { templateHash } from '../src/release/template.ts';
import { type FakeKube, startFakeKube } from './support/fake-kube/index.ts';

/**
 * Writes of the Cluster adapter are fenced by leadership: a replica that is not leading
 * sends none, and one that stops leading cuts off the writes it has in flight.
 */

const namespace = 'shop';
let kube: FakeKube;
let leading: boolean;
let term: AbortController;
let cluster: Cluster;

const fence: WriteFence = {
  isLeading: () => leading,
  signal: () => term.signal,
};

beforeEach(async () => {
  kube = await startFakeKube();
  leading = true;
  term = new AbortController();
  cluster = createCluster(kube.kubeConfig(), {
    retry: { baseMs: 1, maxMs: 5 },
    instance: 'vakt-0',
    fence,
  });
  const template = {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image: 'shop:1' }] },
  };
  kube.store.put({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web-app', namespace },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template },
  });
  kube.store.put({
    apiVersion: 'vakt.dev/v1alpha1',
    kind: 'ReleaseGuard',
    metadata: { name: 'web', namespace },
    spec: { targetRef: { name: 'web-app' }, service: { port: 80, targetPort: 8080 } },
  });
});

afterEach(async () => {
  kube.faults.clear();
  await kube.close();
});

const WRITES = ['create', 'update', 'patch', 'delete'] as const;
const writes = () => WRITES.reduce((n, verb) => n + kube.requests.count(verb), 0);

async function guard(): Promise<GuardObject> {
  const found = await cluster.getGuard({ namespace, name: 'web' });
  if (!found) throw new Error('no guard');
  return found;
}

const status: ReleaseGuardStatus = {
  phase: 'Initializing',
  message: 'adopting',
  observedGeneration: 1,
  rejected: [],
  decisions: [],
  conditions: [],
} as unknown as ReleaseGuardStatus;

describe('the write fence', () => {
  it('sends no write of any kind while this replica is not leading', async () => {
    const g = await guard();
    leading = false;
    term.abort(new NotLeadingError());
    const deploymentSpec = kube.store.get('Deployment', namespace, 'web-app')?.spec as
      | { template: Record<string, unknown> }
      | undefined;
    const template = deploymentSpec?.template ?? {};
    const refused = [
      cluster.scaleDeployment(namespace, 'web-app', 0),
      cluster.setStable(g, {
        kind: 'setStable',
        template,
        templateHash: templateHash(template),
        replicas: 2,
        why: 'adopt',
      }),
      cluster.ensureServices(g, {
        kind: 'ensureServices',
        stable: 'web',
        canary: 'web-canary',
        port: 80,
        targetPort: 8080,
      }),
      cluster.writeStatus(g, status),
      cluster.setFinalizer(g, 'vakt.dev/hand-back', true),
    ];
    for (const result of await Promise.allSettled(refused)) {
      expect(result.status).toBe('rejected');
      expect(String((result as PromiseRejectedResult).reason)).toMatch(/not leading/);
    }
    // Events are best effort and never throw; they are fenced all the same.
    await cluster.emitEvent(g, 'Normal', 'Adopted', 'adopted');
    await cluster.orphan(g).catch(() => {});
    expect(writes()).toBe(0);
  });

  it('aborts a write in flight the moment leadership ends', async () => {
    kube.faults.fail({ verb: 'patch', kind: 'Deployment', hang: true, times: 100 });
    const scaling = cluster.scaleDeployment(namespace, 'web-app', 0);
    const settled = vi.fn();
    scaling.then(settled, settled);
    await vi.waitFor(() => expect(kube.faults.held).toBe(1), { timeout: 10_000 });
    expect(settled).not.toHaveBeenCalled();
    leading = false;
    term.abort(new NotLeadingError());
    await expect(scaling).rejects.toThrow(/not leading/);
    await vi.waitFor(() => expect(kube.faults.held).toBe(0), { timeout: 10_000 });
    // Retries after the abort were refused before they went out.
    expect(kube.requests.count('patch', 'Deployment')).toBe(1);
    expect(
      (
        kube.store.get('Deployment', namespace, 'web-app')?.spec as
          | { replicas?: number }
          | undefined
      )?.replicas,
    ).toBe(2);
  });
});
