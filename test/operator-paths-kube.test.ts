import { describe, expect, it } from 'vitest';
import type { Operator } from '../src/operator/operator.ts';
import type { KubeObject } from './support/fake-kube/index.ts';
import { type KubeWorld, NS, selectorOf, specOf } from './support/kube-world.ts';
import { github, image, SHA, spec, template } from './support/operator-fixtures.ts';
import { operatorSuite } from './support/operator-suite.ts';

/**
 * The paths around vakt's Services: users reach stable only through Service `<name>`
 * and the candidate is reached only by probes through `<name>-canary`. Someone with the
 * namespace's `edit` role can label a pod so `<name>` selects it, change the image of a
 * running stable pod, point an Ingress or HTTPRoute at `<name>-canary`, or edit a
 * Service's selector. Each test makes such an edit as a write straight to the store.
 */

const APPROVERS = ['bob', 'carol'];
const BACKDOOR = 'registry.evil.example/backdoor:1';
const STABLE_LABELS = { 'vakt.dev/guard': 'shop', 'vakt.dev/role': 'stable' };

const suite = operatorSuite(
  {
    v1: { version: 'v1' },
    v2: { version: 'v2' },
    // Slow enough that a canary run is still going when the test changes something.
    v2slow: { version: 'v2-slow', backendLatencyMs: 150 },
  },
  { checkGrants: true },
);

async function startWorld(
  options: { guardInterval?: string; gatewayApi?: boolean } = {},
): Promise<KubeWorld> {
  const { shops } = suite;
  const w = await suite.start({
    spec: spec({ probe: { guardInterval: options.guardInterval ?? '1s' } }),
    urls: [
      [image('v1'), shops.v1.url],
      [image('v2'), shops.v2.url],
      [image('v2-slow'), shops.v2slow.url],
    ],
    ...(options.gatewayApi === undefined ? {} : { gatewayApi: options.gatewayApi }),
  });
  return w;
}

async function adopted(world: KubeWorld): Promise<Operator> {
  const op = world.start();
  await world.waitFor('adoption', () => world.status()?.phase === 'Idle');
  return op;
}

const pod = (world: KubeWorld, name: string) => world.kube.store.get('Pod', NS, name);

/** What the Deployment controller would make for `<owner>`: a ReplicaSet it controls. */
function replicaSet(world: KubeWorld, owner: KubeObject, name: string): KubeObject {
  const metadata = specOf(owner).template?.metadata as { labels?: Record<string, string> };
  const labels = metadata?.labels;
  return world.kube.store.put({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: NS,
      labels: { ...labels },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: owner.metadata.name,
          uid: owner.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: { template: specOf(owner).template },
  });
}

function putPod(
  world: KubeWorld,
  name: string,
  labels: Record<string, string>,
  containerImage: string,
  owner?: KubeObject,
): KubeObject {
  return world.kube.store.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      labels,
      ...(owner && {
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: owner.metadata.name,
            uid: owner.metadata.uid,
            controller: true,
          },
        ],
      }),
    },
    spec: { containers: [{ name: 'shop', image: containerImage }] },
  });
}

