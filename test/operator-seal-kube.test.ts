import { describe, expect, it } from 'vitest';
import { createCluster } from '../src/kube/cluster.ts';
import { REJECTED_SEAL, type SealKeys } from '../src/kube/seal.ts';
import type { Operator } from '../src/operator/operator.ts';
import { REJECTED_TEMPLATE } from '../src/release/state.ts';
import { templateHash } from '../src/release/template.ts';
import type { KubeObject } from './support/fake-kube/index.ts';
import { failStatusWrites, type KubeWorld, NS } from './support/kube-world.ts';
import { image, SHA, spec, template } from './support/operator-fixtures.ts';
import { operatorSuite } from './support/operator-suite.ts';
import { release, revertThenCrash, scaleDownFrom } from './support/releases.ts';

/**
 * The rejection mark (vakt.dev/rejected-template) is trusted only with the operator's seal
 * beside it. With the chart's admission policies off, anyone with the `edit` role writes
 * annotations on Deployments: each test here makes the edit such a person could make,
 * straight to the fake API server's store, against the real client-node adapter.
 */

const APPROVERS = ['bob', 'carol'];
const KEY = 'k3y-0f-the-operat0r-that-n0body-else-h0lds-0123456789';
const KEYS: SealKeys = { current: Buffer.from(KEY) };
const UNSEALED = 'RejectionMarkNotSealed';

const suite = operatorSuite(
  {
    clean: { version: 'v1' },
    clean2: { version: 'v2' },
    leaky: { version: 'leaky', flaw: 'cache-without-user' },
  },
  { checkGrants: true },
);

async function startWorld(guardSpec: unknown = spec()): Promise<KubeWorld> {
  const { shops } = suite;
  const w = await suite.start({
    spec: guardSpec,
    urls: [
      [image('v1'), shops.clean.url],
      [image('v2'), shops.clean2.url],
      [image('leak'), shops.leaky.url],
      [image('v5'), shops.clean2.url],
    ],
  });
  return w;
}

async function adopted(world: KubeWorld): Promise<Operator> {
  const op = world.start({ seal: KEYS });
  await world.waitFor('adoption', () => world.status()?.phase === 'Idle');
  return op;
}

/** `kubectl annotate deploy/<name>`: the object as it is, with these annotations set. */
function annotate(world: KubeWorld, name: string, annotations: Record<string, string>): void {
  const current = world.deployment(name);
  if (!current) throw new Error(`no Deployment ${name}`);
  const next = structuredClone(current);
  next.metadata.annotations = { ...next.metadata.annotations, ...annotations };
  world.kube.store.put(next);
}

/** Everything an operator left where people read: logs, Events, statuses, every write. */
function everythingSeen(world: KubeWorld): string {
  return [
    world.logs.join(''),
    JSON.stringify(world.kube.store.list('events.k8s.io/v1/Event')),
    JSON.stringify(world.kube.store.list('ReleaseGuard').map((g) => g.status)),
    JSON.stringify(world.writes),
  ].join('\n');
}

