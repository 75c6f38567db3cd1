import { describe, expect, it } from 'vitest';
import { templateHash } from '../src/release/template.ts';
import { type KubeWorld, NS, OPERATOR_NS } from './support/kube-world.ts';
import { github, image, SHA, spec, template } from './support/operator-fixtures.ts';
import { operatorSuite } from './support/operator-suite.ts';
import { shopEnv } from './support/shop-probe.ts';

/**
 * The admin's floors and allow-lists, through the real Kubernetes adapter against the
 * fake API server: the platform ConfigMap in the operator's namespace is read (and read
 * again, so a change applies without a restart), and a guard that asks for less than it
 * allows is Invalid, naming what the admin set.
 */

const PLATFORM = 'vakt-platform';
const SOURCE = `${OPERATOR_NS}/${PLATFORM}`;
/** What the test policy asks for passes these; each test weakens or tightens one thing. */
const FLOORS = 'floors: { minApprovals: 2, minRequests: 100, maxLeakRate: 0.05 }';
const RULES = 'namespaces: { shop: { repositories: [acme/shop] } }';
/** The fake world's Services are shops on loopback. */
const LOOPBACK = 'allowLoopback: true';
const LABEL = { 'vakt.dev/tenants': 'true' };

const suite = operatorSuite({
  clean: { version: 'v1' },
  clean2: { version: 'v2' },
  leaky: { version: 'leaky', flaw: 'cache-without-user' },
});

async function world(
  guardSpec: unknown,
  platform: string | null,
  tenantsLabel = LABEL,
): Promise<KubeWorld> {
  const w = await suite.start({
    spec: guardSpec,
    urls: [
      [image('v1'), suite.shops.clean.url],
      [image('v2'), suite.shops.clean2.url],
      [image('leak'), suite.shops.leaky.url],
    ],
  });
  w.putSecret('shop-tenants', shopEnv(), NS, tenantsLabel);
  if (platform !== null) w.putConfigMap(PLATFORM, { 'platform.yaml': platform }, OPERATOR_NS);
  w.start({ platformConfigMap: { name: PLATFORM, refreshMs: 50 } });
  return w;
}

const phase = (world: KubeWorld) => world.status()?.phase;
const message = (world: KubeWorld) => world.status()?.message ?? '';
const secretReads = (world: KubeWorld) =>
  world.kube.requests.all.filter((r) => r.kind.kind === 'Secret' && r.name === 'shop-tenants')
    .length;

describe('platform floors', () => {
  it('a policy below a floor is Invalid naming the floor; raising the policy or lowering the floor applies without a restart', async () => {
    const policy = (requests: number) => ({
      inline: {
        ...spec().policy.inline,
        probe: {
          ...spec().policy.inline.probe,
          load: { ...spec().policy.inline.probe.load, requests },
        },
      },
    });
    const floor = (n: number) =>
      `floors: { minApprovals: 2, minRequests: ${n}, maxLeakRate: 0.05 }\n${RULES}\n${LOOPBACK}`;
    const probed = suite.shops.clean.stats.requests;
    const world1 = await world(spec({ policy: policy(120) }), floor(1000));
    await world1.waitFor('Invalid', () => phase(world1) === 'Invalid');
    expect(message(world1)).toBe(
      `spec.policy.inline.probe.load.requests: policy requests 120 is below the platform floor 1000 (${SOURCE})`,
    );
    // Nothing of the guard's was used: not its tenants, not a probe.
    expect(secretReads(world1)).toBe(0);
    expect(suite.shops.clean.stats.requests).toBe(probed);

    world1.putConfigMap(PLATFORM, { 'platform.yaml': floor(100) }, OPERATOR_NS);
    await world1.waitFor('adoption under the lower floor', () => phase(world1) === 'Idle');

    world1.putConfigMap(PLATFORM, { 'platform.yaml': floor(200) }, OPERATOR_NS);
    await world1.waitFor('Invalid again', () => phase(world1) === 'Invalid');
    expect(message(world1)).toContain('policy requests 120 is below the platform floor 200');
  });

  it('fails closed without the platform ConfigMap, and with a malformed one', async () => {
    const world1 = await world(spec(), null);
    await world1.waitFor('Invalid', () => phase(world1) === 'Invalid');
    expect(message(world1)).toBe(`platform configuration ConfigMap ${SOURCE} not found`);
    expect(secretReads(world1)).toBe(0);

    world1.putConfigMap(
      PLATFORM,
      { 'platform.yaml': 'floors: { minApprovals: none }' },
      OPERATOR_NS,
    );
    await world1.waitFor('the malformed configuration named', () =>
      message(world1).includes('floors.minApprovals'),
    );
    expect(phase(world1)).toBe('Invalid');

    world1.putConfigMap(
      PLATFORM,
      { 'platform.yaml': `${FLOORS}\n${RULES}\n${LOOPBACK}` },
      OPERATOR_NS,
    );
    await world1.waitFor('adoption', () => phase(world1) === 'Idle');
  });
});