describe('pods that claim to be stable', () => {
  it("takes vakt's labels off a pod nothing controls that claims to be shop-stable's, and says which", async () => {
    const world = await startWorld();
    await adopted(world);
    putPod(world, 'imposter', STABLE_LABELS, BACKDOOR);
    await world.waitFor(
      'the labels taken off',
      () => !('vakt.dev/role' in (pod(world, 'imposter')?.metadata.labels ?? {})),
    );
    await world.waitFor('the Warning', () => world.events('ForeignPodUnlabelled').length > 0);
    expect(pod(world, 'imposter')?.metadata.labels ?? {}).toEqual({});
    const [warning] = world.events('ForeignPodUnlabelled');
    expect(warning?.type).toBe('Warning');
    expect(warning?.note).toContain('pod imposter');
  });

  it('deletes a false claimant another controller made, since unlabelled it would be replaced and pile up', async () => {
    const world = await startWorld();
    await adopted(world);
    // A ReplicaSet of someone's whose pod template carries the labels.
    const evil = world.kube.store.put({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'evil-5f7c', namespace: NS, labels: STABLE_LABELS },
      spec: {
        replicas: 1,
        selector: { matchLabels: STABLE_LABELS },
        template: {
          metadata: { labels: STABLE_LABELS },
          spec: { containers: [{ name: 'shop', image: BACKDOOR }] },
        },
      },
    });
    putPod(world, 'evil-1', STABLE_LABELS, BACKDOOR, evil);
    await world.waitFor('the claimant deleted', () => pod(world, 'evil-1') === undefined);
    await world.waitFor('the Warning', () => world.events('PodDeleted').length > 0);
    const [warning] = world.events('PodDeleted');
    expect(warning?.note).toContain('pod evil-1');
    expect(warning?.note).toContain('ReplicaSet evil-5f7c');
  });

  it("deletes a pod of shop-stable whose image was changed in place, and leaves stable's others alone", async () => {
    const world = await startWorld();
    await adopted(world);
    const stable = world.deployment('shop-stable');
    if (!stable) throw new Error('no shop-stable');
    const rs = replicaSet(world, stable, 'shop-stable-6d4b');
    putPod(world, 'shop-stable-6d4b-good', STABLE_LABELS, image('v1'), rs);
    // `kubectl set image pod/...`: pod spec.containers[].image is mutable.
    putPod(world, 'shop-stable-6d4b-bad', STABLE_LABELS, BACKDOOR, rs);
    await world.waitFor('the changed pod deleted', () => !pod(world, 'shop-stable-6d4b-bad'));
    await world.waitFor('the Warning', () => world.events('PodDeleted').length > 0);
    expect(pod(world, 'shop-stable-6d4b-good')?.metadata.labels).toEqual(STABLE_LABELS);
    const [warning] = world.events('PodDeleted');
    expect(warning?.type).toBe('Warning');
    expect(warning?.note).toContain('pod shop-stable-6d4b-bad');
    expect(warning?.note).toContain(BACKDOOR);
    expect(world.events('ForeignPodUnlabelled')).toEqual([]);
  });
});

/** An approved release of v2, waiting at the point where the candidate would scale up. */
async function releaseV2(world: KubeWorld, tag = 'v2'): Promise<void> {
  github.approvers.set(SHA.v2, APPROVERS);
  world.applyDeployment(template(SHA.v2, tag), 3);
  await world.waitFor('v2 approved', () => world.events('Approved').length > 0);
}

