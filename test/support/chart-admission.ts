import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type AdmissionRequest, admit } from './admission.ts';

/**
 * The chart's admission policies as the chart tests judge them: Helm renders the chart, and
 * these are the objects of a guarded namespace (shop, guarded by ReleaseGuard shop, its
 * target shop-app, shop-stable, their pods and Services) and the requests one would make
 * on them, by user.
 */

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const HELM = resolve(ROOT, 'node_modules/.bin/helm');

// biome-ignore lint/suspicious/noExplicitAny: rendered and fixture objects are plain JSON
export type Json = any;

export async function render(...sets: string[]): Promise<Json[]> {
  const { stdout } = await run(
    HELM,
    [
      'template',
      'vakt',
      resolve(ROOT, 'charts/vakt'),
      '--namespace',
      'vakt-system',
      '--kube-version',
      '1.30.0',
      ...sets.flatMap((s) => ['--set', s]),
    ],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return parseAllDocuments(stdout)
    .map((d) => d.toJS())
    .filter((o) => o !== null);
}

export const NS = 'shop';
export const OPERATOR = 'system:serviceaccount:vakt-system:vakt';
export const EDITOR = 'alice';
export const controller = (name: string) => `system:serviceaccount:kube-system:${name}`;

const OWNER = {
  apiVersion: 'vakt.dev/v1alpha1',
  kind: 'ReleaseGuard',
  name: 'shop',
  uid: 'u1',
  controller: true,
};
export const STABLE_LABELS = { 'vakt.dev/guard': 'shop', 'vakt.dev/role': 'stable' };

function template(image: string, labels: Record<string, string>): Json {
  return { metadata: { labels }, spec: { containers: [{ name: 'app', image }] } };
}

/** The guarded Deployment as the operator leaves it between releases. */
export const target: Json = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'shop-app',
    namespace: NS,
    annotations: {
      'vakt.dev/guarded-by': 'shop',
      'vakt.dev/rejected-template': 'abc123',
      'vakt.dev/rejected-seal': 'v1.c2VhbA',
    },
  },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: 'shop' } },
    template: template('shop:1', { app: 'shop' }),
  },
};

export const stable: Json = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'shop-stable',
    namespace: NS,
    labels: { 'app.kubernetes.io/managed-by': 'vakt', ...STABLE_LABELS },
    annotations: { 'vakt.dev/template-hash': 'h1' },
    ownerReferences: [OWNER],
  },
  spec: {
    replicas: 3,
    selector: { matchLabels: STABLE_LABELS },
    template: template('shop:1', STABLE_LABELS),
  },
};

export const unguarded: Json = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'worker', namespace: NS },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: 'worker' } },
    template: template('worker:1', { app: 'worker' }),
  },
};

export const stablePod: Json = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'shop-stable-7d9-abcde',
    namespace: NS,
    labels: { ...STABLE_LABELS, 'pod-template-hash': '7d9' },
  },
  spec: { containers: [{ name: 'app', image: 'shop:1' }] },
};

export const plainPod: Json = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'worker-1', namespace: NS, labels: { app: 'worker' } },
  spec: { containers: [{ name: 'app', image: 'worker:1' }] },
};

export const service = (name: string, selector: Record<string, string>): Json => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name,
    namespace: NS,
    labels: { 'app.kubernetes.io/managed-by': 'vakt', 'vakt.dev/guard': 'shop' },
    ownerReferences: [OWNER],
  },
  spec: { selector, ports: [{ port: 80, targetPort: 8080 }] },
});

export const guard: Json = {
  apiVersion: 'vakt.dev/v1alpha1',
  kind: 'ReleaseGuard',
  metadata: { name: 'shop', namespace: NS, uid: OWNER.uid, finalizers: ['vakt.dev/hand-back'] },
  spec: { targetRef: { name: 'shop-app' } },
  // adoptedAt: shop-stable serves, and shop-app is the candidate, whose pods carry
  // candidateLabels (shop-app's template labels).
  status: {
    phase: 'Idle',
    adoptedAt: '2026-11-02T09:00:00Z',
    candidateLabels: { app: 'shop' },
  },
};

