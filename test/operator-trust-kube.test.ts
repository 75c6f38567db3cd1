import { describe, expect, it } from 'vitest';
import type { Operator } from '../src/operator/operator.ts';
import { templateHash } from '../src/release/template.ts';
import POLICY from './fixtures/operator/policy.json' with { type: 'json' };
import type { KubeObject } from './support/fake-kube/index.ts';
import { type KubeWorld, specOf } from './support/kube-world.ts';
import { github, image, SHA, spec, template } from './support/operator-fixtures.ts';
import { operatorSuite } from './support/operator-suite.ts';

/**
 * The operator trusts only what it owns: edits made behind its back by someone with the
 * ordinary `edit` role in the namespace (to `<name>-stable`, to its marks, or by deleting
 * and re-creating the guard) never decide what serves users. Each test makes the edit a
 * person could make with kubectl, as a write straight to the fake API server's store.
 */

const TEMPLATE_HASH = 'vakt.dev/template-hash';
const APPROVERS = ['bob', 'carol'];
const V1 = templateHash(template(SHA.v1, 'v1'));
const BACKDOOR = 'registry.evil.example/backdoor:1';

const suite = operatorSuite(
  {
    clean: { version: 'v1' },
    clean2: { version: 'v2' },
    leakySlow: { version: 'leaky-slow', flaw: 'cache-without-user', backendLatencyMs: 150 },
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
      [image('leak-slow'), shops.leakySlow.url],
      [BACKDOOR, shops.clean2.url],
    ],
  });
  return w;
}

async function adopted(world: KubeWorld): Promise<Operator> {
  const op = world.start();
  await world.waitFor('adoption', () => world.status()?.phase === 'Idle');
  return op;
}

/** `kubectl edit deploy/<name>`: the object as it is, changed by `change`, written back. */
function edit(world: KubeWorld, name: string, change: (object: KubeObject) => void): void {
  const current = world.deployment(name);
  if (!current) throw new Error(`no Deployment ${name}`);
  const next = structuredClone(current);
  change(next);
  world.kube.store.put(next);
}

const containersOf = (object: KubeObject | undefined) =>
  (specOf(object).template as { spec: { containers: { image: string }[] } }).spec.containers;
const stableImage = (world: KubeWorld) => containersOf(world.deployment('shop-stable'))[0]?.image;

describe('edits of <name>-stable behind the operator', () => {
  it('repairs `kubectl set image` on -stable that leaves vakt.dev/template-hash alone', async () => {
    const world = await startWorld();
    await adopted(world);
    edit(world, 'shop-stable', (d) => {
      for (const c of containersOf(d)) c.image = BACKDOOR;
    });
    expect(stableImage(world)).toBe(BACKDOOR);
    await world.waitFor('-stable repaired', () => stableImage(world) === image('v1'));
    expect(world.deployment('shop-stable')?.metadata.annotations?.[TEMPLATE_HASH]).toBe(V1);
    expect(world.status()?.phase).toBe('Idle');
  });

  it('repairs a scale of -stable and a pause that would keep a foreign rollout in place', async () => {
    const world = await startWorld();
    await adopted(world);
    edit(world, 'shop-stable', (d) => {
      for (const c of containersOf(d)) c.image = BACKDOOR;
      (d.spec as Record<string, unknown>).paused = true;
      (d.spec as Record<string, unknown>).replicas = 7;
    });
    await world.waitFor('-stable repaired', () => stableImage(world) === image('v1'));
    const repaired = specOf(world.deployment('shop-stable')) as Record<string, unknown>;
    expect(repaired.paused ?? false).toBe(false);
    expect(repaired.replicas).toBe(3);
  });

  it('never finishes a promotion no probe passed: the candidate copied onto -stable mid-canary is taken off again', async () => {
    const world = await startWorld();
    await adopted(world);
    github.approvers.set(SHA.leak, APPROVERS);
    const leaking = template(SHA.leak, 'leak-slow');
    const hash = templateHash(leaking);
    world.applyDeployment(leaking, 3);
    await world.waitFor('the canary under way', () => world.status()?.phase === 'Canary');
    // Copy the candidate onto -stable, with its hash, as a promotion would have written it.
    edit(world, 'shop-stable', (d) => {
      const tpl = structuredClone(leaking) as { metadata: { labels: Record<string, string> } };
      tpl.metadata.labels = { 'vakt.dev/guard': 'shop', 'vakt.dev/role': 'stable' };
      (d.spec as Record<string, unknown>).template = tpl;
      d.metadata.annotations = { ...d.metadata.annotations, [TEMPLATE_HASH]: hash };
    });
    await world.waitFor('the leak found and the candidate rejected', () =>
      (world.status()?.rejected ?? []).some((r) => r.templateHash === hash),
    );
    await world.waitFor('-stable back on v1', () => stableImage(world) === image('v1'));
    expect(world.status()?.stable?.templateHash).toBe(V1);
    expect(world.events('Promoted')).toHaveLength(0);
  });
});

