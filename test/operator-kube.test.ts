import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLeaderElector } from '../src/kube/lease.ts';
import type { Operator } from '../src/operator/operator.ts';
import { RECHECK_ANNOTATION } from '../src/operator/reconciler.ts';
import type { ReleaseGuardStatus } from '../src/release/schema.ts';
import { REJECTED_TEMPLATE } from '../src/release/state.ts';
import { templateHash } from '../src/release/template.ts';
import { type Shop, startShop } from '../src/shop/index.ts';
import POLICY from './fixtures/operator/policy.json' with { type: 'json' };
import { allows, type ResourceRequest, renderGrants } from './support/chart-rbac.ts';
import type { RequestRecord } from './support/fake-kube/index.ts';
import {
  GITHUB_SECRET,
  type KubeWorld,
  LEASE,
  NS,
  OPERATOR_NS,
  podLabels,
  type StoreWrite,
  selectorOf,
  selects,
  specOf,
  startKubeWorld,
} from './support/kube-world.ts';
import {
  GITHUB_TOKEN,
  github,
  image,
  metric,
  mockGitHub,
  SHA,
  spec,
  template,
} from './support/operator-fixtures.ts';
import { release, releaseUrls, revertThenCrash, scaleDownFrom } from './support/releases.ts';
import { shopEnv, shopSecrets } from './support/shop-probe.ts';

/**
 * The operator's behaviour step by step, through the real Kubernetes adapter against the
 * loopback fake API server: every read and write is an HTTP request, every change reaches
 * the operator through a watch. Sample shops on loopback are the pods behind the Services;
 * GitHub answers through nock.
 */

const TEMPLATE_HASH = 'vakt.dev/template-hash';
const APPROVERS = ['bob', 'carol'];
const V1 = templateHash(template(SHA.v1, 'v1'));

let shops: { clean: Shop; clean2: Shop; slow: Shop; leaky: Shop; leakySlow: Shop };
let w: KubeWorld | undefined;
/** The chart's RBAC rendered with its defaults, and with Secret and ConfigMap names pinned. */
let grants: { sets: string[]; grants: Awaited<ReturnType<typeof renderGrants>> }[];

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  const [clean, clean2, slow, leaky, leakySlow] = await Promise.all([
    startShop({ version: 'v1' }),
    startShop({ version: 'v2' }),
    startShop({ version: 'slow', backendLatencyMs: 40 }),
    startShop({ version: 'leaky', flaw: 'cache-without-user' }),
    startShop({ version: 'leaky-slow', flaw: 'cache-without-user', backendLatencyMs: 150 }),
  ]);
  shops = { clean, clean2, slow, leaky, leakySlow };
  const variants = [
    [`github.existingSecret=${GITHUB_SECRET}`],
    [
      `github.existingSecret=${GITHUB_SECRET}`,
      'rbac.secretNames={shop-tenants}',
      'rbac.configMapNames={shop-policy}',
    ],
  ];
  grants = await Promise.all(
    variants.map(async (sets) => ({ sets, grants: await renderGrants(OPERATOR_NS, sets) })),
  );
});

afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await Promise.all(Object.values(shops).map((s) => s.close()));
});

beforeEach(() => {
  github.reset();
  mockGitHub();
});

afterEach(async () => {
  const world = w;
  w = undefined;
  // Stopping waits for the commit statuses under way; GitHub must still answer them.
  await world?.close();
  nock.cleanAll();
  if (!world) return;
  expect(world.problems, 'Services that select the wrong pods').toEqual([]);
  // Every request the operator made here is one the chart's RBAC grants.
  const used = world.kube.requests.all.map(asResourceRequest);
  for (const { sets, grants: granted } of grants) {
    const denied = used.filter((r) => !allows(granted, r));
    expect(denied, `denied by the chart with --set ${sets.join(' --set ')}`).toEqual([]);
  }
  // No credential in what the operator logged, in an Event, or in a ReleaseGuard's status.
  const events = [
    ...world.kube.store.list('events.k8s.io/v1/Event'),
    ...world.kube.store.list('v1/Event'),
  ];
  const statuses = world.kube.store.list('ReleaseGuard').map((g) => g.status);
  const places = {
    logs: world.logs.join(''),
    events: JSON.stringify(events),
    status: JSON.stringify(statuses),
  };
  for (const secret of [...shopSecrets(), GITHUB_TOKEN]) {
    for (const [where, text] of Object.entries(places)) {
      expect(text.includes(secret), `a credential in ${where}`).toBe(false);
    }
  }
});