function putIngress(world: KubeWorld, backend: string): void {
  world.kube.store.put({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop-public', namespace: NS },
    spec: {
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              {
                path: '/api',
                pathType: 'Prefix',
                backend: { service: { name: backend, port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    },
  });
}

describe('routes that send users to <name>-canary', () => {
  it('holds the candidate at zero while an Ingress sends users to shop-canary, and goes on once it no longer does', async () => {
    const world = await startWorld();
    await adopted(world);
    putIngress(world, 'shop-canary');
    await releaseV2(world);
    await world.waitFor('Blocked by the Ingress', () =>
      (world.status()?.message ?? '').includes('Ingress shop-public'),
    );
    expect(world.status()?.phase).toBe('Blocked');
    expect(world.status()?.message).toContain('shop.example.com/api');
    expect(world.replicasOf('shop').filter((r) => r > 0 && r !== 3)).toEqual([]);
    expect(specOf(world.deployment('shop')).replicas).toBe(0);
    const [warning] = world.events('CandidateExposed');
    expect(warning?.type).toBe('Warning');
    expect(warning?.note).toContain('Ingress shop-public (shop.example.com/api)');

    putIngress(world, 'shop');
    await world.waitFor('v2 promoted', () => world.events('Promoted').length > 0);
  });

  it('scales a running canary back to zero when an HTTPRoute starts sending users to it', async () => {
    const world = await startWorld();
    await adopted(world);
    await releaseV2(world, 'v2-slow');
    await world.waitFor('the canary running', () => world.status()?.phase === 'Canary');
    world.kube.store.put({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'shop-route', namespace: NS },
      spec: {
        parentRefs: [{ name: 'public' }],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/shop' } }],
            backendRefs: [{ name: 'shop-canary', port: 8080 }],
          },
        ],
      },
    });
    await world.waitFor('Blocked by the HTTPRoute', () =>
      (world.status()?.message ?? '').includes('HTTPRoute shop-route (/shop)'),
    );
    await world.waitFor(
      'the candidate at zero',
      () => specOf(world.deployment('shop')).replicas === 0,
    );
    expect(world.status()?.phase).toBe('Blocked');
    expect(world.events('CandidateExposed').at(-1)?.note).toContain('HTTPRoute shop-route');
    expect(world.events('Promoted')).toEqual([]);
  });

  it('runs where the Gateway API is not installed: the 404 on its group means no HTTPRoutes', async () => {
    const world = await startWorld({ gatewayApi: false });
    const op = await adopted(world);
    await world.waitFor('ready', () => op.ready());
    await releaseV2(world);
    await world.waitFor('v2 promoted', () => world.events('Promoted').length > 0);
  });
});

describe("vakt's Services", () => {
  it("repairs an edit of Service shop's selector at once, without waiting for another pass", async () => {
    // Once the first guard run is over (it starts within 30 s), the next is an hour away:
    // no probe report, requeue or other change starts a pass, only the Service's own.
    const world = await startWorld({ guardInterval: '1h' });
    await adopted(world);
    await world.waitFor(
      'the first guard run over',
      () => {
        const probe = world.status()?.probe;
        return probe?.mode === 'guard' && probe.outcome !== 'running';
      },
      45_000,
    );
    const service = world.service('shop');
    if (!service) throw new Error('no Service shop');
    world.kube.store.put({
      ...service,
      spec: { ...(service.spec as object), selector: { app: 'evil' } },
    });
    await world.waitFor(
      'the selector repaired',
      () => selectorOf(world.service('shop'))?.app === undefined,
      10_000,
    );
    expect(selectorOf(world.service('shop'))).toEqual(STABLE_LABELS);
  });
});

describe('pods that answer on <name>-canary', () => {
  it('a pod beside the candidate that is not the target’s holds the canary, and it goes on once the pod is gone', async () => {
    const world = await startWorld();
    await adopted(world);
    const target = world.deployment('shop') as KubeObject;
    // The target's own pod (through its ReplicaSet) is the candidate: it is fine.
    const own = replicaSet(world, target, 'shop-7c9f');
    putPod(world, 'shop-7c9f-abcde', { app: 'shop' }, image('v2'), own);
    // A bare pod with the target's labels: Service shop-canary selects it too.
    putPod(world, 'stub', { app: 'shop' }, image('v1'));
    await releaseV2(world);
    // The Event goes out before status is written: wait for status.
    await world.waitFor(
      'the canary held',
      () =>
        world.status()?.phase === 'Blocked' &&
        (world.status()?.message ?? '').includes('answer on Service shop-canary'),
    );
    await world.waitFor(
      'the candidate at zero',
      () => specOf(world.deployment('shop')).replicas === 0,
    );
    const [warning] = world.events('CanaryPolluted');
    expect(warning?.note).toContain('pods stub answer on Service shop-canary');
    expect(warning?.note).not.toContain('shop-7c9f-abcde');
    expect(world.events('Promoted')).toHaveLength(0);

    world.kube.store.remove('Pod', NS, 'stub');
    await world.waitFor('v2 promoted', () => world.events('Promoted').length > 0);
    expect(world.events('CanaryPolluted')).toHaveLength(1);
  });
});
