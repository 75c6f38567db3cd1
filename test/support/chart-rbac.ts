import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

/**
 * The rights the chart gives the operator's ServiceAccount, read from `helm template`
 * output, and the question Kubernetes' RBAC authorizer answers for each request: does a
 * rule of a role bound to that account allow this verb on this resource here?
 */

const ROOT = resolve(import.meta.dirname, '../..');
/** Helm 3.6 renders offline for Kubernetes 1.20 unless told; the chart needs >= 1.27. */
const KUBE_VERSION = '1.30.0';

/** An API request as the authorizer sees it; `resource` is "plural" or "plural/subresource". */
export interface ResourceRequest {
  group: string;
  resource: string;
  verb: string;
  /** Undefined for a request across all namespaces. */
  namespace?: string;
  name?: string;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

interface Rendered {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** Rules in force for the operator, each with the namespace it is limited to (none: all). */
export interface Grants {
  rules: { rule: Rule; namespace?: string; from: string }[];
}

export async function renderGrants(namespace: string, sets: string[] = []): Promise<Grants> {
  const { stdout } = await promisify(execFile)(
    resolve(ROOT, 'node_modules/.bin/helm'),
    [
      'template',
      'vakt',
      resolve(ROOT, 'charts/vakt'),
      '--namespace',
      namespace,
      '--kube-version',
      KUBE_VERSION,
      ...sets.flatMap((set) => ['--set', set]),
    ],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  const objects = parseAllDocuments(stdout)
    .map((document) => document.toJS() as Rendered | null)
    .filter((object) => object !== null);
  const account = objects.find((o) => o.kind === 'ServiceAccount');
  if (!account) throw new Error('the chart rendered no ServiceAccount');
  const isOperator = (s: { kind: string; name: string; namespace?: string }) =>
    s.kind === 'ServiceAccount' && s.name === account.metadata.name && s.namespace === namespace;
  const rules: Grants['rules'] = [];
  for (const binding of objects) {
    if (binding.kind !== 'RoleBinding' && binding.kind !== 'ClusterRoleBinding') continue;
    if (!binding.subjects?.some(isOperator)) continue;
    const scope = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
    const role = objects.find(
      (o) =>
        o.kind === binding.roleRef?.kind &&
        o.metadata.name === binding.roleRef.name &&
        (o.kind === 'ClusterRole' || o.metadata.namespace === scope),
    );
    for (const rule of role?.rules ?? []) {
      rules.push({
        rule,
        ...(scope ? { namespace: scope } : {}),
        from: `${role?.kind}/${role?.metadata.name}`,
      });
    }
  }
  return { rules };
}

/** Whether some granted rule allows the request, as the RBAC authorizer decides. */
export function allows(grants: Grants, request: ResourceRequest): boolean {
  return grants.rules.some(({ rule, namespace }) => {
    if (namespace !== undefined && request.namespace !== namespace) return false;
    if (!rule.apiGroups?.includes(request.group)) return false;
    if (!rule.resources?.includes(request.resource)) return false;
    if (!rule.verbs?.includes(request.verb)) return false;
    // resourceNames can only match a request that names one object.
    const names = rule.resourceNames ?? [];
    return names.length === 0 || (request.name !== undefined && names.includes(request.name));
  });
}
