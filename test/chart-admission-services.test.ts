import { describe, expect, it } from 'vitest';
import { admit } from './support/admission.ts';
import {
  chart,
  controller,
  create,
  EDITOR,
  expectAllowed,
  expectDenied,
  GUARDS,
  guard,
  type Json,
  NS,
  OPERATOR,
  render,
  STABLE_LABELS,
  service,
  update,
} from './support/chart-admission.ts';

/**
 * Policy -candidate-services: a namespace's own Service may not take in the candidate's
 * pods, which nobody has probed yet. Pods match a selector when they carry every key and
 * value of it; the candidate's carry the labels the operator records in the guard's
 * status.candidateLabels (the target's template labels) plus the ReplicaSet's
 * pod-template-hash. Every ReleaseGuard of the namespace is a param.
 */

const SELECTS_CANDIDATE =
  /^Service shop-public selects the pods of Deployment shop-app, the candidate of ReleaseGuard shop, which nobody has probed yet/;

/** A Service of the namespace's own: no owner reference, no vakt labels. */
const own = (selector: Record<string, string>, name = 'shop-public'): Json => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: NS },
  spec: { selector, ports: [{ port: 80, targetPort: 8080 }] },
});

const externalName = (externalName: string): Json => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'shop-public', namespace: NS },
  spec: { type: 'ExternalName', externalName },
});

/** The guard with other status (candidateLabels left out when `labels` is undefined). */
function guardWith(labels: Record<string, string> | undefined, name = 'shop'): Json {
  const { candidateLabels: _, ...status } = guard.status;
  return {
    ...guard,
    metadata: { ...guard.metadata, name, uid: `uid-${name}` },
    spec: { targetRef: { name: `${name}-app` } },
    status: labels ? { ...status, candidateLabels: labels } : status,
  };
}

/** The rendered -candidate-services and its binding alone, judged without the other policies. */
const alone = chart.filter(
  (o) => o.metadata.name === 'vakt-candidate-services' && o.kind.startsWith('ValidatingAdmission'),
);

describe('policy -candidate-services: an edit user', () => {
  it("is refused creating a Service that selects the candidate's pods", () => {
    expectDenied(create(EDITOR, own({ app: 'shop' })), SELECTS_CANDIDATE);
    // The ReplicaSet's pod-template-hash is on every candidate pod too, whatever its value.
    expectDenied(
      create(EDITOR, own({ app: 'shop', 'pod-template-hash': '5f7b9c' })),
      SELECTS_CANDIDATE,
    );
    expectDenied(create(EDITOR, own({ 'pod-template-hash': '5f7b9c' })), SELECTS_CANDIDATE);
  });

  it('is refused pointing a Service at them, or changing one that still selects them', () => {
    expectDenied(
      update(EDITOR, own(STABLE_LABELS), (s) => {
        s.spec.selector = { app: 'shop' };
      }),
      SELECTS_CANDIDATE,
    );
    // One made before the guard adopted: any change but its selector's is refused, a
    // LoadBalancer above all, and the fix goes through.
    const before = own({ app: 'shop' });
    expectDenied(
      update(EDITOR, before, (s) => {
        s.spec.type = 'LoadBalancer';
      }),
      SELECTS_CANDIDATE,
    );
    expectAllowed(
      update(EDITOR, before, (s) => {
        s.spec.selector = STABLE_LABELS;
      }),
    );
  });

  it("may select a subset of labels that stable's pods alone carry with them", () => {
    const labelled = [guardWith({ app: 'shop', team: 'web' })];
    // team=web: on the candidate's pods too (stable keeps every label but the target's selector's).
    expectDenied(create(EDITOR, own({ team: 'web' })), SELECTS_CANDIDATE, chart, labelled);
    // vakt.dev/role is on stable's pods only: no template of the target may carry it.
    expectAllowed(
      create(EDITOR, own({ team: 'web', 'vakt.dev/role': 'stable', 'vakt.dev/guard': 'shop' })),
      chart,
      labelled,
    );
    expectAllowed(create(EDITOR, own({ team: 'web', 'vakt.dev/role': 'stable' })), chart, labelled);
    // A key or a value the candidate's pods lack: they are not taken in.
    expectAllowed(create(EDITOR, own({ app: 'shop', version: 'v2' })), chart, labelled);
    expectAllowed(create(EDITOR, own({ app: 'worker' })), chart, labelled);
  });

  it('may create a Service without a selector, and an ExternalName not naming <guard>-canary', () => {
    expectAllowed(create(EDITOR, { ...own({}), spec: { ports: [{ port: 80 }] } }));
    expectAllowed(create(EDITOR, externalName('shop.shop.svc.cluster.local')));
    expectAllowed(create(EDITOR, externalName('shop-canary-docs.example.com')));
  });

  it('is refused an ExternalName Service naming <guard>-canary', () => {
    const names =
      /^Service shop-public names Service shop-canary, the way to the unprobed candidate/;
    for (const name of [
      'shop-canary',
      'shop-canary.shop',
      'shop-canary.shop.svc',
      'shop-canary.shop.svc.cluster.local',
    ]) {
      expectDenied(create(EDITOR, externalName(name)), names);
    }
  });
});

