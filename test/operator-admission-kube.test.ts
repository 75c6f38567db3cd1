import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { Operator } from '../src/operator/operator.ts';
import type { Condition } from '../src/release/schema.ts';
import { type Shop, startShop } from '../src/shop/index.ts';
import { type KubeWorld, type StartOptions, startKubeWorld } from './support/kube-world.ts';
import { image, mockGitHub, SHA, spec, template } from './support/operator-fixtures.ts';
import { type ChartGrants, checkWorld, renderChartGrants } from './support/world-checks.ts';

/**
 * The operator says on every guard (condition AdmissionPolicies) and in a metric whether
 * the chart's admission policies are in force: each installed, failing closed and bound
 * with Deny. A policy or binding deleted or weakened by a cluster admin shows within a
 * refresh, naming it.
 */

/** What the chart installs for a release named vakt (see charts/vakt/templates/admission.yaml). */
const POLICIES = [
  'vakt-workloads',
  'vakt-target-scale',
  'vakt-pods',
  'vakt-services',
  'vakt-candidate-services',
  'vakt-guard-status',
];
const API = 'admissionregistration.k8s.io/v1';
/** These take every ReleaseGuard of the request's namespace as a param. */
const WITH_PARAMS = ['vakt-target-scale', 'vakt-candidate-services'];
const EVERY_GUARD = { selector: {}, parameterNotFoundAction: 'Allow' };

let shop: Shop;
let grants: ChartGrants;
let w: KubeWorld | undefined;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  shop = await startShop({ version: 'v1' });
  grants = await renderChartGrants();
});

afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await shop.close();
});

beforeEach(() => {
  mockGitHub();
});

afterEach(async () => {
  const world = w;
  w = undefined;
  await world?.close();
  nock.cleanAll();
  if (world) checkWorld(world, grants);
});

/** `helm install` with admission.enabled: each policy, and a binding of the same name. */
function installPolicies(world: KubeWorld): void {
  for (const name of POLICIES) {
    world.kube.store.put({
      apiVersion: API,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        ...(WITH_PARAMS.includes(name) && {
          paramKind: { apiVersion: 'vakt.dev/v1alpha1', kind: 'ReleaseGuard' },
        }),
        validations: [{ expression: 'false' }],
      },
    });
    putBinding(world, name, ['Deny'], WITH_PARAMS.includes(name) ? EVERY_GUARD : undefined);
  }
}

function putBinding(
  world: KubeWorld,
  name: string,
  validationActions: string[],
  paramRef?: unknown,
): void {
  world.kube.store.put({
    apiVersion: API,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName: name, validationActions, ...(paramRef !== undefined && { paramRef }) },
  });
}

async function startWorld(admission: StartOptions['admission']): Promise<{
  world: KubeWorld;
  op: Operator;
}> {
  const world = await startKubeWorld({
    spec: spec(),
    template: template(SHA.v1, 'v1'),
    urls: [[image('v1'), shop.url]],
  });
  w = world;
  const op = world.start({ ...(admission && { admission }) });
  await world.waitFor('adoption', () => world.status()?.phase === 'Idle');
  return { world, op };
}

const condition = (world: KubeWorld): Condition | undefined =>
  world.status()?.conditions.find((c) => c.type === 'AdmissionPolicies');

function conditionIs(world: KubeWorld, status: string, reason: string, text?: string) {
  return world.waitFor(`AdmissionPolicies ${status}/${reason} ${text ?? ''}`, () => {
    const c = condition(world);
    return c?.status === status && c.reason === reason && (!text || c.message.includes(text));
  });
}

const metric = (op: Operator) =>
  op.metrics.registry.getSingleMetricAsString('vakt_admission_policies_enforced');