describe('rejections an editor cannot step around', () => {
  it('touching one annotation of a leaking template does not probe the same build again', async () => {
    const world = await startWorld();
    await adopted(world);
    github.approvers.set(SHA.leak, APPROVERS);
    const leaking = template(SHA.leak, 'leak-slow');
    world.applyDeployment(leaking, 3);
    await world.waitFor('the leak rejected', () =>
      (world.status()?.rejected ?? []).some((r) => r.templateHash === templateHash(leaking)),
    );
    await world.waitFor('the revert', () => world.status()?.phase === 'Reverted');
    const approved = world.events('Approved').length;

    const touched = structuredClone(leaking) as {
      metadata: { annotations: Record<string, string> };
    };
    touched.metadata.annotations['example.com/retry'] = '1';
    const touchedHash = templateHash(touched);
    world.applyDeployment(touched, 3);
    await world.waitFor(
      'the touched template refused as the same build',
      () => world.status()?.candidate?.templateHash === touchedHash,
    );
    await world.waitFor(
      'the target back at zero',
      () => specOf(world.deployment('shop')).replicas === 0,
    );
    expect(world.status()?.phase).toBe('Reverted');
    expect(world.events('Approved')).toHaveLength(approved);
    expect(world.events('ReleaseDetected')).toHaveLength(1);
    const [refusal] = world.events('RejectedTemplate').slice(-1);
    expect(refusal?.note).toContain('same image digests');
    expect(stableImage(world)).toBe(image('v1'));
  });
});

describe('status records what the gate said; it is asked again before promotion', () => {
  const stricter = { ...POLICY, approval: { ...POLICY.approval, minApprovals: 3 } };
  const promotedOrDenied = (world: KubeWorld) => () =>
    world.status()?.approval?.outcome === 'denied' || world.events('Promoted').length > 0;

  it('a reviewer who withdraws during the canary stops the promotion', async () => {
    const world = await startWorld();
    await adopted(world);
    github.approvers.set(SHA.v2, APPROVERS);
    // carol dismisses her review while the canary runs: the second question sees it.
    github.onAsk = (sha, n) => {
      if (sha === SHA.v2 && n === 2) github.approvers.set(SHA.v2, ['bob']);
    };
    world.applyDeployment(template(SHA.v2, 'v2'), 3);
    await world.waitFor('the confirmation refused', promotedOrDenied(world));
    expect(world.events('Promoted')).toHaveLength(0);
    expect(world.status()?.phase).toBe('Blocked');
    expect(github.asked.get(SHA.v2)).toBe(2);
    await world.waitFor('the candidate out', () => specOf(world.deployment('shop')).replicas === 0);
    expect(stableImage(world)).toBe(image('v1'));
    expect(world.status()?.stable?.templateHash).toBe(V1);
  });

  it('a stricter inline policy given during the canary takes the approval back', async () => {
    const world = await startWorld();
    await adopted(world);
    const before = world.status()?.policyDigest;
    expect(before).toMatch(/^sha256:/);
    github.approvers.set(SHA.v2, APPROVERS);
    github.onAsk = (sha, n) => {
      if (sha === SHA.v2 && n === 2) world.applyGuard(spec({ policy: { inline: stricter } }));
    };
    world.applyDeployment(template(SHA.v2, 'v2'), 3);
    await world.waitFor('denied under the stricter policy', promotedOrDenied(world));
    expect(world.events('Promoted')).toHaveLength(0);
    expect(world.events('PolicyChanged')).toHaveLength(1);
    expect(world.status()?.phase).toBe('Blocked');
    expect(world.status()?.policyDigest).not.toBe(before);
    expect(world.status()?.approval?.policyDigest).toBe(world.status()?.policyDigest);
    expect(github.asked.get(SHA.v2)).toBeGreaterThanOrEqual(3);
    expect(stableImage(world)).toBe(image('v1'));
  });

  it('a stricter policy in the ConfigMap does the same', async () => {
    const ref = { name: 'shop-policy', key: 'policy.yaml' };
    const world = await startWorld(spec({ policy: { configMapRef: ref } }));
    world.putConfigMap('shop-policy', { 'policy.yaml': JSON.stringify(POLICY) });
    await adopted(world);
    github.approvers.set(SHA.v2, APPROVERS);
    github.onAsk = (sha, n) => {
      if (sha === SHA.v2 && n === 2) {
        world.putConfigMap('shop-policy', { 'policy.yaml': JSON.stringify(stricter) });
      }
    };
    world.applyDeployment(template(SHA.v2, 'v2'), 3);
    await world.waitFor('the confirmation refused', promotedOrDenied(world));
    expect(world.events('Promoted')).toHaveLength(0);
    expect(world.events('PolicyChanged')).toHaveLength(1);
    expect(stableImage(world)).toBe(image('v1'));
  });
});