describe('policy -candidate-services: an ExternalName spelled as an IP address', () => {
  const AS_IP =
    /^Service shop-public is an ExternalName spelled as an IP address \(10\.96\.4\.17\)/;

  it("is refused: it can name the canary's cluster IP without its name", () => {
    expectDenied(create(EDITOR, externalName('10.96.4.17')), AS_IP);
    expectDenied(create(EDITOR, externalName('10.96.4.17.')), /spelled as an IP address/);
    expectDenied(
      update(EDITOR, externalName('docs.example.com'), (s) => {
        s.spec.externalName = '10.96.4.17';
      }),
      AS_IP,
    );
  });

  it('leaves host names with digits alone, and namespaces without a guard', () => {
    expectAllowed(create(EDITOR, externalName('10.example.com')));
    expectAllowed(create(EDITOR, externalName('api-1.2.3.example.com')));
    expectAllowed(create(EDITOR, externalName('10.96.4.17')), alone, []);
  });
});

describe('policy -candidate-services: which guards count', () => {
  it('refuses nothing for a guard with no candidateLabels yet (before adoption) or no guard', () => {
    const request = create(EDITOR, own({ app: 'shop' }));
    expectAllowed(request, chart, [guardWith(undefined)]);
    expectAllowed(request, chart, []);
    // A guard of another namespace is no param here.
    expectAllowed(request, chart, [
      { ...guard, metadata: { ...guard.metadata, namespace: 'other' } },
    ]);
  });

  it('refuses by any guard of the namespace whose candidate it selects, naming that guard', () => {
    const worker = guardWith({ app: 'worker' }, 'worker');
    const request = create(EDITOR, own({ app: 'worker' }));
    expectDenied(
      request,
      /^Service shop-public selects the pods of Deployment worker-app, the candidate of ReleaseGuard worker/,
      chart,
      [guard, worker],
    );
    expectAllowed(request, chart, [guard]);
  });
});

describe('policy -candidate-services: vakt and the controllers', () => {
  it('lets the operator, the garbage collector and the controller manager through', () => {
    expectAllowed(create(OPERATOR, service('shop-canary', { app: 'shop' })));
    expectAllowed(
      update(controller('generic-garbage-collector'), own({ app: 'shop' }), (s) => {
        s.metadata.ownerReferences = [];
      }),
    );
    expectAllowed(create('system:kube-controller-manager', own({ app: 'shop' })));
  });

  it('lets admission.extraAllowedUsers through', async () => {
    const objects = await render('admission.extraAllowedUsers={alice}');
    expectAllowed(create(EDITOR, own({ app: 'shop' })), objects);
    expectDenied(create('bob', own({ app: 'shop' })), SELECTS_CANDIDATE, objects);
  });

  it("knows the guard's own <guard>-canary by its owner's uid, not by name and labels", () => {
    const canary = service('shop-canary', { app: 'shop' });
    const annotate = (s: Json) => {
      s.metadata.annotations = { note: 'x' };
    };
    // -services refuses it to everyone but the operator; this policy has no quarrel with it.
    expect(admit(alone, update(EDITOR, canary, annotate), GUARDS).denials).toEqual([]);
    expectDenied(update(EDITOR, canary, annotate), /belongs to a ReleaseGuard/);
    // A look-alike, named and labelled like it, owned by no guard: a Service like any other.
    const lookalike = structuredClone(canary);
    lookalike.metadata.ownerReferences[0].uid = 'forged';
    lookalike.spec.type = 'LoadBalancer';
    expectDenied(
      create(EDITOR, lookalike),
      /^Service shop-canary selects the pods of Deployment shop-app/,
      alone,
    );
  });

  it('lets a finalizer come off a Service in deletion, but not its selector change then', () => {
    const leaving = own({ app: 'shop' });
    leaving.metadata.deletionTimestamp = '2026-11-02T10:00:00Z';
    leaving.metadata.finalizers = ['service.kubernetes.io/load-balancer-cleanup'];
    leaving.spec.type = 'LoadBalancer';
    expectAllowed(
      update(controller('service-controller'), leaving, (s) => {
        s.metadata.finalizers = [];
      }),
    );
    expectDenied(
      update(EDITOR, { ...leaving, spec: { ...leaving.spec, selector: STABLE_LABELS } }, (s) => {
        s.spec.selector = { app: 'shop' };
      }),
      SELECTS_CANDIDATE,
    );
  });
});

