import { describe, expect, it } from 'vitest';
import { admit } from './support/admission.ts';
import {
  chart,
  controller,
  create,
  EDITOR,
  expectAllowed,
  expectDenied,
  guard,
  type Json,
  NS,
  OPERATOR,
  plainPod,
  remove,
  render,
  STABLE_LABELS,
  scale,
  service,
  setImage,
  stable,
  stablePod,
  target,
  unguarded,
  update,
  writeStatus,
} from './support/chart-admission.ts';

/**
 * The chart's ValidatingAdmissionPolicies, rendered by Helm and judged by a CEL evaluator
 * as the API server would: one person with the `edit` role in a guarded namespace cannot
 * change what serves users, and the operator and the built-in controllers can do their work.
 */

describe('admission policies: an edit user in a guarded namespace', () => {
  it('cannot kubectl set image on <guard>-stable, scale it, relabel it or delete it', () => {
    expectDenied(update(EDITOR, stable, setImage('shop:evil')), /<guard>-stable copy/);
    expectDenied(scale(EDITOR, stable, 10), /scale of a ReleaseGuard's <guard>-stable/);
    expectDenied(
      update(EDITOR, stable, (d) => {
        d.metadata.ownerReferences = [];
      }),
      /<guard>-stable copy/,
    );
    expectDenied(remove(EDITOR, stable), /<guard>-stable copy/);
  });

  it('cannot label a pod vakt.dev/role=stable, change a stable pod, or strip its labels', () => {
    expectDenied(
      update(EDITOR, plainPod, (p) => {
        p.metadata.labels['vakt.dev/role'] = 'stable';
      }),
      /pods labelled vakt.dev\/guard/,
    );
    expectDenied(
      update(EDITOR, stablePod, (p) => {
        p.spec.containers[0].image = 'shop:evil';
      }),
      /pods labelled/,
    );
    expectDenied(
      update(EDITOR, stablePod, (p) => {
        delete p.metadata.labels['vakt.dev/role'];
      }),
      /pods labelled/,
    );
    expectDenied(
      update(
        EDITOR,
        stablePod,
        (p) => {
          p.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }];
        },
        'ephemeralcontainers',
      ),
      /pods labelled/,
    );
    expectDenied(
      create(EDITOR, { ...plainPod, metadata: { ...plainPod.metadata, labels: STABLE_LABELS } }),
      /pods labelled/,
    );
  });

  it('cannot put pods behind Service <guard> through a Deployment or ReplicaSet template', () => {
    const impostor = structuredClone(unguarded);
    impostor.spec.template.metadata.labels = { app: 'worker', ...STABLE_LABELS };
    expectDenied(create(EDITOR, impostor), /pod template labels vakt.dev\/guard/);
    expectDenied(
      update(EDITOR, unguarded, (d) => {
        d.spec.template.metadata.labels['vakt.dev/guard'] = 'shop';
      }),
      /pod template labels/,
    );
    expectDenied(create(EDITOR, { ...impostor, kind: 'ReplicaSet' }), /pod template labels/);
  });

  it("cannot edit Service shop's selector, delete it, or edit shop-canary", () => {
    const shop = service('shop', STABLE_LABELS);
    expectDenied(
      update(EDITOR, shop, (s) => {
        s.spec.selector = { app: 'shop' };
      }),
      /belongs to a ReleaseGuard/,
    );
    expectDenied(remove(EDITOR, shop), /belongs to a ReleaseGuard/);
    expectDenied(
      update(EDITOR, service('shop-canary', { app: 'shop' }), (s) => {
        s.spec.selector = STABLE_LABELS;
      }),
      /belongs to a ReleaseGuard/,
    );
  });

  it('cannot remove, change or forge vakt.dev/rejected-template, its seal or vakt.dev/guarded-by', () => {
    expectDenied(
      update(EDITOR, target, (d) => {
        delete d.metadata.annotations['vakt.dev/rejected-template'];
      }),
      /annotations vakt.dev\/rejected-template/,
    );
    expectDenied(
      update(EDITOR, target, (d) => {
        d.metadata.annotations['vakt.dev/rejected-template'] = 'other';
      }),
      /annotations/,
    );
    expectDenied(
      update(EDITOR, target, (d) => {
        delete d.metadata.annotations['vakt.dev/guarded-by'];
      }),
      /annotations/,
    );
    expectDenied(
      update(EDITOR, unguarded, (d) => {
        d.metadata.annotations = { 'vakt.dev/rejected-template': 'x' };
      }),
      /annotations/,
    );
    // The seal alone: copied from another guard's target, changed, or taken off.
    expectDenied(
      update(EDITOR, unguarded, (d) => {
        d.metadata.annotations = { 'vakt.dev/rejected-seal': 'v1.Y29waWVk' };
      }),
      /annotations vakt.dev\/rejected-template, vakt.dev\/rejected-seal/,
    );
    expectDenied(
      update(EDITOR, target, (d) => {
        d.metadata.annotations['vakt.dev/rejected-seal'] = 'v1.b3RoZXI';
      }),
      /annotations/,
    );
    expectDenied(
      update(EDITOR, target, (d) => {
        delete d.metadata.annotations['vakt.dev/rejected-seal'];
      }),
      /annotations/,
    );
  });

  it('cannot write ReleaseGuard status', () => {
    expectDenied(writeStatus(EDITOR), /status is the vakt operator's record/);
  });

  it('cannot scale a guarded target up from 0 to 3 through spec.replicas', () => {
    expectDenied(
      update(EDITOR, target, (d) => {
        d.spec.replicas = 3;
      }),
      /guarded by a ReleaseGuard/,
    );
    // Nor by a new template and replicas in one apply.
    expectDenied(
      update(EDITOR, target, (d) => {
        setImage('shop:2')(d);
        d.spec.replicas = 3;
      }),
      /guarded by a ReleaseGuard/,
    );
  });

  it('cannot scale a guarded target up through /scale (kubectl scale): the guard naming it is the param', () => {
    // The Scale carries no annotations: only the ReleaseGuard shop tells shop-app apart.
    expectDenied(
      scale(EDITOR, target, 3),
      /^Deployment shop-app is guarded by ReleaseGuard shop: only the vakt operator raises its replicas/,
    );
    expectDenied(
      scale(EDITOR, { ...target, spec: { ...target.spec, replicas: 1 } }, 2),
      /guarded by ReleaseGuard shop/,
    );
  });
});