describe('sealed rejection marks', () => {
  it('a forged mark naming the next release rejects nothing, and says so once', async () => {
    const world = await startWorld();
    await adopted(world);
    const next = templateHash(template(SHA.v2, 'v2'));
    // Someone who may edit the Deployment pre-rejects a release not yet made.
    annotate(world, 'shop', { [REJECTED_TEMPLATE]: next });
    await world.waitFor('the forged mark reported', () => world.events(UNSEALED).length > 0);
    expect(world.status()?.phase).toBe('Idle');
    expect(world.status()?.rejected).toEqual([]);

    expect(release(world, SHA.v2, 'v2', APPROVERS)).toBe(next);
    await world.waitFor(
      'the release promoted and baked',
      () => world.status()?.phase === 'Idle' && world.status()?.stable?.templateHash === next,
    );
    expect(world.status()?.rejected).toEqual([]);
    expect(world.events('Reverted')).toEqual([]);
    const [event, ...more] = world.events(UNSEALED);
    expect(more).toEqual([]);
    expect(event?.type).toBe('Warning');
    expect(event?.regarding.name).toBe('shop');
    expect(event?.note).toContain(`"${next}"`);
    expect(event?.note).toContain('guard shop');
  });

  it('a forged mark with a hostile value reaches Events escaped and cut short', async () => {
    const world = await startWorld();
    await adopted(world);
    const hostile = `\u202eevil\nline "quoted" ${'x'.repeat(5_000)}`;
    annotate(world, 'shop-stable', { [REJECTED_TEMPLATE]: hostile, [REJECTED_SEAL]: 'v1.AAAA' });
    await world.waitFor('the forged mark reported', () => world.events(UNSEALED).length > 0);
    const note = world.events(UNSEALED)[0]?.note ?? '';
    expect(note).toContain('shop-stable');
    expect(note).toContain('\\u{202e}evil\\u{a}line \\"quoted\\" xxxx');
    expect(note).toContain('(5020 characters)');
    expect(note).not.toMatch(/[\u202e\n]/);
    expect(note).not.toContain('x'.repeat(100));
    expect(world.status()?.phase).toBe('Idle');
    expect(world.status()?.rejected).toEqual([]);
  });

  it('without seal keys, a mark that is no template hash rejects nothing and reaches Events escaped', async () => {
    const world = await startWorld();
    world.start(); // no --seal-key-file: marks are trusted as written, if they can be the operator's
    await world.waitFor('adoption', () => world.status()?.phase === 'Idle');
    const hostile = `\u202eevil\nline ${'x'.repeat(5_000)}`;
    annotate(world, 'shop', { [REJECTED_TEMPLATE]: hostile });
    await world.waitFor('the mark reported', () => world.events(UNSEALED).length > 0);
    const note = world.events(UNSEALED)[0]?.note ?? '';
    expect(note).toContain('\\u{202e}evil\\u{a}line xxxx');
    expect(note).not.toMatch(/[\u202e\n]/);
    expect(JSON.stringify(world.kube.store.list('events.k8s.io/v1/Event'))).not.toContain(
      'x'.repeat(100),
    );
    expect(world.status()?.rejected).toEqual([]);
    expect(world.status()?.phase).toBe('Idle');
  });

  it('keeps a reverted template rejected after the operator stopped before writing status, and its key appears nowhere', async () => {
    const world = await startWorld();
    const first = await adopted(world);
    const hash = await revertThenCrash(world, first, { sha: SHA.leak, approvers: APPROVERS });
    expect(world.status()?.phase).toBe('Idle');
    // One request: the scale to zero carries the mark and its seal.
    const revert = scaleDownFrom(world, 1)?.object.metadata.annotations ?? {};
    expect(revert[REJECTED_TEMPLATE]).toBe(hash);
    expect(revert[REJECTED_SEAL]).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);

    world.kube.faults.clear();
    world.start({ seal: KEYS });
    await world.waitFor('the rejection in status', () => world.status()?.phase === 'Reverted');
    expect(world.status()?.rejected.map((r) => r.templateHash)).toEqual([hash]);
    expect(world.status()?.rejected[0]?.images).toEqual([image('leak')]);
    expect(world.replicasOf('shop').slice(-1)).toEqual([0]);
    expect(world.events(UNSEALED)).toEqual([]);
    const seen = everythingSeen(world);
    expect(seen.includes(KEY), 'the seal key').toBe(false);
    expect(seen.includes(Buffer.from(KEY).toString('base64')), 'the seal key, base64').toBe(false);
  });

  it('keeps a template rolled back while baking rejected after a crash, by its sealed mark on -stable', async () => {
    const world = await startWorld(spec({ bakeTime: '60s' }));
    const first = await adopted(world);
    const v1 = world.status()?.stable?.templateHash;
    const hash = release(world, SHA.v5, 'v5', APPROVERS);
    await world.waitFor('baking', () => world.status()?.phase === 'Baking');
    failStatusWrites(world);
    world.urls.set(image('v5'), suite.shops.leaky.url);
    const restored = () =>
      world.writes.findLast(
        (x) =>
          x.name === 'shop-stable' && x.object.metadata.annotations?.[REJECTED_TEMPLATE] === hash,
      );
    await world.waitFor('the restore of -stable', () => restored() !== undefined);
    await first.stop();
    expect(world.status()?.phase).toBe('Baking');
    expect(restored()?.object.metadata.annotations?.[REJECTED_SEAL]).toMatch(/^v1\./);

    world.kube.faults.clear();
    world.start({ seal: KEYS });
    await world.waitFor('the rollback in status', () => world.status()?.phase === 'Reverted');
    expect(world.status()?.rejected.map((r) => r.templateHash)).toEqual([hash]);
    expect(world.status()?.stable?.templateHash).toBe(v1);
    expect(world.stableHashes()).toEqual([v1, hash, v1]);
    // The first operator's Event went out before its status write failed; the recovered one
    // says where the rejection came from.
    expect(world.events('RolledBack').at(-1)?.note).toContain(
      'the operator stopped before saving the evidence',
    );
    expect(world.events(UNSEALED)).toEqual([]);
  });

  it('the same mark written bare after a crash is not trusted: the template is probed again', async () => {
    const world = await startWorld();
    const first = await adopted(world);
    const hash = await revertThenCrash(world, first, { sha: SHA.leak, approvers: APPROVERS });
    // The seal taken off (the mark kept): what a mark written by anyone else looks like.
    const current = structuredClone(world.deployment('shop') as KubeObject);
    delete current.metadata.annotations?.[REJECTED_SEAL];
    world.kube.store.put(current);

    world.kube.faults.clear();
    world.start({ seal: KEYS });
    await world.waitFor('the forged mark reported', () => world.events(UNSEALED).length > 0);
    // Not trusted as clean either: the approved template runs as a canary, leaks, and is
    // reverted on its own evidence.
    await world.waitFor('the revert', () => world.status()?.phase === 'Reverted');
    expect(world.status()?.rejected.map((r) => r.templateHash)).toEqual([hash]);
    expect(world.status()?.lastLeak).toBeDefined();
  });
});

