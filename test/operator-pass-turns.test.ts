import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { startOperator } from '../src/operator/operator.ts';
import { PassTurns, type Turn } from '../src/operator/pass-turns.ts';
import { isForeignStableChange, type Work } from '../src/operator/work.ts';
import POLICY from './fixtures/operator/policy.json' with { type: 'json' };
import { MemoryCluster } from './support/memory-cluster.ts';
import { offline } from './support/offline.ts';
import { shopEnv } from './support/shop-probe.ts';

offline({ loopback: true });

/**
 * Reconcile passes take turns: a thousand guards triggered at once do not run a thousand
 * passes (and hold their objects and API connections) together, and a guard with a leak
 * to record goes ahead of the queue.
 */

const silent = createLogger({ level: 'silent' });
/** Lets every promise that can resolve now do so (a macrotask turn runs after microtasks). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('pass turns', () => {
  it('grants at most `size` at once; a released turn goes to the next waiter, once', async () => {
    const turns = new PassTurns(2);
    const granted: string[] = [];
    const held = new Map<string, Turn>();
    const ask = (name: string, priority = () => 0) =>
      void turns.take(priority).then((turn) => {
        granted.push(name);
        held.set(name, turn);
      });
    for (const name of ['a', 'b', 'c', 'd']) ask(name);
    await settled();
    expect(granted).toEqual(['a', 'b']);
    expect(turns.waiting()).toBe(2);
    held.get('a')?.release();
    held.get('a')?.release(); // a second release gives nothing back twice
    await settled();
    expect(granted).toEqual(['a', 'b', 'c']);
    expect(turns.active()).toBe(2);
  });

  it('an urgent waiter goes first, judged when a turn comes free rather than when it asked', async () => {
    const turns = new PassTurns(1);
    const granted: string[] = [];
    const held: Turn[] = [];
    let lateUrgent = 0;
    const ask = (name: string, priority: () => number) =>
      void turns.take(priority).then((turn) => {
        granted.push(name);
        held.push(turn);
      });
    ask('first', () => 0);
    ask('plain', () => 0);
    ask('late', () => lateUrgent);
    await settled();
    lateUrgent = 1; // a leak arrived while it waited
    held[0]?.release();
    await settled();
    expect(granted).toEqual(['first', 'late']);
  });

  it('a leak (priority 2) goes before a repair (1) that asked earlier; equals keep their order', async () => {
    const turns = new PassTurns(1);
    const granted: string[] = [];
    const held: Turn[] = [];
    const ask = (name: string, priority: number) =>
      void turns
        .take(() => priority)
        .then((turn) => {
          granted.push(name);
          held.push(turn);
        });
    ask('running', 0);
    ask('plain', 0);
    ask('repair-a', 1);
    ask('repair-b', 1);
    ask('leak', 2);
    await settled();
    for (let i = 0; i < 4; i++) {
      held.at(-1)?.release();
      await settled();
    }
    expect(granted).toEqual(['running', 'leak', 'repair-a', 'repair-b', 'plain']);
  });

  it('refuses a size below one', () => {
    expect(() => new PassTurns(0)).toThrow(/passes at once/);
  });
});

describe('a -stable change the operator did not make', () => {
  const work = (stableGeneration?: number) =>
    ({ ref: { namespace: 'shop', name: 'shop' }, stableGeneration }) as Work;

  it('is a generation other than the one its own write left, or a deletion', () => {
    expect(isForeignStableChange(work(4), 'shop-stable', 5)).toBe(true);
    expect(isForeignStableChange(work(4), 'shop-stable', null)).toBe(true);
    expect(isForeignStableChange(work(4), 'shop-stable', 4)).toBe(false);
  });

  it('is never the target, nor a change it cannot tell', () => {
    expect(isForeignStableChange(work(4), 'shop', 5)).toBe(false);
    expect(isForeignStableChange(work(undefined), 'shop-stable', 5)).toBe(false);
    expect(isForeignStableChange(work(4), 'shop-stable', undefined)).toBe(false);
  });
});

describe('the reconciler with many guards', () => {
  it('runs at most 32 passes at once when 100 guards arrive together, and adopts every one', async () => {
    const c = new MemoryCluster();
    c.secrets.set('shop/shop-tenants', shopEnv());
    const names = Array.from({ length: 100 }, (_, i) => `shop-${i}`);
    for (const name of names) {
      c.applyDeployment('shop', name, { spec: { containers: [{ name, image: 'shop:1' }] } }, 2);
      c.applyGuard('shop', name, {
        targetRef: { name },
        service: { port: 8080 },
        policy: { inline: POLICY },
        tenantsSecretRef: { name: 'shop-tenants' },
        source: { repository: 'acme/shop' },
        probe: { guardInterval: '1h' },
      });
    }
    let inFlight = 0;
    let most = 0;
    const read = c.getGuard.bind(c);
    // Each pass starts with a read of its guard; a turn of the event loop keeps it open,
    // so passes running together show as reads in flight together.
    c.getGuard = async (ref) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      try {
        await settled();
        return await read(ref);
      } finally {
        inFlight -= 1;
      }
    };
    const op = startOperator({ cluster: c, log: silent });
    try {
      await op.started;
      const deadline = Date.now() + 20_000;
      while (!names.every((name) => c.guard('shop', name)?.status?.phase === 'Idle')) {
        if (Date.now() > deadline) throw new Error('timed out waiting for 100 guards Idle');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      await op.stop();
    }
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(32);
  });
});