describe('a guard deleted and created again', () => {
  async function recreate(world: KubeWorld): Promise<void> {
    const guardSpec = world.guard()?.spec;
    const events = world.events().length;
    world.kube.store.remove('ReleaseGuard', 'shop', 'shop');
    await world.waitFor('the hand-back', () => world.guard() === undefined);
    await world.waitFor('HandedBack', () => world.events().length > events);
    world.applyGuard(guardSpec);
  }

  it('adopts the -stable the earlier guard left, not a Blocked template at zero on the target', async () => {
    const world = await startWorld();
    await adopted(world);
    github.approvers.set(SHA.v2, ['bob']);
    world.applyDeployment(template(SHA.v2, 'v2'), 3);
    await world.waitFor('Blocked at zero', () => world.status()?.approval?.outcome === 'denied');
    await world.waitFor(
      'the target at zero',
      () => specOf(world.deployment('shop')).replicas === 0,
    );
    await recreate(world);
    await world.waitFor('adopted again', () => world.status()?.adoptedAt !== undefined);
    expect(world.status()?.stable?.templateHash).toBe(V1);
    expect(stableImage(world)).toBe(image('v1'));
    expect(specOf(world.deployment('shop-stable')).replicas).toBe(3);
    // The unapproved template is a release again, and Blocked again.
    await world.waitFor('Blocked again', () => world.status()?.approval?.outcome === 'denied');
    expect(specOf(world.deployment('shop')).replicas).toBe(0);
  });

  it('never adopts a target at zero replicas when nothing else serves', async () => {
    const world = await startWorld();
    world.applyDeployment(template(SHA.v2, 'v2'), 0);
    world.start();
    await world.waitFor('waiting for the target to serve', () =>
      Boolean(world.status()?.message?.includes('to serve: it has 0 replicas')),
    );
    expect(world.status()?.phase).toBe('Initializing');
    expect(world.events('TargetNotServing')).toHaveLength(1);
    expect(world.status()?.stable).toBeUndefined();
    expect(world.deployment('shop-stable')).toBeUndefined();
    world.applyDeployment(template(SHA.v2, 'v2'), 2);
    await world.waitFor('adoption', () => world.status()?.phase === 'Idle');
    expect(specOf(world.deployment('shop-stable')).replicas).toBe(2);
  });

  it('does not take an orphaned -stable whose template was edited after the hand-back', async () => {
    const world = await startWorld();
    await adopted(world);
    await recreate(world);
    // Meanwhile someone points the unmanaged copy at another image.
    edit(world, 'shop-stable', (d) => {
      for (const c of containersOf(d)) c.image = BACKDOOR;
    });
    await world.waitFor('adopted again', () => world.status()?.adoptedAt !== undefined);
    // The target (serving v1 again after the hand-back) is adopted, and -stable repaired.
    expect(world.status()?.stable?.templateHash).toBe(V1);
    await world.waitFor('-stable back on v1', () => stableImage(world) === image('v1'));
  });
});