it('shows the policies enforced, then a deleted binding, one that only warns and one narrowed to one guard, by name', async () => {
  const { world, op } = await startWorld(undefined);
  // Without an admission source (an embedded operator) nothing is claimed either way.
  expect(condition(world)).toBeUndefined();
  await op.stop();

  installPolicies(world);
  const watching = world.start({ admission: { policies: POLICIES, refreshMs: 25 } });
  await conditionIs(world, 'True', 'Enforced');
  expect(condition(world)?.message).toContain(POLICIES.join(', '));
  expect(await metric(watching)).toContain('vakt_admission_policies_enforced{reason="Enforced"} 1');

  world.kube.store.remove('ValidatingAdmissionPolicyBinding', undefined, 'vakt-pods');
  await conditionIs(
    world,
    'False',
    'Missing',
    'ValidatingAdmissionPolicyBinding vakt-pods is missing',
  );
  expect(condition(world)?.message).toMatch(/only repaired after the fact/);
  const missing = await metric(watching);
  expect(missing).toContain('vakt_admission_policies_enforced{reason="Missing"} 0');
  expect(missing).not.toContain('reason="Enforced"');

  putBinding(world, 'vakt-pods', ['Warn']);
  await conditionIs(
    world,
    'False',
    'Missing',
    'ValidatingAdmissionPolicyBinding vakt-pods has validationActions [Warn], without Deny',
  );
  expect(condition(world)?.message).not.toContain('is missing');

  putBinding(world, 'vakt-pods', ['Deny']);
  await conditionIs(world, 'True', 'Enforced');
  expect(await metric(watching)).toContain('vakt_admission_policies_enforced{reason="Enforced"} 1');

  // -target-scale's binding narrowed to one guard: the other guards' targets scale freely.
  putBinding(world, 'vakt-target-scale', ['Deny'], {
    name: 'other',
    parameterNotFoundAction: 'Allow',
  });
  await conditionIs(
    world,
    'False',
    'Missing',
    'ValidatingAdmissionPolicyBinding vakt-target-scale has paramRef name other',
  );
  expect(await metric(watching)).toContain('vakt_admission_policies_enforced{reason="Missing"} 0');
  putBinding(world, 'vakt-target-scale', ['Deny'], EVERY_GUARD);
  await conditionIs(world, 'True', 'Enforced');
  // -candidate-services' binding by a label an edit user could take off their guard.
  putBinding(world, 'vakt-candidate-services', ['Deny'], {
    selector: { matchLabels: { tier: 'gold' } },
    parameterNotFoundAction: 'Allow',
  });
  await conditionIs(
    world,
    'False',
    'Missing',
    'ValidatingAdmissionPolicyBinding vakt-candidate-services has paramRef selector',
  );
  putBinding(world, 'vakt-candidate-services', ['Deny'], EVERY_GUARD);
  await conditionIs(world, 'True', 'Enforced');
  // The guard's own state went on: the condition is one among the others.
  expect(world.status()?.phase).toBe('Idle');
  expect(world.status()?.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
});

it('says NotConfigured without --admission-policies, and reads no policy', async () => {
  const { world, op } = await startWorld({ policies: [], refreshMs: 25 });
  installPolicies(world);
  await conditionIs(world, 'False', 'NotConfigured', "the chart's admission policies are off");
  expect(await metric(op)).toContain('vakt_admission_policies_enforced{reason="NotConfigured"} 0');
  expect(world.kube.requests.count(undefined, 'validatingadmissionpolicies')).toBe(0);
  expect(world.kube.requests.count(undefined, 'validatingadmissionpolicybindings')).toBe(0);
});

it('says Unknown, with the API server reason, when it may not read them', async () => {
  const { world } = await startWorld({ policies: POLICIES, refreshMs: 25 });
  installPolicies(world);
  await conditionIs(world, 'True', 'Enforced');
  world.kube.faults.fail({
    verb: 'get',
    kind: 'validatingadmissionpolicies',
    code: 403,
    message: 'validatingadmissionpolicies.admissionregistration.k8s.io "vakt-pods" is forbidden',
    times: 1_000,
  });
  await conditionIs(world, 'Unknown', 'Unreadable', 'is forbidden');
  expect(condition(world)?.message).toContain('could not read ValidatingAdmissionPolicy vakt-');
  world.kube.faults.clear();
  await conditionIs(world, 'True', 'Enforced');
});
