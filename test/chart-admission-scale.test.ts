import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { admit } from './support/admission.ts';
import {
  chart,
  controller,
  EDITOR,
  expectAllowed,
  expectDenied,
  GUARDS,
  guard,
  type Json,
  NS,
  OPERATOR,
  render,
  scale,
  target,
  unguarded,
  update,
} from './support/chart-admission.ts';

/**
 * Policy -target-scale: a guarded target's replicas go up only by the operator, through
 * deployments/scale (kubectl scale, an HPA) as well as spec.replicas. The Scale the API
 * server judges carries no annotations, so the policy takes every ReleaseGuard in the
 * request's namespace as a param and knows the target by the name a guard gives it.
 */

const GUARDED = /guarded by ReleaseGuard shop: only the vakt operator raises its replicas/;

const at = (deployment: Json, replicas: number): Json => ({
  ...deployment,
  spec: { ...deployment.spec, replicas },
});

/** A guard of `name` on `targetName`, adopted unless told otherwise. */
function guardOf(name: string, targetName: string, namespace = NS, adopted = true): Json {
  return {
    ...guard,
    metadata: { ...guard.metadata, name, namespace },
    spec: { targetRef: { name: targetName } },
    status: adopted ? guard.status : { phase: 'Initializing' },
  };
}

/** shop-app deleted and created again: the operator has not marked it (guarded-by) yet. */
const recreated: Json = { ...target, metadata: { name: target.metadata.name, namespace: NS } };

describe('policy -target-scale: raising a guarded target', () => {
  it('refuses kubectl scale and a spec.replicas raise to anyone but the operator', () => {
    expectDenied(scale(EDITOR, target, 3), GUARDED);
    // From 0 the old Scale has no spec.replicas at all (omitempty): 0, not a Deployment's 1.
    expectDenied(scale(EDITOR, target, 1), GUARDED);
    expectDenied(scale(EDITOR, at(target, 1), 2), GUARDED);
    // An HorizontalPodAutoscaler (or KEDA's) on the target scales it through /scale.
    expectDenied(scale(controller('horizontal-pod-autoscaler'), target, 3), GUARDED);
    // One controller-manager identity for all controllers: the HPA's writes among them.
    expectDenied(scale('system:kube-controller-manager', target, 3), GUARDED);
    expectAllowed(scale(OPERATOR, target, 1));
  });

  it('refuses raising a target the operator has not marked yet, which -workloads cannot tell', () => {
    const raise = update(EDITOR, recreated, (d) => {
      d.spec.replicas = 3;
    });
    const verdict = admit(chart, raise, GUARDS);
    expect(verdict.denials).toHaveLength(1);
    expect(verdict.denials[0]).toMatch(GUARDED);
    // Without the guard as a param the same request goes through: the guard is what knows.
    expectAllowed(raise, chart, []);
  });

  it('lets an edit user scale the target down or to the same count, and change its template', () => {
    expectAllowed(scale(EDITOR, at(target, 3), 1));
    expectAllowed(scale(EDITOR, at(target, 2), 0));
    expectAllowed(scale(EDITOR, target, 0));
    expectAllowed(
      update(EDITOR, recreated, (d) => {
        d.spec.template.spec.containers[0].image = 'shop:2';
      }),
    );
  });

  it('lets the target be scaled before adoption: vakt waits for it to serve', () => {
    expectAllowed(scale(EDITOR, target, 3), chart, [guardOf('shop', 'shop-app', NS, false)]);
  });

  it('lets admission.extraAllowedUsers through', async () => {
    const objects = await render('admission.extraAllowedUsers={alice}');
    expectAllowed(scale(EDITOR, target, 3), objects);
    expectDenied(scale('bob', target, 3), GUARDED, objects);
  });
});

describe('policy -target-scale: every ReleaseGuard of the namespace is a param', () => {
  const worker = guardOf('worker', 'worker');

  it('refuses when one of several guards names the target, whichever it is', () => {
    expectDenied(scale(EDITOR, target, 3), GUARDED, chart, [worker, guard]);
    expectDenied(
      scale(EDITOR, unguarded, 3),
      /^Deployment worker is guarded by ReleaseGuard worker/,
      chart,
      [worker, guard],
    );
    // A second guard on shop-app that is not adopted yet does not lift the first one's refusal.
    expectDenied(scale(EDITOR, target, 3), GUARDED, chart, [
      guardOf('late', 'shop-app', NS, false),
      guard,
    ]);
  });

  it('lets a Deployment no guard names be scaled, and counts no guard of another namespace', () => {
    expectAllowed(scale(EDITOR, unguarded, 3), chart, [guard]);
    expectAllowed(scale(EDITOR, target, 3), chart, [worker]);
    expectAllowed(scale(EDITOR, target, 3), chart, [guardOf('shop', 'shop-app', 'elsewhere')]);
    // No guard in the namespace at all: parameterNotFoundAction Allow.
    expectAllowed(scale(EDITOR, target, 3), chart, []);
  });
});

describe('policy -target-scale: as rendered', () => {
  const policyOf = (objects: Json[]) =>
    objects.find(
      (o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === 'vakt-target-scale',
    );
  const bindingOf = (objects: Json[]) =>
    objects.find(
      (o) =>
        o.kind === 'ValidatingAdmissionPolicyBinding' && o.spec.policyName === 'vakt-target-scale',
    );

  it("takes the CRD's ReleaseGuards as params, every one in the request's namespace", async () => {
    const crd = parse(
      await readFile(
        resolve(import.meta.dirname, '../charts/vakt/crds/releaseguards.vakt.dev.yaml'),
        'utf8',
      ),
    );
    const served = crd.spec.versions.find((v: Json) => v.storage).name;
    expect(policyOf(chart).spec.paramKind).toEqual({
      apiVersion: `${crd.spec.group}/${served}`,
      kind: crd.spec.names.kind,
    });
    expect(policyOf(chart).spec.matchConstraints.resourceRules).toEqual([
      {
        apiGroups: ['apps'],
        apiVersions: ['v1'],
        resources: ['deployments', 'deployments/scale'],
        operations: ['UPDATE'],
      },
    ]);
    // No name, no namespace: every guard where the request is. Nothing to narrow.
    expect(bindingOf(chart).spec.paramRef).toEqual({
      selector: {},
      parameterNotFoundAction: 'Allow',
    });
    const watched = bindingOf(await render('watchNamespace=shop'));
    expect(watched.spec.paramRef).toEqual({ selector: {}, parameterNotFoundAction: 'Allow' });
    expect(watched.spec.matchResources.namespaceSelector.matchExpressions[0].values).toEqual([
      'shop',
    ]);
  });

  it('is left out with admission.refuseTargetScaleUp=false: kubectl scale then starts the pods', async () => {
    const objects = await render('admission.refuseTargetScaleUp=false');
    expect(policyOf(objects)).toBeUndefined();
    expect(bindingOf(objects)).toBeUndefined();
    expectAllowed(scale(EDITOR, target, 3), objects);
    // spec.replicas of a marked target stays refused by -workloads.
    expectDenied(
      update(EDITOR, target, (d) => {
        d.spec.replicas = 3;
      }),
      /guarded by a ReleaseGuard \(annotation vakt.dev\/guarded-by\)/,
      objects,
    );
  });
});
