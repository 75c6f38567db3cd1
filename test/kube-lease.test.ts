import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLeaderElector, type LeaderElectorOptions } from '../src/kube/lease.ts';
import type { LeaderElector } from '../src/operator/ports.ts';
import { FakeClock } from './support/fake-clock.ts';
import { type FakeKube, startFakeKube } from './support/fake-kube/index.ts';

/**
 * Leader election against the fake API server, on a fake monotonic clock the tests move by
 * hand: no test sleeps, and every "later" is exact. Each step waits until every elector is
 * idle (asleep, or stuck in a request the server holds), then moves time on.
 */

const namespace = 'vakt-system';
const name = 'vakt-operator';
/** Wall time of the fake clock's start, for renewTime: the decisions never read it. */
const EPOCH = Date.parse('2030-01-01T00:00:00Z');
let kube: FakeKube;
let clock: FakeClock;
let electors: LeaderElector[];

beforeEach(async () => {
  kube = await startFakeKube();
  clock = new FakeClock();
  electors = [];
});

afterEach(async () => {
  kube.faults.clear();
  await Promise.all(electors.map((elector) => elector.release()));
  await kube.close();
});

function elector(identity: string, options: Partial<LeaderElectorOptions> = {}) {
  const start = clock.now();
  const made = createLeaderElector(kube.kubeConfig(), {
    namespace,
    name,
    identity,
    clock,
    wallClock: () => EPOCH + clock.now() - start,
    ...options,
  });
  electors.push(made);
  return made;
}

function holder(): unknown {
  const spec = kube.store.get('Lease', namespace, name)?.spec as { holderIdentity?: string };
  return spec?.holderIdentity;
}

const wait = { timeout: 10_000 };

/** How many elector loops are running now. */
type Loops = number | (() => number);

/**
 * Waits until every running loop is idle (asleep, or in a request the server holds), or
 * until `done()`: a loop that ended (the lease lost) will not sleep again.
 */
async function settle(loops: Loops, done = () => false): Promise<void> {
  const count = typeof loops === 'number' ? () => loops : loops;
  await vi.waitFor(() => {
    if (done()) return;
    expect(clock.sleeping + kube.faults.held).toBeGreaterThanOrEqual(count());
  }, wait);
}

/** Steps of `ms` until `done()` or `totalMs` have passed; calls `check` after each. */
async function run(
  totalMs: number,
  loops: Loops,
  options: { ms?: number; done?: () => boolean; check?: () => void } = {},
): Promise<void> {
  const ms = options.ms ?? 500;
  const done = options.done ?? (() => false);
  for (let passed = 0; passed < totalMs && !done(); passed += ms) {
    await settle(loops, done);
    clock.advance(ms);
    // Let the step's work finish before the test looks.
    await settle(loops, done);
    options.check?.();
  }
}

/** Fake-clock time of each accepted write of the Lease naming `identity` its holder. */
function writesBy(identity: string): number[] {
  const at: number[] = [];
  kube.store.onWrite((kind, object) => {
    const spec = object.spec as { holderIdentity?: string } | undefined;
    if (kind === 'Lease' && spec?.holderIdentity === identity) at.push(clock.now());
  });
  return at;
}

