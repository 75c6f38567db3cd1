/** The API kinds the fake serves. Adding a kind is one row in KINDS. */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface KindInfo {
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Has a /status subresource: main writes keep status, /status writes change only status. */
  status: boolean;
  /** A custom resource: no strategic merge patch, typed list items, PUT needs a resourceVersion. */
  custom: boolean;
  /** Server-side defaulting and normalisation applied on every write. */
  normalize?: (object: KubeObject) => void;
}

type Flags = Partial<Pick<KindInfo, 'namespaced' | 'status' | 'custom' | 'normalize'>>;

function row(apiVersion: string, kind: string, plural: string, flags: Flags = {}): KindInfo {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return {
    apiVersion,
    group: group ?? '',
    version: version ?? apiVersion,
    kind,
    plural,
    namespaced: flags.namespaced ?? true,
    status: flags.status ?? false,
    custom: flags.custom ?? false,
    ...(flags.normalize ? { normalize: flags.normalize } : {}),
  };
}

export const KINDS: readonly KindInfo[] = [
  row('apps/v1', 'Deployment', 'deployments', { status: true, normalize: defaultReplicas }),
  row('v1', 'Service', 'services', { status: true }),
  row('v1', 'Pod', 'pods', { status: true }),
  row('apps/v1', 'ReplicaSet', 'replicasets', { status: true }),
  row('networking.k8s.io/v1', 'Ingress', 'ingresses', { status: true }),
  // A CRD on a real cluster (Gateway API): FakeKubeOptions.gatewayApi turns it off.
  row('gateway.networking.k8s.io/v1', 'HTTPRoute', 'httproutes', { status: true }),
  row('v1', 'Secret', 'secrets', { normalize: secretData }),
  row('v1', 'ConfigMap', 'configmaps'),
  row('v1', 'Event', 'events'),
  row('events.k8s.io/v1', 'Event', 'events'),
  row('coordination.k8s.io/v1', 'Lease', 'leases'),
  // Cluster-scoped: the chart's admission policies, which the operator reads by name.
  row(
    'admissionregistration.k8s.io/v1',
    'ValidatingAdmissionPolicy',
    'validatingadmissionpolicies',
    {
      namespaced: false,
      status: true,
    },
  ),
  row(
    'admissionregistration.k8s.io/v1',
    'ValidatingAdmissionPolicyBinding',
    'validatingadmissionpolicybindings',
    { namespaced: false },
  ),
  row('vakt.dev/v1alpha1', 'ReleaseGuard', 'releaseguards', { status: true, custom: true }),
];

/** A kind by "Deployment", "deployments", "apps/v1/deployments" or "events.k8s.io/v1/Event". */
export function findKind(ref: string): KindInfo | undefined {
  return KINDS.find((kind) => isKind(kind, ref));
}

export function isKind(kind: KindInfo, ref: string): boolean {
  return [
    kind.kind,
    kind.plural,
    `${kind.apiVersion}/${kind.plural}`,
    `${kind.apiVersion}/${kind.kind}`,
  ].includes(ref);
}

export function kindOf(object: KubeObject): KindInfo | undefined {
  return KINDS.find((k) => k.apiVersion === object.apiVersion && k.kind === object.kind);
}

/** How the real server names a resource in messages: "deployments.apps", "secrets". */
export function qualifiedName(kind: KindInfo): string {
  return kind.group ? `${kind.plural}.${kind.group}` : kind.plural;
}

export interface Route {
  kind: KindInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Parses /api/v1/... and /apis/{group}/{version}/...; undefined for anything else. */
export function parsePath(path: string): Route | { apiVersion: string } | undefined {
  const match = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))(?:\/(.*))?$/.exec(path);
  if (!match) return undefined;
  const apiVersion = match[1] ?? match[2] ?? '';
  const parts = (match[3] ?? '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { apiVersion };
  const scoped = parts[0] === 'namespaces' && parts.length >= 3;
  const [plural, name, subresource, extra] = scoped ? parts.slice(2) : parts;
  const kind = KINDS.find((k) => k.apiVersion === apiVersion && k.plural === plural);
  if (!kind || extra !== undefined) return undefined;
  return {
    kind,
    ...(scoped ? { namespace: parts[1] } : {}),
    ...(name ? { name } : {}),
    ...(subresource ? { subresource } : {}),
  };
}

function defaultReplicas(object: KubeObject): void {
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  spec.replicas ??= 1;
  object.spec = spec;
}

/** The real server folds stringData into base64 data and never returns stringData. */
function secretData(object: KubeObject): void {
  object.type ??= 'Opaque';
  const strings = object.stringData as Record<string, string> | undefined;
  if (!strings) return;
  const data = { ...((object.data as Record<string, string> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(strings))
    data[key] = Buffer.from(value).toString('base64');
  object.data = data;
  delete object.stringData;
}
