import nock from 'nock';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_PROVENANCE_OFF } from '../src/operator/provenance-check.ts';
import { parseTrustRoots, type TrustRoot } from '../src/provenance/trust-roots.ts';
import type { PodTemplate } from '../src/release/template.ts';
import POLICY from './fixtures/operator/policy.json' with { type: 'json' };
import { attest, attestationsAnswer, WORKFLOW } from './support/attestations.ts';
import type { KubeWorld } from './support/kube-world.ts';
import { API, digestOf, github, image, SHA, spec, template } from './support/operator-fixtures.ts';
import { operatorSuite } from './support/operator-suite.ts';
import { type TestInstance, testInstance } from './support/sigstore-world.ts';

/**
 * The operator binds approvals to what runs: with approval.provenance, the commit the
 * gate decides on is the one the images' signed provenance names, whatever the template's
 * revision annotation (which anyone who may edit the Deployment can write) says.
 */

const APPROVERS = ['bob', 'carol'];
const withProvenance = {
  ...POLICY,
  approval: { minApprovals: 2, provenance: { workflow: WORKFLOW } },
};

const suite = operatorSuite(
  { clean: { version: 'v1' }, clean2: { version: 'v2' } },
  { checkGrants: true },
);

let instance: TestInstance;
let roots: TrustRoot[];

beforeAll(async () => {
  instance = await testInstance('public-good');
  roots = parseTrustRoots(JSON.stringify(instance.trustedRoot), 'the test root');
});

async function startWorld(policy: unknown): Promise<KubeWorld> {
  const { shops } = suite;
  const world = await suite.start({
    spec: spec({ policy: { inline: policy } }),
    urls: [
      [image('v1'), shops.clean.url],
      [image('v2'), shops.clean2.url],
    ],
  });
  world.start({ trustRoots: roots });
  await world.waitFor('adoption', () => world.status()?.phase === 'Idle');
  return world;
}

const hexOf = (tag: string) => digestOf(tag).slice('sha256:'.length);

/** GitHub's attestations for the image `tag`: provenance of `commit`, or a 404. */
async function attestations(tag: string, commit: string | null): Promise<void> {
  const path = `/repos/acme/shop/attestations/sha256%3A${hexOf(tag)}`;
  if (commit === null) {
    nock(API).persist().get(path).query(true).reply(404, { message: 'Not Found' });
    return;
  }
  const bundle = await attest(instance, { digest: hexOf(tag), commit });
  nock(API)
    .persist()
    .get(path)
    .query(true)
    .reply(200, attestationsAnswer([bundle]));
}

/** The gate's answer recorded in status (Events and status are written apart), or a promotion. */
const blockedOrPromoted = (world: KubeWorld) => () => {
  const outcome = world.status()?.approval?.outcome;
  return world.events('Promoted').length > 0 || outcome === 'denied' || outcome === 'undecided';
};

describe('approval.provenance in the operator', () => {
  it('promotes a release whose image was built by the workflow from the approved commit', async () => {
    const world = await startWorld(withProvenance);
    await attestations('v2', SHA.v2);
    github.approvers.set(SHA.v2, APPROVERS);
    world.applyDeployment(template(SHA.v2, 'v2'), 3);
    await world.waitFor('the promotion', blockedOrPromoted(world));
    expect(world.events('Blocked')).toEqual([]);
    await world.waitFor('v2 stable', () => world.status()?.stable?.revision === SHA.v2);
    expect(world.status()?.approval?.message).toBe('approved by bob, carol');
    expect(github.asked.get(SHA.v2)).toBe(2);
  });

  it('blocks a release whose annotation names an approved commit its image was not built from', async () => {
    const world = await startWorld(withProvenance);
    // v4 was reviewed and approved; the image was built from v5, which nobody approved.
    await attestations('v2', SHA.v5);
    github.approvers.set(SHA.v4, APPROVERS);
    world.applyDeployment(template(SHA.v4, 'v2'), 3);
    await world.waitFor('the decision', blockedOrPromoted(world));
    expect(world.events('Promoted')).toEqual([]);
    expect(world.status()?.phase).toBe('Blocked');
    const message = world.status()?.approval?.message ?? '';
    expect(message).toContain(SHA.v4);
    expect(message).toContain(SHA.v5);
    await world.waitFor('the Blocked Event', () => world.events('Blocked').length > 0);
    expect(world.events('Blocked')[0]?.note).toContain(SHA.v5);
    expect(world.status()?.approval?.outcome).toBe('denied');
    // The gate was never asked about either commit: nothing here is for it to approve.
    expect(github.asked.get(SHA.v4)).toBeUndefined();
    expect(github.asked.get(SHA.v5)).toBeUndefined();
    expect(world.deployment('shop')?.spec).toMatchObject({ replicas: 0 });
  });

  it('blocks a release whose image has no attestation, saying so', async () => {
    const world = await startWorld(withProvenance);
    await attestations('v2', null);
    github.approvers.set(SHA.v2, APPROVERS);
    world.applyDeployment(template(SHA.v2, 'v2'), 3);
    await world.waitFor('the decision', blockedOrPromoted(world));
    expect(world.events('Promoted')).toEqual([]);
    expect(world.status()?.approval?.outcome).toBe('denied');
    expect(world.status()?.approval?.message).toContain(
      `no attestations for ${digestOf('v2')} in acme/shop`,
    );
  });

  it('with provenance off, releases on the annotation and says so wherever the approval shows', async () => {
    const world = await startWorld(POLICY);
    github.approvers.set(SHA.v2, APPROVERS);
    world.applyDeployment(template(SHA.v2, 'v2'), 3);
    await world.waitFor('the promotion', blockedOrPromoted(world));
    expect(world.events('Blocked')).toEqual([]);
    const message = world.status()?.approval?.message ?? '';
    expect(message).toBe(`approved by bob, carol; warning: ${OPERATOR_PROVENANCE_OFF}`);
    expect(world.events('Approved')[0]?.note).toContain(OPERATOR_PROVENANCE_OFF);
    await world.waitFor('the commit status', () =>
      github.statuses.some((s) => s.sha === SHA.v2 && s.state === 'success'),
    );
    const success = github.statuses.find((s) => s.sha === SHA.v2 && s.state === 'success');
    expect(success?.description).toContain(OPERATOR_PROVENANCE_OFF);
  });

  it('without approval.provenance, denies every release and says what to add', async () => {
    const { provenance: _, ...approval } = POLICY.approval;
    const world = await startWorld({ ...POLICY, approval });
    github.approvers.set(SHA.v2, APPROVERS);
    const release: PodTemplate = template(SHA.v2, 'v2');
    world.applyDeployment(release, 3);
    await world.waitFor('the decision', blockedOrPromoted(world));
    expect(world.events('Promoted')).toEqual([]);
    expect(world.status()?.approval?.message).toContain(
      'approval.provenance: { workflow: .github/workflows/<file>.yml }',
    );
    expect(world.status()?.approval?.message).toContain('approval.provenance: off');
    expect(github.asked.get(SHA.v2)).toBeUndefined();
  });
});
