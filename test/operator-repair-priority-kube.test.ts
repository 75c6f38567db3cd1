import { describe, expect, it } from 'vitest';
import type { Cluster, GuardRef } from '../src/operator/ports.ts';
import type { KubeObject } from './support/fake-kube/index.ts';
import { type KubeWorld, NS, specOf } from './support/kube-world.ts';
import { image, spec } from './support/operator-fixtures.ts';
import { operatorSuite } from './support/operator-suite.ts';

/**
 * A foreign edit of `<name>-stable` may be serving users a template nobody approved. On a
 * busy operator (passes take turns, see pass-turns.ts) its repair must not wait behind
 * every other guard's routine pass: it goes ahead of the queue like a leak's.
 */

const BACKDOOR = 'registry.evil.example/backdoor:1';
const suite = operatorSuite({ clean: { version: 'v1' } });
const settled = () => new Promise((resolve) => setImmediate(resolve));

type Containers = { spec: { containers: { image: string }[] } };
const stableImage = (world: KubeWorld) =>
  (specOf(world.deployment('shop-stable')).template as Containers).spec.containers[0]?.image;

/** No guard probe between releases: its reports would queue passes the test does not order. */
const quiet = (overrides: Record<string, unknown> = {}) =>
  spec({ probe: { guardInterval: '1h' }, ...overrides });

/** A guard whose target does not exist: its passes are cheap, and they queue like any. */
function putIdleGuard(world: KubeWorld, name: string): void {
  world.kube.store.put({
    apiVersion: 'vakt.dev/v1alpha1',
    kind: 'ReleaseGuard',
    metadata: { name, namespace: NS },
    spec: quiet({ targetRef: { name: `${name}-app` } }),
  });
}

function touch(world: KubeWorld, name: string): void {
  const guard = world.kube.store.get('ReleaseGuard', NS, name) as KubeObject;
  const annotations = { ...guard.metadata.annotations, touched: String(Date.now()) };
  world.kube.store.put({ ...guard, metadata: { ...guard.metadata, annotations } });
}

/**
 * The real adapter, with the pass of guard `holder` held at its first read while `hold`
 * is set, every guard read recorded in order, and the watch events seen announced.
 */
function instrumented(cluster: Cluster) {
  const reads: string[] = [];
  const seen: string[] = [];
  let hold: PromiseWithResolvers<void> | undefined;
  const entered = Promise.withResolvers<void>();
  const wrapped: Cluster = {
    ...cluster,
    getGuard: async (ref: GuardRef) => {
      reads.push(ref.name);
      if (ref.name === 'holder' && hold) {
        entered.resolve();
        await hold.promise;
      }
      return cluster.getGuard(ref);
    },
    watchGuards: (namespace, onChange) =>
      cluster.watchGuards(namespace, (ref) => {
        onChange(ref);
        seen.push(`guard/${ref.name}`);
      }),
    watchDeployments: (namespace, onChange) =>
      cluster.watchDeployments(namespace, (ref, generation) => {
        onChange(ref, generation);
        seen.push(`deployment/${ref.name}`);
      }),
  };
  return {
    wrapped,
    reads,
    seen,
    entered: entered.promise,
    hold: () => {
      hold = Promise.withResolvers<void>();
    },
    release: () => hold?.resolve(),
  };
}

/**
 * Until shop's own writes stop echoing back as watch events and passes: 300 ms with no
 * shop read or event. (Deployment status is frozen so no controller keeps it busy.)
 */
async function settle(world: KubeWorld, t: ReturnType<typeof instrumented>): Promise<void> {
  world.kube.deploymentStatus = false;
  const activity = () =>
    t.reads.filter((r) => r === 'shop').length + t.seen.filter((e) => e.includes('shop')).length;
  let last = activity();
  let quietSince = Date.now();
  await waitUntil('shop quiet', () => {
    const now = activity();
    if (now !== last) [last, quietSince] = [now, Date.now()];
    return Date.now() - quietSince > 300;
  });
}

async function waitUntil(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('repair of a foreign -stable edit on a busy operator', () => {
  it('goes ahead of guards whose passes were queued first', async () => {
    const world = await suite.start({
      spec: quiet(),
      urls: [[image('v1'), suite.shops.clean.url]],
    });
    putIdleGuard(world, 'holder');
    putIdleGuard(world, 'queued');
    let tap: ReturnType<typeof instrumented> | undefined;
    world.start({
      passesAtOnce: 1,
      wrap: (cluster) => {
        tap = instrumented(cluster);
        return tap.wrapped;
      },
    });
    if (!tap) throw new Error('the operator did not start');
    const t = tap;
    await world.waitFor('adoption', () => world.status()?.phase === 'Idle');
    await world.waitFor('stable generation recorded', () => {
      const status = world.status() as { stableGeneration?: number } | undefined;
      return status?.stableGeneration !== undefined;
    });
    await waitUntil('the other guards judged', () =>
      ['holder', 'queued'].every(
        (name) => world.kube.store.get('ReleaseGuard', NS, name)?.status !== undefined,
      ),
    );

    // Nothing of shop's may be waiting for a turn already: a pass it asked for earlier
    // would repair the edit in FIFO order anyway, and prove nothing.
    await settle(world, t);

    // The only turn is taken by `holder`'s pass; `queued` asks for one next.
    t.hold();
    touch(world, 'holder');
    await t.entered;
    const seenBefore = t.seen.length;
    touch(world, 'queued');
    await waitUntil('the watch delivering queued', () =>
      t.seen.slice(seenBefore).includes('guard/queued'),
    );
    await settled();

    // `kubectl set image deploy/shop-stable`, every annotation left as it was.
    const stable = structuredClone(world.deployment('shop-stable')) as KubeObject;
    for (const c of (specOf(stable).template as Containers).spec.containers) c.image = BACKDOOR;
    world.kube.store.put(stable);
    await waitUntil('the watch delivering the edit', () =>
      t.seen.slice(seenBefore).includes('deployment/shop-stable'),
    );
    await settled();

    const readsBefore = t.reads.length;
    t.release();
    await world.waitFor('-stable repaired', () => stableImage(world) === image('v1'));
    await waitUntil('the queued pass', () => t.reads.slice(readsBefore).includes('queued'));
    const next = t.reads.slice(readsBefore).filter((name) => name !== 'holder');
    // The repair's pass came first, although `queued` had asked for a turn before it.
    expect(next.indexOf('shop')).toBe(0);
    expect(next.indexOf('queued')).toBeGreaterThan(0);
  });
});