/**
 * What the API server holds in the guarded namespace: the params of policies -target-scale
 * and -candidate-services.
 */
export const GUARDS: Json[] = [guard];

/**
 * The Scale the API server builds for deployments/scale: name, replicas, selector, no
 * labels or annotations. spec.replicas is omitempty, so a Scale at 0 has none.
 */
export function scaleOf(deployment: Json, replicas?: number): Json {
  const selector = Object.entries(deployment.spec.selector.matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const wanted = replicas ?? deployment.spec.replicas;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: deployment.metadata.name, namespace: NS },
    spec: wanted === 0 ? {} : { replicas: wanted },
    status: { replicas: deployment.spec.replicas, selector },
  };
}

const RESOURCE: Record<string, string> = {
  Deployment: 'apps/v1/deployments',
  ReplicaSet: 'apps/v1/replicasets',
  Pod: '/v1/pods',
  Service: '/v1/services',
  ReleaseGuard: 'vakt.dev/v1alpha1/releaseguards',
  Ingress: 'networking.k8s.io/v1/ingresses',
  HTTPRoute: 'gateway.networking.k8s.io/v1/httproutes',
};

/** An UPDATE (or PATCH: the API server judges the patched object) of `old` by `username`. */
export function update(
  username: string,
  old: Json,
  change: (o: Json) => void,
  subResource?: string,
): AdmissionRequest {
  const object = structuredClone(old);
  change(object);
  return {
    operation: 'UPDATE',
    username,
    resource: RESOURCE[old.kind] as string,
    ...(subResource ? { subResource } : {}),
    namespace: NS,
    name: old.metadata.name,
    object,
    oldObject: old,
  };
}

export function create(username: string, object: Json): AdmissionRequest {
  const resource = RESOURCE[object.kind] as string;
  return {
    operation: 'CREATE',
    username,
    resource,
    namespace: NS,
    name: object.metadata.name,
    object,
    oldObject: null,
  };
}

export function remove(username: string, old: Json): AdmissionRequest {
  const resource = RESOURCE[old.kind] as string;
  return {
    operation: 'DELETE',
    username,
    resource,
    namespace: NS,
    name: old.metadata.name,
    object: null,
    oldObject: old,
  };
}

export function scale(username: string, deployment: Json, replicas: number): AdmissionRequest {
  const oldObject = scaleOf(deployment);
  return {
    operation: 'UPDATE',
    username,
    resource: 'apps/v1/deployments',
    subResource: 'scale',
    namespace: NS,
    name: deployment.metadata.name,
    object: scaleOf(deployment, replicas),
    oldObject,
  };
}

export function writeStatus(username: string): AdmissionRequest {
  return update(
    username,
    guard,
    (g) => {
      g.status.phase = 'Baking';
    },
    'status',
  );
}

export const setImage = (image: string) => (d: Json) => {
  d.spec.template.spec.containers[0].image = image;
};

/** The chart rendered with its default values. */
export const chart: Json[] = await render();

export function expectDenied(
  request: AdmissionRequest,
  why: RegExp,
  objects = chart,
  stored = GUARDS,
): void {
  const verdict = admit(objects, request, stored);
  expect(verdict.allowed, `${request.operation} ${request.name} by ${request.username}`).toBe(
    false,
  );
  expect(verdict.denials.join('\n')).toMatch(why);
  // Denied by a validation's message, never by an expression that failed to evaluate.
  expect(verdict.denials.join('\n')).not.toMatch(/^(variable|validation|matchCondition) /m);
}

export function expectAllowed(request: AdmissionRequest, objects = chart, stored = GUARDS): void {
  const verdict = admit(objects, request, stored);
  expect(verdict.denials, `${request.operation} ${request.name} by ${request.username}`).toEqual(
    [],
  );
}