describe("policy -candidate-services: a candidate pod's labels", () => {
  const LABELLED =
    /^pod shop-app-5f7b9c-xk2lp is a pod of Deployment shop-app, the candidate of ReleaseGuard shop, which nobody has probed yet/;
  /** A pod of the candidate: the target's template labels and the ReplicaSet's hash. */
  const candidatePod: Json = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'shop-app-5f7b9c-xk2lp',
      namespace: NS,
      labels: { app: 'shop', 'pod-template-hash': '5f7b9c' },
    },
    spec: { containers: [{ name: 'app', image: 'shop:2' }] },
  };
  type Labels = Record<string, string>;
  /** `kubectl label pod` by `user`: the pod's labels changed by `change`. */
  const relabelled = (change: (labels: Labels) => void, user = EDITOR, pod = candidatePod) =>
    update(user, pod, (p) => change(p.metadata.labels));
  const expose = (l: Labels) => {
    l.expose = 'yes';
  };

  it('are refused to an edit user: added (for a Service of their own to select), changed or removed', () => {
    expectDenied(relabelled(expose), LABELLED);
    expectDenied(
      relabelled((l) => {
        l.app = 'shop-2';
      }),
      LABELLED,
    );
    expectDenied(
      relabelled((l) => {
        delete l['pod-template-hash'];
      }),
      LABELLED,
    );
    expect(admit(alone, relabelled(expose), GUARDS).denials).toHaveLength(1);
  });

  it("leave the pod's other changes, other pods and a guard without candidateLabels alone", () => {
    expectAllowed(
      update(EDITOR, candidatePod, (p) => {
        p.metadata.annotations = { note: 'checked' };
      }),
      alone,
    );
    const other: Json = {
      ...candidatePod,
      metadata: { ...candidatePod.metadata, labels: { app: 'worker' } },
    };
    expectAllowed(relabelled(expose, EDITOR, other), alone);
    expectAllowed(relabelled(expose), alone, [guardWith(undefined)]);
  });

  it('are changed by the operator and the controllers as before', () => {
    for (const user of [OPERATOR, controller('generic-garbage-collector')]) {
      expectAllowed(relabelled(expose, user), alone);
    }
  });
});

describe('policy -candidate-services: as rendered', () => {
  const bindingOf = (objects: Json[]) =>
    objects.find(
      (o) =>
        o.kind === 'ValidatingAdmissionPolicyBinding' &&
        o.spec.policyName === 'vakt-candidate-services',
    );

  it('takes every ReleaseGuard of the namespace as a param, on Service creates and updates and pod updates', () => {
    const policy = alone.find((o) => o.kind === 'ValidatingAdmissionPolicy');
    expect(policy.spec.paramKind).toEqual({
      apiVersion: 'vakt.dev/v1alpha1',
      kind: 'ReleaseGuard',
    });
    expect(policy.spec.matchConstraints.resourceRules).toEqual([
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['services'],
        operations: ['CREATE', 'UPDATE'],
      },
      { apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['UPDATE'] },
    ]);
    expect(bindingOf(chart).spec.paramRef).toEqual({
      selector: {},
      parameterNotFoundAction: 'Allow',
    });
  });

  it('is left out with admission.refuseCandidateServices=false: the runtime hold remains', async () => {
    const objects = await render('admission.refuseCandidateServices=false');
    expect(bindingOf(objects)).toBeUndefined();
    expect(objects.some((o) => o.metadata.name === 'vakt-candidate-services')).toBe(false);
    expectAllowed(create(EDITOR, own({ app: 'shop' })), objects);
    // The policy's name is not passed to the operator either, so it expects none.
    const args = JSON.stringify(objects.find((o) => o.kind === 'Deployment'));
    expect(args).toContain('vakt-services');
    expect(args).not.toContain('vakt-candidate-services');
  });
});