async function startWorld(guardSpec: unknown = spec(), tenants = shopEnv()): Promise<KubeWorld> {
  w = await startKubeWorld({
    spec: guardSpec,
    template: template(SHA.v1, 'v1'),
    tenants,
    urls: [
      ...releaseUrls({
        stable: shops.clean,
        candidate: shops.clean2,
        slow: shops.slow,
        leaky: shops.leaky,
      }),
      [image('v5'), shops.clean2.url],
      [image('v7'), shops.clean2.url],
      [image('leak-slow'), shops.leakySlow.url],
    ],
  });
  return w;
}

async function adopted(world: KubeWorld): Promise<Operator> {
  const op = world.start();
  await world.waitFor('adoption', phaseIs(world, 'Idle'));
  return op;
}

const phaseIs =
  (world: KubeWorld, ...phases: string[]) =>
  () =>
    phases.includes(world.status()?.phase ?? '');

const hasCondition = (world: KubeWorld, type: string, reason: string) => () =>
  world.status()?.conditions.some((c) => c.type === type && c.reason === reason) ?? false;

const reasons = (world: KubeWorld) => world.events().map((e) => e.reason);

/** How often each Event reason was emitted. */
function eventCounts(world: KubeWorld): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reason of reasons(world)) counts[reason] = (counts[reason] ?? 0) + 1;
  return counts;
}

/** Requests that change Deployments or Services (status and Events are not counted). */
const workloadWrites = (world: KubeWorld) =>
  world.kube.requests.all.filter(
    (r) =>
      ['deployments', 'services'].includes(r.kind.plural) &&
      ['create', 'update', 'patch', 'delete'].includes(r.verb),
  ).length;

/** The write that took the target from `from` replicas to 0. */

const templateHashOf = (world: KubeWorld, name: string) =>
  world.deployment(name)?.metadata.annotations?.[TEMPLATE_HASH];