describe('a seal verifies only where the operator wrote it', () => {
  /** A second guard's target in the same namespace, with the first one's annotations. */
  function copyTo(world: KubeWorld, name: string, annotations: Record<string, string>): void {
    const shop = world.deployment('shop') as KubeObject;
    world.kube.store.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS, annotations },
      spec: structuredClone(shop.spec),
    });
  }

  it('does not verify on another guard’s target, on a re-created Deployment or for another template', async () => {
    const world = await startWorld();
    const cluster = createCluster(world.kube.kubeConfig(), { seal: KEYS, retry: { baseMs: 1 } });
    const shop = { namespace: NS, name: 'shop' };
    await cluster.observe(shop, 'shop');
    // The operator's own revert: the mark and its seal, for guard shop and this Deployment.
    await cluster.scaleDeployment(NS, 'shop', 0, {
      rejectTemplate: 'feedc0de12345678',
      guardedBy: 'shop',
    });
    const genuine = { ...world.deployment('shop')?.metadata.annotations };
    expect(genuine[REJECTED_SEAL]).toBeDefined();
    const own = await cluster.observe(shop, 'shop');
    expect(own.unsealedMarks).toBeUndefined();
    expect(own.target?.annotations[REJECTED_TEMPLATE]).toBe('feedc0de12345678');

    // Copied to the target of guard cart: another guard, another Deployment.
    copyTo(world, 'cart', genuine);
    const cart = await cluster.observe({ namespace: NS, name: 'cart' }, 'cart');
    expect(cart.unsealedMarks).toEqual([{ on: 'target', templateHash: 'feedc0de12345678' }]);
    expect(cart.target?.annotations[REJECTED_TEMPLATE]).toBeUndefined();

    // The seal kept, the template it names changed.
    annotate(world, 'shop', { [REJECTED_TEMPLATE]: 'beefbeef12345678' });
    const changed = await cluster.observe(shop, 'shop');
    expect(changed.unsealedMarks).toEqual([{ on: 'target', templateHash: 'beefbeef12345678' }]);

    // Deleted and made again under the same name: a new uid, the old seal no longer fits.
    const recreated = structuredClone(world.deployment('shop') as KubeObject);
    world.kube.store.remove('Deployment', NS, 'shop');
    recreated.metadata = { name: 'shop', namespace: NS, annotations: genuine };
    world.kube.store.put(recreated);
    const again = await cluster.observe(shop, 'shop');
    expect(again.unsealedMarks).toEqual([{ on: 'target', templateHash: 'feedc0de12345678' }]);

    // Under a rotated key the old seal still verifies while the previous key is given.
    const rotatedKeys = { current: Buffer.from(`new-${KEY}`), previous: KEYS.current };
    const rotated = createCluster(world.kube.kubeConfig(), { seal: rotatedKeys });
    copyTo(world, 'shop2', genuine);
    await rotated.scaleDeployment(NS, 'shop2', 0, {
      rejectTemplate: 'feedc0de12345678',
      guardedBy: 'shop2',
    });
    const stillGood = await createCluster(world.kube.kubeConfig(), {
      seal: { current: Buffer.from(`newer-${KEY}`), previous: rotatedKeys.current },
    }).observe({ namespace: NS, name: 'shop2' }, 'shop2');
    expect(stillGood.unsealedMarks).toBeUndefined();
    const forgotten = await createCluster(world.kube.kubeConfig(), {
      seal: { current: Buffer.from(`newer-${KEY}`) },
    }).observe({ namespace: NS, name: 'shop2' }, 'shop2');
    expect(forgotten.unsealedMarks).toEqual([{ on: 'target', templateHash: 'feedc0de12345678' }]);
  });
});
