import { describe, expect, it } from 'vitest';
import { routesTo } from '../src/kube/routes.ts';
import { judgePods, type PodFacts } from '../src/release/pods.ts';
import type { ReleaseGuardStatus } from '../src/release/schema.ts';
import { image, template } from './support/operator-fixtures.ts';

const v1 = template('a'.repeat(40), 'v1');
const v2 = template('b'.repeat(40), 'v2');
const status = (previous?: typeof v1) =>
  ({
    stable: { templateHash: 'h2', template: v2, replicas: 3 },
    ...(previous && { previousStable: { templateHash: 'h1', template: previous, replicas: 3 } }),
  }) as unknown as ReleaseGuardStatus;

const pod = (overrides: Partial<PodFacts>): PodFacts => ({
  name: 'p',
  uid: 'u',
  stableRole: true,
  ofStable: true,
  images: { shop: image('v2') },
  deleting: false,
  ...overrides,
});

describe('judgePods', () => {
  it.each([
    ['a pod of -stable running the stable images', pod({}), []],
    [
      'a pod of -stable rolling out of the template before',
      pod({ images: { shop: image('v1') } }),
      [],
      v1,
    ],
    ['a pod of -stable running another image', pod({ images: { shop: 'evil:1' } }), ['deletePod']],
    [
      'a pod of -stable with an extra container',
      pod({ images: { shop: image('v2'), x: 'evil:1' } }),
      ['deletePod'],
    ],
    ['a bare pod claiming the stable role', pod({ ofStable: false }), ['unlabelPod']],
    [
      'a claimant another controller made',
      pod({ ofStable: false, controller: 'ReplicaSet evil-1' }),
      ['deletePod'],
    ],
    [
      'a pod labelled for the guard without the stable role',
      pod({ ofStable: false, stableRole: false }),
      [],
    ],
    ['a pod already being deleted', pod({ ofStable: false, deleting: true }), []],
  ] as [string, PodFacts, string[], typeof v1?][])('%s', (_what, facts, kinds, previous) => {
    expect(judgePods('shop', status(previous), [facts]).map((a) => a.kind)).toEqual(kinds);
  });

  it('names the pod in every message', () => {
    const [action] = judgePods('shop', status(), [pod({ name: 'imposter', ofStable: false })]);
    expect(action?.message).toContain('pod imposter');
  });
});

describe('routesTo', () => {
  const ingress = (backend: string) => ({
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      defaultBackend: { service: { name: backend } },
      rules: [
        {
          host: 'a.example',
          http: { paths: [{ path: '/x', backend: { service: { name: backend } } }] },
        },
      ],
    },
  });
  const route = (ref: Record<string, string>) => ({
    metadata: { name: 'r', namespace: 'shop' },
    spec: { rules: [{ matches: [{ path: { value: '/y' } }], backendRefs: [ref] }] },
  });

  it('finds Ingress paths, default backends and HTTPRoute rules naming the Service', () => {
    const found = routesTo(
      {
        ingresses: [ingress('shop-canary'), ingress('shop')],
        httpRoutes: [route({ name: 'shop-canary' })],
      },
      'shop-canary',
      'shop',
    );
    expect(found).toEqual([
      { kind: 'Ingress', name: 'web', path: '(default backend)' },
      { kind: 'Ingress', name: 'web', path: 'a.example/x' },
      { kind: 'HTTPRoute', name: 'r', path: '/y' },
    ]);
  });

  it('ignores backendRefs to another kind or another namespace', () => {
    const httpRoutes = [
      route({ name: 'shop-canary', kind: 'ServiceImport', group: 'multicluster.x-k8s.io' }),
      route({ name: 'shop-canary', namespace: 'other' }),
    ];
    expect(routesTo({ ingresses: [], httpRoutes }, 'shop-canary', 'shop')).toEqual([]);
  });
});