describe('admission policies: ordinary work stays allowed', () => {
  it("lets an edit user change the target's template (a release) and scale it down", () => {
    expectAllowed(update(EDITOR, target, setImage('shop:2')));
    expectAllowed(
      update(EDITOR, { ...target, spec: { ...target.spec, replicas: 2 } }, (d) => {
        d.spec.replicas = 0;
      }),
    );
    expectAllowed(remove(EDITOR, target));
  });

  it('lets an edit user scale an unguarded Deployment, either way', () => {
    expectAllowed(
      update(EDITOR, unguarded, (d) => {
        d.spec.replicas = 3;
      }),
    );
    expectAllowed(scale(EDITOR, unguarded, 3));
  });

  it('lets an edit user label a pod app=x and run pods without vakt labels', () => {
    expectAllowed(
      update(EDITOR, plainPod, (p) => {
        p.metadata.labels.app = 'x';
      }),
    );
    expectAllowed(create(EDITOR, plainPod));
  });

  it("lets an edit user create foo-stable without vakt's mark (the operator takes such a Deployment over)", () => {
    const foo = structuredClone(unguarded);
    foo.metadata.name = 'foo-stable';
    expectAllowed(create(EDITOR, foo));
  });

  it('lets an edit user point their own Service at the stable pods, as the docs advise', () => {
    const own: Json = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'shop-public', namespace: NS },
      spec: { selector: { app: 'shop' } },
    };
    expectAllowed(
      update(EDITOR, own, (s) => {
        s.spec.selector = STABLE_LABELS;
      }),
    );
    expectAllowed(create(EDITOR, { ...own, spec: { selector: STABLE_LABELS } }));
  });

  it('lets an edit user delete what hand-back left (no owner reference any more)', () => {
    const left = structuredClone(stable);
    left.metadata.ownerReferences = [];
    expectAllowed(remove(EDITOR, left));
    const shop = service('shop', STABLE_LABELS);
    shop.metadata.ownerReferences = [];
    expectAllowed(remove(EDITOR, shop));
    // The guard gone, its target's pods are the namespace's to select again.
    expectAllowed(
      update(EDITOR, shop, (s) => {
        s.spec.selector = { app: 'shop' };
      }),
      chart,
      [],
    );
  });

  it('lets an edit user delete a ReleaseGuard by default', () => {
    expectAllowed(remove(EDITOR, guard));
    expectAllowed(
      update(EDITOR, guard, (g) => {
        g.metadata.finalizers = [];
      }),
    );
  });
});