describe('createLeaderElector', () => {
  it('lets the first replica take the lease, keeps the second passive, and hands over on release', async () => {
    const a = elector('a');
    const b = elector('b');
    const lostA = vi.fn();
    await a.acquire(lostA);
    expect(a.isLeading()).toBe(true);
    expect(a.signal().aborted).toBe(false);
    expect(holder()).toBe('a');
    expect(kube.store.get('Lease', namespace, name)?.spec).toMatchObject({
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });

    let bLeads = false;
    const lostB = vi.fn();
    const bAcquired = b.acquire(lostB).then(() => {
      bLeads = true;
    });
    // 40 s, well past the 15 s lease: a renews every 2 s, so b never sees it stale.
    const updatesBefore = kube.requests.count('update', 'Lease');
    await run(40_000, 2, { check: () => expect(bLeads).toBe(false) });
    expect(kube.requests.count('update', 'Lease') - updatesBefore).toBeGreaterThanOrEqual(15);
    expect(kube.requests.count('get', 'Lease')).toBeGreaterThan(30);
    expect(b.isLeading()).toBe(false);
    expect(b.signal().aborted).toBe(true);
    expect(a.isLeading()).toBe(true);
    expect(holder()).toBe('a');

    // a gives up the lease: b takes it at its next try, without waiting for it to expire.
    const signalA = a.signal();
    await a.release();
    expect(a.isLeading()).toBe(false);
    expect(signalA.aborted).toBe(true);
    await run(3_000, 1, { done: () => bLeads });
    await bAcquired;
    expect(b.isLeading()).toBe(true);
    expect(holder()).toBe('b');
    expect(kube.store.get('Lease', namespace, name)?.spec).toMatchObject({ leaseTransitions: 1 });
    expect(lostA).not.toHaveBeenCalled();
    expect(lostB).not.toHaveBeenCalled();
  });

  it.each([
    ['2.5 s', 2_500],
    ['an hour', 3_600_000],
  ])(
    'a follower whose clock is %s ahead never takes a Lease its holder keeps renewing',
    async (_, skewMs) => {
      // Timings short enough that 2.5 s is more than the whole lease: comparing the holder's
      // renewTime with this replica's clock would call the Lease expired at every look.
      const timings = { leaseMs: 2_000, renewDeadlineMs: 1_500, retryMs: 250 };
      const a = elector('a', timings);
      const b = elector('b', { ...timings, wallClock: () => EPOCH + clock.now() + skewMs });
      const renewedA = writesBy('a');
      const lostA = vi.fn();
      await a.acquire(lostA);
      let bLeads = false;
      const bAcquired = b
        .acquire(() => {})
        .then(() => {
          bLeads = true;
        });
      await run(20_000, 2, { ms: 100, check: () => expect(bLeads).toBe(false) });
      expect(holder()).toBe('a');
      expect(a.isLeading()).toBe(true);

      // Once a cannot renew (its updates hang), it steps down and b takes over after the
      // lease duration on its own clock.
      kube.faults.fail({ verb: 'update', kind: 'Lease', hang: true, times: 1_000 });
      const loops = () => (lostA.mock.calls.length > 0 ? 1 : 2);
      await run(2_000, loops, { ms: 100, done: () => lostA.mock.calls.length > 0 });
      expect(lostA).toHaveBeenCalledTimes(1);
      kube.faults.clear();
      await run(3_000, 1, { ms: 100, done: () => bLeads });
      await bAcquired;
      expect(holder()).toBe('b');
      expect(clock.now() - (renewedA.at(-1) ?? 0)).toBeGreaterThanOrEqual(timings.leaseMs);
    },
  );

  it('takes over a stale Lease after leaseDurationSeconds on its own clock, whatever its renewTime says', async () => {
    // The crashed holder's clock ran an hour ahead: its renewTime lies in the future here.
    kube.store.put({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace },
      spec: {
        holderIdentity: 'crashed',
        leaseDurationSeconds: 15,
        renewTime: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    const b = elector('b');
    const started = clock.now();
    let bLeads = false;
    const acquired = b
      .acquire(() => {})
      .then(() => {
        bLeads = true;
      });
    await run(14_000, 1, { check: () => expect(bLeads).toBe(false) });
    await run(5_000, 1, { done: () => bLeads });
    await acquired;
    expect(holder()).toBe('b');
    expect(clock.now() - started).toBeGreaterThanOrEqual(15_000);
    expect(clock.now() - started).toBeLessThan(20_000);
  });

  it('a leader whose renewals hang stops leading at its renew deadline, before anyone may take over', async () => {
    const a = elector('a');
    const b = elector('b');
    const renewedA = writesBy('a');
    let lostAt: number | undefined;
    let bLeadsAt: number | undefined;
    const lostA = vi.fn(() => {
      lostAt = clock.now();
      // a is out: let the API server answer again, for b.
      kube.faults.clear();
    });
    await a.acquire(lostA);
    let bLeads = false;
    const bAcquired = b
      .acquire(() => {})
      .then(() => {
        bLeads = true;
        bLeadsAt = clock.now();
      });
    await run(5_000, 2);
    // From now on the API server takes Lease updates and never answers them.
    kube.faults.fail({ verb: 'update', kind: 'Lease', hang: true, times: 1_000 });
    const signalA = a.signal();
    await run(30_000, () => (lostA.mock.calls.length > 0 ? 1 : 2), {
      done: () => bLeads,
      check: () => {
        const last = renewedA.at(-1) ?? 0;
        // Leadership is judged on the monotonic clock, even while a request hangs.
        if (clock.now() - last >= 10_000) expect(a.isLeading()).toBe(false);
        // Never two leaders.
        expect(a.isLeading() && b.isLeading()).toBe(false);
      },
    });
    await bAcquired;
    expect(lostA).toHaveBeenCalledTimes(1);
    expect(signalA.aborted).toBe(true);
    expect(a.isLeading()).toBe(false);
    const lastRenewal = renewedA.at(-1) ?? 0;
    expect(lostAt).toBeDefined();
    expect((lostAt ?? 0) - lastRenewal).toBeLessThanOrEqual(10_000);
    // b waited out the full lease after the last change it saw.
    expect((bLeadsAt ?? 0) - lastRenewal).toBeGreaterThanOrEqual(15_000);
    expect(holder()).toBe('b');
    // The hung requests were given up (bounded), not left open.
    await vi.waitFor(() => expect(kube.faults.held).toBe(0), wait);
  });

  it('rides out an API outage shorter than its renew deadline by renewing every retry period', async () => {
    const a = elector('a');
    const b = elector('b');
    const lostA = vi.fn();
    await a.acquire(lostA);
    let bLeads = false;
    // Ends (rejects) when b is released after the test.
    const bAcquired = b
      .acquire(() => {})
      .then(() => {
        bLeads = true;
      });
    bAcquired.catch(() => {});
    const check = () => {
      expect(a.isLeading()).toBe(true);
      expect(bLeads).toBe(false);
    };
    await run(6_000, 2, { check });
    // 5 s without any Lease call answered (an API server restart), at any phase of renewal.
    kube.faults.fail({ kind: 'Lease', code: 503, times: 100_000 });
    await run(5_000, 2, { check });
    kube.faults.clear();
    const updates = kube.requests.count('update', 'Lease');
    await run(30_000, 2, { check });
    expect(lostA).not.toHaveBeenCalled();
    expect(holder()).toBe('a');
    expect(kube.requests.count('update', 'Lease') - updates).toBeGreaterThanOrEqual(12);
  });

  it('calls onLost by its renew deadline when the API server refuses every renewal', async () => {
    const a = elector('a');
    const renewedA = writesBy('a');
    let lostAt: number | undefined;
    const lost = vi.fn(() => {
      lostAt = clock.now();
    });
    await a.acquire(lost);
    await run(3_000, 1);
    kube.faults.fail({ kind: 'Lease', code: 500, times: 100_000 });
    await run(20_000, 1, { done: () => lost.mock.calls.length > 0 });
    expect(lost).toHaveBeenCalledTimes(1);
    expect(a.isLeading()).toBe(false);
    expect((lostAt ?? Number.POSITIVE_INFINITY) - (renewedA.at(-1) ?? 0)).toBeLessThanOrEqual(
      10_000,
    );
  });

  it('calls onLost at once when another replica holds the lease', async () => {
    const a = elector('a');
    const lost = vi.fn();
    await a.acquire(lost);
    const lease = kube.store.get('Lease', namespace, name);
    const spec = lease?.spec as Record<string, unknown>;
    kube.store.put({ ...lease, spec: { ...spec, holderIdentity: 'usurper' } });
    await run(2_500, 1, { done: () => lost.mock.calls.length > 0 });
    expect(lost).toHaveBeenCalledTimes(1);
    expect(a.isLeading()).toBe(false);
    expect(a.signal().aborted).toBe(true);
  });

  it('refuses timings that would let two leaders overlap', () => {
    expect(() => elector('a', { leaseMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      /renewDeadlineMs \(10000\) must be less than leaseMs \(10000\)/,
    );
  });
});