describe('operator against the Kubernetes API', () => {
  it('adopts the target: <name>-stable and the Services first, then the target goes to zero', async () => {
    const world = await startWorld();
    const op = await adopted(world);
    const target = world.deployment('shop');
    const stable = world.deployment('shop-stable');
    const guard = world.guard();

    expect(templateHashOf(world, 'shop-stable')).toBe(V1);
    expect(specOf(stable).replicas).toBe(3);
    // A copy of the target's pods, relabelled so the target's selector does not take them.
    expect(specOf(stable).template?.spec).toEqual(template(SHA.v1, 'v1').spec);
    expect(selects(specOf(target).selector?.matchLabels, podLabels(stable))).toBe(false);
    expect(selects(specOf(stable).selector?.matchLabels, podLabels(stable))).toBe(true);
    expect(stable?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ReleaseGuard', name: 'shop', uid: guard?.metadata.uid }),
    ]);

    // <name> reaches stable's pods only; <name>-canary the target's only.
    const users = selectorOf(world.service('shop'));
    const canary = selectorOf(world.service('shop-canary'));
    expect(selects(users, podLabels(stable))).toBe(true);
    expect(selects(users, podLabels(target))).toBe(false);
    expect(selects(canary, podLabels(target))).toBe(true);
    expect(selects(canary, podLabels(stable))).toBe(false);

    // The target goes to zero only once stable and both Services exist.
    expect(world.replicasOf('shop')).toEqual([3, 0]);
    const at = (kind: string, name: string) =>
      world.writes.findIndex((x) => x.kind === kind && x.name === name);
    const zero = world.writes.indexOf(scaleDownFrom(world, 3) as StoreWrite);
    for (const [kind, name] of [
      ['Deployment', 'shop-stable'],
      ['Service', 'shop'],
      ['Service', 'shop-canary'],
    ] as const) {
      expect(at(kind, name), `${kind} ${name} before the scale to zero`).toBeGreaterThanOrEqual(0);
      expect(at(kind, name), `${kind} ${name} before the scale to zero`).toBeLessThan(zero);
    }

    const [event, ...more] = world.events('Adopted');
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      type: 'Normal',
      regarding: { kind: 'ReleaseGuard', name: 'shop', uid: guard?.metadata.uid },
    });
    expect(world.kube.store.list('v1/Event')).toEqual([]);
    // The gauge moves once the status write is back, a moment after the store has it.
    await world.waitFor(
      'the phase gauge',
      async () => (await metric(op, 'vakt_guards', 'phase="Idle"')) === 1,
    );

    // Between releases the guard probe reaches stable through Service <name>.
    await world.waitFor('a passing guard run', hasCondition(world, 'ProbesPassing', 'GuardPassed'));
    expect(world.status()?.probe?.mode).toBe('guard');
    expect(await metric(op, 'vakt_probe_requests_total', 'mode="guard"')).toBeGreaterThan(0);
    expect(
      await metric(op, 'vakt_probe_runs_total', 'mode="guard",outcome="pass"'),
    ).toBeGreaterThan(0);
    expect(await metric(op, 'vakt_probe_request_seconds_count', 'mode="guard"')).toBeGreaterThan(0);
    expect(await metric(op, 'vakt_reconcile_seconds_count')).toBeGreaterThan(0);
    expect(await metric(op, 'vakt_guard_approvals', 'outcome="pending"')).toBe(0);
  });

  it('blocks an unapproved template, then proceeds when approvals arrive (recheck on demand)', async () => {
    const world = await startWorld();
    const op = await adopted(world);
    const hash = release(world, SHA.v2, 'v2', ['bob']);
    await world.waitFor('Blocked and denied', () => world.status()?.approval?.outcome === 'denied');
    await world.waitFor(
      'the approvals gauge',
      async () => (await metric(op, 'vakt_guard_approvals', 'outcome="denied"')) === 1,
    );
    expect(await metric(op, 'vakt_guards', 'phase="Blocked"')).toBe(1);
    expect(await metric(op, 'vakt_github_requests_total', 'status="200"')).toBeGreaterThan(0);
    expect(world.status()).toMatchObject({
      phase: 'Blocked',
      candidate: { templateHash: hash, revision: SHA.v2 },
    });
    expect(world.status()?.message).toMatch(/approval/);
    expect(world.replicasOf('shop')).toEqual([3, 0, 3, 0]);
    expect(world.events('Blocked')).toEqual([expect.objectContaining({ type: 'Warning' })]);
    expect(
      world.status()?.conditions.find((c) => c.type === 'Approved')?.status,
      'the Approved condition',
    ).toBe('False');
    await world.waitFor('the failure status', () =>
      github.statusesOf(SHA.v2).some(([, state]) => state === 'failure'),
    );
    expect(github.statusesOf(SHA.v2)).toEqual([
      ['vakt/two-person', 'pending'],
      ['vakt/two-person', 'failure'],
    ]);

    github.approvers.set(SHA.v2, APPROVERS);
    world.annotateGuard(RECHECK_ANNOTATION, 'now');
    await world.waitFor('the canary scaled up', () => world.replicasOf('shop').length > 4);
    expect(world.replicasOf('shop')).toEqual([3, 0, 3, 0, 1]);
    expect(world.events('Approved')).toHaveLength(1);
    await world.waitFor('the success status', () =>
      github.statusesOf(SHA.v2).some(([, state]) => state === 'success'),
    );
    expect(github.asked.get(SHA.v2)).toBe(2);
    await world.waitFor(
      'the approvals gauge',
      async () => (await metric(op, 'vakt_guard_approvals', 'outcome="approved"')) === 1,
    );
    expect(await metric(op, 'vakt_guard_approvals', 'outcome="denied"')).toBe(0);
  });

  it('reverts a leaking canary at once, marks it on the Deployment, and never retries it', async () => {
    const world = await startWorld();
    const op = await adopted(world);
    const hash = release(world, SHA.leak, 'leak', APPROVERS);
    await world.waitFor('the revert', phaseIs(world, 'Reverted'));
    const status = world.status() as ReleaseGuardStatus;

    // Scaled up behind <name>-canary, then to zero with the rejection in the same request.
    expect(world.replicasOf('shop')).toEqual([3, 0, 3, 0, 1, 0]);
    const revert = scaleDownFrom(world, 1);
    expect(revert?.object.metadata.annotations?.[REJECTED_TEMPLATE]).toBe(hash);
    expect(templateHashOf(world, 'shop-stable')).toBe(V1);
    expect(status.rejected.map((r) => r.templateHash)).toEqual([hash]);
    expect(status.lastLeak).toMatchObject({
      target: 'candidate',
      templateHash: hash,
      revision: SHA.leak,
    });
    expect(status.lastLeak?.summary).toBeTruthy();
    expect(world.events('Reverted')).toEqual([expect.objectContaining({ type: 'Warning' })]);
    expect(await metric(op, 'vakt_leaks_total', 'target="candidate"')).toBe(1);
    expect(await metric(op, 'vakt_reverts_total', 'why="candidate"')).toBe(1);
    expect(await metric(op, 'vakt_revert_seconds_count')).toBe(1);
    expect(await metric(op, 'vakt_probe_runs_total', 'mode="canary",outcome="leak"')).toBe(1);
    await world.waitFor(
      'the probe failure status',
      () => github.statusesOf(SHA.leak, 'vakt/probe').length > 0,
    );
    expect(github.statusesOf(SHA.leak, 'vakt/probe')).toEqual([['vakt/probe', 'failure']]);

    // Someone applies the very same template again, with replicas.
    const gets = world.kube.requests.count('get', 'ReleaseGuard');
    const before = world.replicasOf('shop').length;
    world.applyDeployment(template(SHA.leak, 'leak'), 2);
    await world.waitFor(
      'another pass and zero replicas',
      () =>
        world.kube.requests.count('get', 'ReleaseGuard') > gets &&
        specOf(world.deployment('shop')).replicas === 0,
    );
    expect(world.replicasOf('shop').slice(before)).toEqual([2, 0]);
    expect(world.status()?.phase).toBe('Reverted');
    expect(github.asked.get(SHA.leak)).toBe(1);
    expect(world.events('Reverted')).toHaveLength(1);
    // No new canary run: the last canary report is still the leaking run's.
    const probe = world.status()?.probe;
    expect(probe?.mode !== 'canary' || probe.runId === world.status()?.lastLeak?.runId).toBe(true);
  });

  it('scales a leaking candidate to zero at once, even while every pass fails', async () => {
    const world = await startWorld();
    const op = await adopted(world);
    const before = shops.leakySlow.stats.requests;
    const hash = release(world, SHA.v7, 'leak-slow', APPROVERS);
    await world.waitFor('the canary probe', () => shops.leakySlow.stats.requests > before);
    // From here on every pass fails at its first read, as against a struggling API server.
    world.kube.faults.fail({ verb: 'get', kind: 'ReleaseGuard', code: 500, times: 10_000 });
    await world.waitFor('the candidate at zero', () => scaleDownFrom(world, 1) !== undefined);
    expect(scaleDownFrom(world, 1)?.object.metadata.annotations?.[REJECTED_TEMPLATE]).toBe(hash);
    expect(world.status()?.phase).toBe('Canary');

    world.kube.faults.clear();
    await world.waitFor('the revert in status', phaseIs(world, 'Reverted'));
    expect(world.status()?.rejected.map((r) => r.templateHash)).toEqual([hash]);
    expect(world.status()?.lastLeak).toMatchObject({ target: 'candidate', templateHash: hash });
    expect(world.events('Reverted')).toHaveLength(1);
    expect(await metric(op, 'vakt_reverts_total', 'why="candidate"')).toBe(1);
    expect(world.replicasOf('shop')).toEqual([3, 0, 3, 0, 1, 0]);
  });

  it('probes spec.probe.target instead of the canary where the platform allows an override (the default without one)', async () => {
    const world = await startWorld(
      spec({ probe: { guardInterval: '1s', target: shops.leaky.url } }),
    );
    await adopted(world);
    const behind = shops.clean2.stats.requests;
    const at = shops.leaky.stats.requests;
    // The candidate's pods (behind <name>-canary) are clean; the configured target leaks.
    const hash = release(world, SHA.v7, 'v7', APPROVERS);
    await world.waitFor('the revert', phaseIs(world, 'Reverted'));
    expect(world.status()?.lastLeak).toMatchObject({ target: 'candidate', templateHash: hash });
    expect(shops.leaky.stats.requests).toBeGreaterThan(at);
    expect(shops.clean2.stats.requests).toBe(behind);
  });

  it('promotes a clean canary, bakes it, then settles to Idle', async () => {
    const world = await startWorld();
    const op = await adopted(world);
    const served = shops.clean2.stats.requests;
    const hash = release(world, SHA.v4, 'v4', APPROVERS);
    await world.waitFor('promotion', () => templateHashOf(world, 'shop-stable') === hash);
    const stable = world.deployment('shop-stable');
    expect(specOf(stable).template?.spec).toEqual(template(SHA.v4, 'v4').spec);
    expect(selects(specOf(world.deployment('shop')).selector?.matchLabels, podLabels(stable))).toBe(
      false,
    );
    await world.waitFor(
      'the end of the bake',
      () => world.status()?.phase === 'Idle' && world.status()?.stable?.templateHash === hash,
    );
    expect(world.stableHashes()).toEqual([V1, hash]);
    for (const reason of ['Adopted', 'ReleaseDetected', 'Approved', 'Promoted', 'Baked']) {
      expect(world.events(reason), reason).toHaveLength(1);
    }
    expect(world.status()?.previousStable).toBeUndefined();
    expect(world.replicasOf('shop')).toEqual([3, 0, 3, 0, 1, 0]);
    expect(shops.clean2.stats.requests).toBeGreaterThan(served);
    expect(await metric(op, 'vakt_probe_requests_total', 'mode="canary"')).toBeGreaterThan(0);
    expect(await metric(op, 'vakt_probe_requests_total', 'mode="bake"')).toBeGreaterThan(0);
    await world.waitFor(
      'the probe success status',
      () => github.statusesOf(SHA.v4, 'vakt/probe').length > 0,
    );
    expect(github.statusesOf(SHA.v4)).toEqual([
      ['vakt/two-person', 'pending'],
      ['vakt/two-person', 'success'],
      ['vakt/probe', 'success'],
    ]);
  });

  it('restores the previous stable template on a leak while baking', async () => {
    const world = await startWorld(spec({ bakeTime: '60s' }));
    const op = await adopted(world);
    const hash = release(world, SHA.v5, 'v5', APPROVERS);
    await world.waitFor('baking', phaseIs(world, 'Baking'));
    // The promoted release meets a cache on the way to users.
    world.urls.set(image('v5'), shops.leaky.url);
    await world.waitFor('the rollback', phaseIs(world, 'Reverted'));

    expect(world.stableHashes()).toEqual([V1, hash, V1]);
    expect(specOf(world.deployment('shop-stable')).template?.spec).toEqual(
      template(SHA.v1, 'v1').spec,
    );
    const restore = world.writes.findLast(
      (x) => x.name === 'shop-stable' && x.object.metadata.annotations?.[TEMPLATE_HASH] === V1,
    );
    expect(restore?.object.metadata.annotations?.[REJECTED_TEMPLATE]).toBe(hash);
    expect(world.status()?.rejected.map((r) => r.templateHash)).toEqual([hash]);
    expect(world.status()?.stable?.templateHash).toBe(V1);
    expect(world.events('RolledBack')).toEqual([expect.objectContaining({ type: 'Warning' })]);
    expect(await metric(op, 'vakt_reverts_total', 'why="restore"')).toBe(1);
    expect(specOf(world.deployment('shop')).replicas).toBe(0);
    await world.waitFor(
      'the probe failure status',
      () => github.statusesOf(SHA.v5, 'vakt/probe').length > 0,
    );
    expect(github.statusesOf(SHA.v5, 'vakt/probe')).toEqual([['vakt/probe', 'failure']]);
  });

  it('raises a Warning, a condition and a metric on a leak on stable, and reverts nothing', async () => {
    const world = await startWorld();
    const op = await adopted(world);
    await world.waitFor('a passing guard run', hasCondition(world, 'ProbesPassing', 'GuardPassed'));
    const writes = workloadWrites(world);
    // A CDN change, not a release: stable itself starts leaking.
    world.urls.set(image('v1'), shops.leaky.url);
    await world.waitFor('the alarm', () => world.events('LeakOnStable').length > 0);
    expect(world.events('LeakOnStable')[0]?.type).toBe('Warning');
    await world.waitFor('the condition', hasCondition(world, 'ProbesPassing', 'LeakOnStable'));
    expect(world.status()?.conditions.find((c) => c.type === 'ProbesPassing')?.status).toBe(
      'False',
    );
    expect(world.status()?.phase).toBe('Idle');
    expect(world.status()?.lastLeak).toMatchObject({ target: 'stable', templateHash: V1 });

    // The guard keeps probing: the leak is counted again, the alarm is not repeated.
    await world.waitFor(
      'a second leaking guard run',
      async () => (await metric(op, 'vakt_leaks_total', 'target="stable"')) >= 2,
    );
    expect(world.events('LeakOnStable')).toHaveLength(1);

    // Fixed at the edge: the next guard run says so.
    world.urls.set(image('v1'), shops.clean.url);
    await world.waitFor('the all-clear', () => world.events('StableLeakGone').length > 0);
    await world.waitFor('the condition', hasCondition(world, 'ProbesPassing', 'GuardPassed'));
    expect(workloadWrites(world)).toBe(writes);
    expect(world.stableHashes()).toEqual([V1]);
  });

  it('leaves no unprobed candidate running when the guard is deleted mid-canary', async () => {
    const world = await startWorld();
    await adopted(world);
    const probed = shops.slow.stats.requests;
    release(world, SHA.v6, 'v6', APPROVERS);
    await world.waitFor(
      'the canary probe under way',
      () => world.status()?.phase === 'Canary' && shops.slow.stats.requests > probed + 5,
    );
    world.kube.store.remove('ReleaseGuard', NS, 'shop');
    await world.waitFor('the guard to go', () => world.guard() === undefined);
    expect(world.events('HandedBack')[0]?.note).toMatch(/stays at zero/);
    // What the Event says: the candidate, never probed to the end, does not keep running.
    expect(specOf(world.deployment('shop')).replicas).toBe(0);
  });

  it('waits to adopt while another Service selects the target, then adopts once it is repointed', async () => {
    const world = await startWorld();
    const service = (selector: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'shop-web', namespace: NS },
      spec: { selector, ports: [{ port: 80, targetPort: 8080 }] },
    });
    world.kube.store.put(service({ app: 'shop' }));
    world.start();
    await world.waitFor('the warning', () => world.events('ServiceSelectsTarget').length > 0);
    expect(world.events('ServiceSelectsTarget')[0]?.note).toMatch(/Service shop-web selects/);
    expect(world.status()?.phase).toBe('Initializing');
    expect(world.replicasOf('shop')).toEqual([3]);

    // Its users now go where vakt sends them: Service <name>'s pods.
    world.kube.store.put(service({ 'vakt.dev/guard': 'shop', 'vakt.dev/role': 'stable' }));
    world.annotateGuard('touched', '1');
    await world.waitFor('adoption', phaseIs(world, 'Idle'));
    expect(world.replicasOf('shop')).toEqual([3, 0]);
    expect(world.events('ServiceSelectsTarget')).toHaveLength(1);
  });

  it('hands back on deletion: stable keeps serving, the target gets its replicas back', async () => {
    const world = await startWorld();
    await adopted(world);
    const uid = world.guard()?.metadata.uid;
    expect(world.guard()?.metadata.finalizers).toEqual(['vakt.dev/hand-back']);
    // The mark the admission policies know a guarded target by, and lift at hand-back.
    expect(world.deployment('shop')?.metadata.annotations?.['vakt.dev/guarded-by']).toBe('shop');
    world.kube.store.remove('ReleaseGuard', NS, 'shop');
    await world.waitFor('the guard to go', () => world.guard() === undefined);
    expect(world.replicasOf('shop')).toEqual([3, 0, 3]);
    expect(world.deployment('shop')?.metadata.annotations ?? {}).not.toHaveProperty(
      'vakt.dev/guarded-by',
    );
    expect(specOf(world.deployment('shop-stable')).replicas).toBe(3);
    // Nothing vakt made is left for the garbage collector.
    for (const object of [
      world.deployment('shop-stable'),
      world.service('shop'),
      world.service('shop-canary'),
    ]) {
      expect(object?.metadata.ownerReferences ?? []).not.toContainEqual(
        expect.objectContaining({ uid }),
      );
    }
    expect(world.events('HandedBack')[0]?.note).toMatch(/runs the stable release at 3 replicas/);
  });

  it('never hands an unapproved template the replicas on deletion', async () => {
    const world = await startWorld();
    await adopted(world);
    release(world, SHA.v2, 'v2', ['bob']);
    await world.waitFor('Blocked', phaseIs(world, 'Blocked'));
    world.kube.store.remove('ReleaseGuard', NS, 'shop');
    await world.waitFor('the guard to go', () => world.guard() === undefined);
    expect(world.replicasOf('shop')).toEqual([3, 0, 3, 0]);
    // Unmarked at zero: from here on the namespace's users decide its replicas.
    expect(world.deployment('shop')?.metadata.annotations ?? {}).not.toHaveProperty(
      'vakt.dev/guarded-by',
    );
    expect(world.events('HandedBack')[0]?.note).toMatch(
      /not the stable release, so it stays at zero/,
    );
  });

  it('sets phase Invalid naming the field, does not loop, and recovers when fixed', async () => {
    const world = await startWorld(spec({ bakeTime: 'soon' }));
    const op = world.start();
    await world.waitFor('Invalid', phaseIs(world, 'Invalid'));
    expect(world.status()?.message).toContain('spec.bakeTime');
    await pause(300);
    const gets = world.kube.requests.count('get', 'ReleaseGuard');
    expect(gets).toBeLessThanOrEqual(5);
    await pause(1_200);
    expect(world.kube.requests.count('get', 'ReleaseGuard')).toBe(gets);
    expect(world.events('Invalid')).toHaveLength(1);
    expect(workloadWrites(world)).toBe(0);
    expect(specOf(world.deployment('shop')).replicas).toBe(3);
    expect(world.deployment('shop-stable')).toBeUndefined();
    await world.waitFor(
      'the phase gauge',
      async () => (await metric(op, 'vakt_guards', 'phase="Invalid"')) === 1,
    );

    world.applyGuard(spec());
    await world.waitFor('recovery', phaseIs(world, 'Idle'));
    expect(world.status()?.observedGeneration).toBe(world.guard()?.metadata.generation);
  });

  it('reads a policy from a ConfigMap: missing is Invalid naming the field, then it is used', async () => {
    const world = await startWorld(
      spec({ policy: { configMapRef: { name: 'shop-policy', key: 'policy.yaml' } } }),
    );
    world.start();
    await world.waitFor('Invalid', phaseIs(world, 'Invalid'));
    expect(world.status()?.message).toBe(
      'spec.policy.configMapRef: ConfigMap shop-policy not found',
    );
    // JSON is YAML too.
    world.putConfigMap('shop-policy', { 'policy.yaml': JSON.stringify(POLICY) });
    world.annotateGuard('touched', '1');
    await world.waitFor('adoption', phaseIs(world, 'Idle'));
  });

  it('reports a missing tenants Secret key as Invalid naming the Secret, then recovers', async () => {
    const world = await startWorld(spec(), { ...shopEnv(), BOB_PASSWORD: '' });
    world.start();
    await world.waitFor('Invalid', phaseIs(world, 'Invalid'));
    expect(world.status()?.message).toMatch(
      /spec\.tenantsSecretRef\.name: .*bob.*Secret shop-tenants has no key BOB_PASSWORD/,
    );
    expect(workloadWrites(world)).toBe(0);
    world.putSecret('shop-tenants', shopEnv());
    world.annotateGuard('touched', '1');
    await world.waitFor('adoption', phaseIs(world, 'Idle'));
  });

  it('keeps enforcing while Invalid: an unapproved template put on the target goes back to zero', async () => {
    const world = await startWorld();
    await adopted(world);
    // Break the guard (a tenants credential gone), then release behind its back.
    world.putSecret('shop-tenants', { ...shopEnv(), BOB_PASSWORD: '' });
    world.annotateGuard('touched', '1');
    await world.waitFor('Invalid', phaseIs(world, 'Invalid'));
    const before = world.replicasOf('shop').length;
    release(world, SHA.v2, 'v2', ['bob']);
    await world.waitFor(
      'the unapproved candidate back at zero',
      () => world.replicasOf('shop').length > before + 1 && world.replicasOf('shop').at(-1) === 0,
    );
    expect(world.replicasOf('shop').slice(before)).toEqual([3, 0]);
    expect(world.status()?.phase).toBe('Invalid');
    expect(github.asked.get(SHA.v2) ?? 0).toBe(0);
  });

  it('resumes a canary after a restart without repeating a decision', async () => {
    const world = await startWorld();
    const first = await adopted(world);
    const probed = shops.slow.stats.requests;
    const hash = release(world, SHA.v6, 'v6', APPROVERS);
    await world.waitFor(
      'the canary probe under way',
      () => world.status()?.phase === 'Canary' && shops.slow.stats.requests > probed + 10,
    );
    await first.stop();
    expect(world.status()?.phase).toBe('Canary');

    world.start();
    await world.waitFor(
      'promotion and bake',
      () => world.status()?.phase === 'Idle' && world.status()?.stable?.templateHash === hash,
    );
    for (const reason of ['Adopted', 'ReleaseDetected', 'Approved', 'Promoted', 'Baked']) {
      expect(world.events(reason), reason).toHaveLength(1);
    }
    // Once to start the canary, once more to confirm before promotion; never again after the restart.
    expect(github.asked.get(SHA.v6)).toBe(2);
    expect(world.stableHashes()).toEqual([V1, hash]);
    expect(world.replicasOf('shop')).toEqual([3, 0, 3, 0, 1, 0]);
    expect(github.statusesOf(SHA.v6, 'vakt/two-person')).toEqual([
      ['vakt/two-person', 'pending'],
      ['vakt/two-person', 'success'],
    ]);
  });

  it('keeps a reverted template rejected when the operator stopped before writing status', async () => {
    const world = await startWorld();
    const first = await adopted(world);
    const hash = await revertThenCrash(world, first, { sha: SHA.leak, approvers: APPROVERS });
    expect(world.status()?.phase).toBe('Idle');
    expect(world.deployment('shop')?.metadata.annotations?.[REJECTED_TEMPLATE]).toBe(hash);

    world.kube.faults.clear();
    world.start();
    await world.waitFor('the rejection in status', phaseIs(world, 'Reverted'));
    expect(world.status()?.rejected.map((r) => r.templateHash)).toEqual([hash]);
    await pause(500);
    expect(world.replicasOf('shop').slice(-1)).toEqual([0]);
    expect(world.replicasOf('shop').filter((n) => n === 1)).toHaveLength(1);
  });

  it('retries Kubernetes API errors, dropped watches and 410 Gone, and decides each thing once', async () => {
    const world = await startWorld();
    const { faults, requests: log, store } = world.kube;
    faults.fail({ verb: 'list', kind: 'ReleaseGuard', code: 503 });
    faults.fail({ verb: 'get', kind: 'Deployment', code: 429, retryAfterSeconds: 1 });
    faults.fail({ verb: 'update', kind: 'ReleaseGuard', subresource: 'status', code: 409 });
    faults.fail({ verb: 'patch', kind: 'Deployment', code: 500 });
    const op = await adopted(world);
    expect(log.count('list', 'ReleaseGuard')).toBeGreaterThanOrEqual(2);
    expect(log.count('patch', 'Deployment')).toBeGreaterThanOrEqual(2);
    expect(
      log.all.filter((r) => r.kind.plural === 'releaseguards' && r.subresource === 'status').length,
    ).toBeGreaterThanOrEqual(2);
    expect(world.replicasOf('shop')).toEqual([3, 0]);
    expect(world.status()?.decisions.filter((d) => d.reason === 'Adopted')).toHaveLength(1);
    expect(world.events('Adopted')).toHaveLength(1);

    // The watches drop (an API server restart): they resume where they were.
    faults.dropWatches();
    const leak = release(world, SHA.leak, 'leak', APPROVERS);
    await world.waitFor('the revert', phaseIs(world, 'Reverted'));
    expect(world.status()?.rejected.map((r) => r.templateHash)).toEqual([leak]);

    // The history they would resume from is gone: 410, and they list again.
    const relists = () => log.count('list', 'ReleaseGuard') + log.count('list', 'Deployment');
    const lists = relists();
    world.putConfigMap('unrelated', {});
    store.compact();
    faults.dropWatches({ abrupt: true });
    const fixed = release(world, SHA.v2, 'v2', APPROVERS);
    await world.waitFor(
      'the fixed release promoted and baked',
      () => world.status()?.phase === 'Idle' && world.status()?.stable?.templateHash === fixed,
    );
    // Both watches listed again.
    expect(relists()).toBeGreaterThanOrEqual(lists + 2);
    expect(eventCounts(world)).toMatchObject({
      Adopted: 1,
      ReleaseDetected: 2,
      Approved: 2,
      Reverted: 1,
      Promoted: 1,
      Baked: 1,
    });
    expect(github.asked.get(SHA.leak)).toBe(1);
    // Once to start the canary, once more to confirm before promotion.
    expect(github.asked.get(SHA.v2)).toBe(2);
    expect(world.stableHashes()).toEqual([V1, fixed]);
    expect(await metric(op, 'vakt_reverts_total', 'why="candidate"')).toBe(1);
  });

  it('elects one leader on a Lease: the other replica stays passive, then takes over', async () => {
    const world = await startWorld();
    const lease = () =>
      (world.kube.store.get('Lease', OPERATOR_NS, LEASE)?.spec as { holderIdentity?: string })
        ?.holderIdentity;
    const elector = (identity: string) =>
      createLeaderElector(world.kube.kubeConfig(), {
        namespace: OPERATOR_NS,
        name: LEASE,
        identity,
        leaseMs: 3_000,
        renewDeadlineMs: 2_000,
        retryMs: 100,
      });
    const calls = { a: [] as string[], b: [] as string[] };
    const a = world.start({ elector: elector('a'), calls: calls.a });
    await a.started;
    const b = world.start({ elector: elector('b'), calls: calls.b });
    await world.waitFor('adoption', phaseIs(world, 'Idle'));
    await world.waitFor('a guard run', hasCondition(world, 'ProbesPassing', 'GuardPassed'));
    // a renews while b keeps asking for the lease.
    const renewals = world.kube.requests.count('update', 'Lease');
    await world.waitFor(
      'renewals',
      () => world.kube.requests.count('update', 'Lease') > renewals + 2,
    );
    expect(lease()).toBe('a');
    expect(a.state()).toBe('leading');
    expect(b.state()).toBe('standby');
    expect(b.ready()).toBe(true);
    expect(calls.a.length).toBeGreaterThan(0);
    expect(calls.b).toEqual([]);

    await a.stop();
    const done = calls.a.length;
    await b.started;
    expect(b.state()).toBe('leading');
    expect(lease()).toBe('b');
    const hash = release(world, SHA.leak, 'leak', APPROVERS);
    await world.waitFor('the revert', phaseIs(world, 'Reverted'));
    expect(world.status()?.rejected.map((r) => r.templateHash)).toEqual([hash]);
    expect(calls.b).toContain('scaleDeployment');
    expect(calls.a).toHaveLength(done);
    expect(world.events('Adopted')).toHaveLength(1);
  });
});

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function asResourceRequest(r: RequestRecord): ResourceRequest {
  return {
    group: r.kind.group,
    resource: r.subresource ? `${r.kind.plural}/${r.subresource}` : r.kind.plural,
    verb: r.verb,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    ...(r.name ? { name: r.name } : {}),
  };
}