describe('admission policies: the operator and the built-in controllers', () => {
  it('let the operator do everything it does', () => {
    const requests = [
      create(OPERATOR, stable),
      update(OPERATOR, stable, setImage('shop:2')),
      update(OPERATOR, stable, (d) => {
        d.metadata.annotations['vakt.dev/rejected-template'] = 'h2';
        d.metadata.annotations['vakt.dev/rejected-seal'] = 'v1.aDI';
      }),
      update(OPERATOR, stable, (d) => {
        d.metadata.ownerReferences = [];
      }),
      update(OPERATOR, target, (d) => {
        d.spec.replicas = 1;
      }),
      update(OPERATOR, target, (d) => {
        d.metadata.annotations['vakt.dev/rejected-template'] = 'def456';
        d.metadata.annotations['vakt.dev/rejected-seal'] = 'v1.bmV3';
      }),
      update(OPERATOR, unguarded, (d) => {
        d.metadata.annotations = { 'vakt.dev/guarded-by': 'worker' };
        d.spec.replicas = 0;
      }),
      update(OPERATOR, target, (d) => {
        delete d.metadata.annotations['vakt.dev/guarded-by'];
        d.spec.replicas = 3;
      }),
      create(OPERATOR, service('shop', STABLE_LABELS)),
      update(OPERATOR, service('shop-canary', { app: 'old' }), (s) => {
        s.spec.selector = { app: 'shop' };
      }),
      update(OPERATOR, service('shop', STABLE_LABELS), (s) => {
        s.metadata.ownerReferences = [];
      }),
      writeStatus(OPERATOR),
    ];
    for (const request of requests) expectAllowed(request);
  });

  it('let the Deployment and ReplicaSet controllers and the garbage collector run stable', () => {
    const replicaSet = {
      ...structuredClone(stable),
      kind: 'ReplicaSet',
      metadata: { ...stable.metadata, name: 'shop-stable-7d9', ownerReferences: [] },
    };
    expectAllowed(create(controller('deployment-controller'), replicaSet));
    expectAllowed(
      update(controller('deployment-controller'), replicaSet, (r) => {
        r.spec.replicas = 2;
      }),
    );
    expectAllowed(create(controller('replicaset-controller'), stablePod));
    expectAllowed(
      update(controller('replicaset-controller'), stablePod, (p) => {
        p.metadata.ownerReferences = [];
      }),
    );
    expectAllowed(
      update(controller('generic-garbage-collector'), stablePod, (p) => {
        p.metadata.ownerReferences = [];
      }),
    );
    expectAllowed(remove(controller('generic-garbage-collector'), stable));
    expectAllowed(remove(controller('generic-garbage-collector'), service('shop', STABLE_LABELS)));
    // One controller-manager identity for all controllers (no --use-service-account-credentials).
    expectAllowed(create('system:kube-controller-manager', stablePod));
  });

  it("do not let one controller do another's work", () => {
    expectDenied(
      update(controller('replicaset-controller'), stable, setImage('shop:evil')),
      /<guard>-stable copy/,
    );
    expectDenied(create(controller('deployment-controller'), stablePod), /pods labelled/);
    expectDenied(writeStatus(controller('generic-garbage-collector')), /status/);
  });
});