describe('allow-lists', () => {
  it('a repository the namespace may not name is Invalid, and GitHub is never asked about it', async () => {
    const world1 = await world(
      spec({ source: { repository: 'acme/payroll' } }),
      `${FLOORS}\n${RULES}\n${LOOPBACK}`,
    );
    await world1.waitFor('Invalid', () => phase(world1) === 'Invalid');
    expect(message(world1)).toBe(
      `spec.source.repository: repository acme/payroll is not allowed in namespace shop (allowed: acme/shop; ${SOURCE})`,
    );
    github.approvers.set(SHA.v2, ['bob', 'carol']);
    world1.applyDeployment(template(SHA.v2, 'v2'), 3);
    await world1.waitFor('the release seen', () => world1.kube.requests.all.length > 40);
    expect(github.asked.size).toBe(0);
    expect(github.statuses).toEqual([]);
  });

  it('a clean stub as spec.probe.target cannot stand in for a leaking candidate', async () => {
    const platform = `${FLOORS}\n${RULES}\n${LOOPBACK}`;
    // Naming another host is refused outright...
    const world1 = await world(
      spec({ probe: { guardInterval: '1s', target: suite.shops.clean2.url } }),
      platform,
    );
    await world1.waitFor('Invalid', () => phase(world1) === 'Invalid');
    expect(message(world1)).toContain(
      'spec.probe.target: candidate probes go through Service shop-canary',
    );
    await world1.close();

    // ...and naming the canary Service only adds a path: the leaking candidate is probed.
    const world2 = await world(
      spec({ probe: { guardInterval: '1s', target: 'http://shop-canary:8080/' } }),
      platform,
    );
    await world2.waitFor('adoption', () => phase(world2) === 'Idle');
    const stub = suite.shops.clean2.stats.requests;
    github.approvers.set(SHA.leak, ['bob', 'carol']);
    const leaking = template(SHA.leak, 'leak');
    world2.applyDeployment(leaking, 3);
    await world2.waitFor('the revert', () => phase(world2) === 'Reverted', 30_000);
    expect(world2.status()?.lastLeak).toMatchObject({
      target: 'candidate',
      templateHash: templateHash(leaking),
    });
    expect(suite.shops.clean2.stats.requests).toBe(stub);
  });

  it('probe URLs at metadata addresses are Invalid and receive nothing', async () => {
    const world1 = await world(
      spec({ probe: { guardInterval: '1s', edgeURL: 'http://169.254.169.254/latest/' } }),
      `${FLOORS}\nnamespaces: { shop: { repositories: [acme/shop], probeHosts: ["*"] } }\n${LOOPBACK}`,
    );
    await world1.waitFor('Invalid', () => phase(world1) === 'Invalid');
    expect(message(world1)).toBe(
      'spec.probe.edgeURL: refused: 169.254.169.254 is a link-local or metadata address',
    );
    expect(secretReads(world1)).toBe(0);
  });

  it('a tenants Secret without the admin label is Invalid and its data is never used', async () => {
    const probed = suite.shops.clean.stats.requests;
    const world1 = await world(spec(), `${FLOORS}\n${RULES}\n${LOOPBACK}`, {
      'vakt.dev/tenants': 'no',
    });
    await world1.waitFor('Invalid', () => phase(world1) === 'Invalid');
    expect(message(world1)).toBe(
      `spec.tenantsSecretRef.name: Secret shop-tenants is not labelled vakt.dev/tenants=true: only Secrets with that label hold tenants (${SOURCE})`,
    );
    expect(suite.shops.clean.stats.requests).toBe(probed);
  });
});
