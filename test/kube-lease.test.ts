import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLeaderElector } from '../src/kube/lease.ts';
import type { LeaderElector } from '../src/operator/ports.ts';
import { type FakeKube, startFakeKube } from './support/fake-kube/index.ts';

const namespace = 'vakt-system';
const name = 'vakt-operator';
let kube: FakeKube;
let electors: LeaderElector[];

beforeEach(async () => {
  kube = await startFakeKube();
  electors = [];
});

afterEach(async () => {
  for (const elector of electors) await elector.release();
  await kube.close();
});

/** Short timings so tests run fast; the proportions are client-go's 15/10/2 s. */
function elector(identity: string, timing = { leaseMs: 3000, renewMs: 100, retryMs: 50 }) {
  const made = createLeaderElector(kube.kubeConfig(), { namespace, name, identity, ...timing });
  electors.push(made);
  return made;
}

function holder(): unknown {
  const spec = kube.store.get('Lease', namespace, name)?.spec as { holderIdentity?: string };
  return spec?.holderIdentity;
}

const wait = { timeout: 10_000 };

describe('createLeaderElector', () => {
  it('lets the first replica take the lease, keeps the second passive, and hands over on release', async () => {
    const a = elector('a');
    const b = elector('b');
    const lostA = vi.fn();
    await a.acquire(lostA);
    expect(a.isLeader()).toBe(true);
    expect(holder()).toBe('a');
    expect(kube.store.get('Lease', namespace, name)?.spec).toMatchObject({
      leaseDurationSeconds: 3,
      leaseTransitions: 0,
    });

    let bLeads = false;
    const lostB = vi.fn();
    const bAcquired = b.acquire(lostB).then(() => {
      bLeads = true;
    });
    // a renews several times while b keeps trying and failing.
    const updatesBefore = kube.requests.count('update', 'Lease');
    await vi.waitFor(
      () => expect(kube.requests.count('update', 'Lease')).toBeGreaterThan(updatesBefore + 3),
      wait,
    );
    await vi.waitFor(() => expect(kube.requests.count('get', 'Lease')).toBeGreaterThan(8), wait);
    expect(bLeads).toBe(false);
    expect(b.isLeader()).toBe(false);
    expect(a.isLeader()).toBe(true);
    expect(holder()).toBe('a');

    // a gives up the lease: b takes it without waiting for it to expire (3 s).
    await a.release();
    expect(a.isLeader()).toBe(false);
    await bAcquired;
    expect(b.isLeader()).toBe(true);
    expect(holder()).toBe('b');
    expect(kube.store.get('Lease', namespace, name)?.spec).toMatchObject({ leaseTransitions: 1 });
    expect(lostA).not.toHaveBeenCalled();
    expect(lostB).not.toHaveBeenCalled();
  });

  it('takes over a lease whose holder stopped renewing', async () => {
    kube.store.put({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace },
      spec: {
        holderIdentity: 'crashed',
        leaseDurationSeconds: 1,
        renewTime: new Date(Date.now() - 60_000).toISOString(),
      },
    });
    const b = elector('b');
    await b.acquire(() => {});
    expect(holder()).toBe('b');
  });

  it('calls onLost when it cannot renew before the lease lapses', async () => {
    const a = elector('a', { leaseMs: 1000, renewMs: 100, retryMs: 50 });
    const lost = vi.fn();
    await a.acquire(lost);
    kube.faults.fail({ verb: 'get', kind: 'Lease', code: 500, times: 10_000 });
    await vi.waitFor(() => expect(lost).toHaveBeenCalledTimes(1), wait);
    expect(a.isLeader()).toBe(false);
  });

  it('calls onLost at once when another replica holds the lease', async () => {
    const a = elector('a', { leaseMs: 60_000, renewMs: 50, retryMs: 50 });
    const lost = vi.fn();
    await a.acquire(lost);
    const lease = kube.store.get('Lease', namespace, name);
    const spec = lease?.spec as Record<string, unknown>;
    kube.store.put({ ...lease, spec: { ...spec, holderIdentity: 'usurper' } });
    await vi.waitFor(() => expect(lost).toHaveBeenCalledTimes(1), wait);
    expect(a.isLeader()).toBe(false);
  });
});