/** The policies that take every ReleaseGuard of the request's namespace as a param. */
const WITH_PARAMS = ['vakt-target-scale', 'vakt-candidate-services'];

describe('admission policies: chart values', () => {
  it('renders Deny policies that fail closed, with a binding each, paramless but for -target-scale and -candidate-services', () => {
    const policies = chart.filter((o) => o.kind === 'ValidatingAdmissionPolicy');
    const bindings = chart.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
    expect(policies.map((p) => p.metadata.name).sort()).toEqual([
      'vakt-candidate-services',
      'vakt-guard-status',
      'vakt-pods',
      'vakt-routes',
      'vakt-services',
      'vakt-target-scale',
      'vakt-workloads',
    ]);
    for (const policy of policies) {
      expect(policy.apiVersion).toBe('admissionregistration.k8s.io/v1');
      expect(policy.spec.failurePolicy).toBe('Fail');
      if (!WITH_PARAMS.includes(policy.metadata.name))
        expect(policy.spec.paramKind).toBeUndefined();
      expect(policy.spec.matchConditions.length).toBeGreaterThan(0);
    }
    expect(bindings.map((b) => b.spec.policyName).sort()).toEqual(
      policies.map((p) => p.metadata.name).sort(),
    );
    for (const binding of bindings) {
      expect(binding.spec.validationActions).toEqual(['Deny']);
      if (!WITH_PARAMS.includes(binding.spec.policyName))
        expect(binding.spec.paramRef).toBeUndefined();
    }
  });

  it('renders none with admission.enabled=false', async () => {
    const objects = await render('admission.enabled=false');
    expect(objects.filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy'))).toEqual([]);
    expectAllowed(update(EDITOR, stable, setImage('shop:evil')), objects);
  });

  it('lets admission.extraAllowedUsers through every policy', async () => {
    const objects = await render('admission.extraAllowedUsers={alice}');
    expectAllowed(update(EDITOR, stable, setImage('shop:2')), objects);
    expectAllowed(writeStatus(EDITOR), objects);
    expectDenied(writeStatus('bob'), /status/, objects);
  });

  it('refuses deleting a guard or its finalizer with admission.protectGuardDeletion, but not to the namespace controller', async () => {
    const objects = await render('admission.protectGuardDeletion=true');
    expectDenied(remove(EDITOR, guard), /deleting a ReleaseGuard ends its enforcement/, objects);
    expectDenied(
      update(EDITOR, guard, (g) => {
        g.metadata.finalizers = [];
      }),
      /hand-back finalizer/,
      objects,
    );
    expectAllowed(
      update(EDITOR, guard, (g) => {
        g.spec.targetRef.name = 'shop-app';
      }),
      objects,
    );
    expectAllowed(remove(controller('namespace-controller'), guard), objects);
    expectAllowed(
      update(OPERATOR, guard, (g) => {
        g.metadata.finalizers = [];
      }),
      objects,
    );
  });

  it('keeps what a guard trusts to admission.guardAdmins, and its other settings to the namespace', async () => {
    const objects = await render(
      'admission.guardAdmins.groups={platform-team}',
      'admission.guardAdmins.users={pat}',
    );
    const trusted = { ...guard, spec: { ...guard.spec, source: { repository: 'acme/shop' } } };
    const changes: [string, (g: Json) => void][] = [
      ['spec.source', (g) => (g.spec.source = { repository: 'evil/shop' })],
      ['spec.policy', (g) => (g.spec.policy = { inline: { approval: { minApprovals: 1 } } })],
      ['spec.tenantsSecretRef', (g) => (g.spec.tenantsSecretRef = { name: 'other' })],
      ['spec.probe.target', (g) => (g.spec.probe = { target: 'http://stub.shop:8080' })],
      ['spec.probe.edgeURL', (g) => (g.spec.probe = { edgeURL: 'https://elsewhere.example' })],
    ];
    for (const [field, change] of changes) {
      const edit = update(EDITOR, trusted, change);
      expectDenied(edit, new RegExp(`${field.replaceAll('.', '\\.')} of a ReleaseGuard`), objects);
      expectAllowed({ ...edit, username: 'pat' }, objects);
      expectAllowed({ ...edit, groups: ['system:authenticated', 'platform-team'] }, objects);
      expectAllowed({ ...edit, username: OPERATOR }, objects);
    }
    expectAllowed(
      update(EDITOR, trusted, (g) => {
        g.spec.bakeTime = '30m';
      }),
      objects,
    );
    // Not rendered at all without guard admins: the namespace keeps these.
    const plain = await render();
    expectAllowed(update(EDITOR, trusted, changes[0]?.[1] ?? (() => {})), plain);
    expect(plain.some((o) => o.metadata?.name === 'vakt-guard-changes')).toBe(false);
  });

  it('refuses an Ingress or HTTPRoute that sends users to a *-canary Service, and not one to <guard>', async () => {
    const ingress = (backend: string, viaDefault = false): Json => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop-public', namespace: NS },
      spec: viaDefault
        ? { defaultBackend: { service: { name: backend, port: { number: 80 } } } }
        : {
            rules: [
              {
                host: 'shop.example.com',
                http: {
                  paths: [
                    { path: '/', pathType: 'Prefix', backend: { service: { name: 'shop' } } },
                    { path: '/api', pathType: 'Prefix', backend: { service: { name: backend } } },
                  ],
                },
              },
            ],
          },
    });
    const route = (backend: string, kind?: string): Json => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'shop', namespace: NS },
      spec: { rules: [{ backendRefs: [{ name: backend, port: 80, ...(kind ? { kind } : {}) }] }] },
    });
    const canary = /a Service named \*-canary/;
    expectDenied(create(EDITOR, ingress('shop-canary')), canary);
    expectDenied(create(EDITOR, ingress('shop-canary', true)), canary);
    expectDenied(
      update(EDITOR, ingress('shop'), (i) => {
        i.spec.rules[0].http.paths[1].backend.service.name = 'shop-canary';
      }),
      canary,
    );
    expectDenied(create(EDITOR, route('shop-canary')), canary);
    expectAllowed(create(EDITOR, ingress('shop')));
    expectAllowed(create(EDITOR, route('shop')));
    // Another kind of backend is not a Service of that name.
    expectAllowed(create(EDITOR, route('shop-canary', 'ServiceImport')));
    const off = await render('admission.refuseCanaryRoutes=false');
    expectAllowed(create(EDITOR, ingress('shop-canary')), off);
  });

  it('refuses an extra user that would break out of the CEL list', async () => {
    await expect(render(`admission.extraAllowedUsers={a"]||true||["}`)).rejects.toThrow(
      /extraAllowedUsers\.0: Does not match pattern/,
    );
  });

  it('binds only the watched namespaces when the operator watches some', async () => {
    const objects = await render('watchNamespace=shop');
    expectDenied(update(EDITOR, stable, setImage('shop:evil')), /<guard>-stable/, objects);
    const elsewhere = { ...update(EDITOR, stable, setImage('shop:evil')), namespace: 'other' };
    expect(admit(objects, elsewhere).judgedBy).toEqual([]);
  });

  it("names the chart's own ServiceAccount as the operator", async () => {
    const objects = await render('serviceAccount.name=guardian');
    expectDenied(writeStatus(OPERATOR), /status/, objects);
    expectAllowed(writeStatus('system:serviceaccount:vakt-system:guardian'), objects);
  });
});
