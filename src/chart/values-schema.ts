import { z } from 'zod';
import { PlatformConfig } from '../operator/platform.ts';
import { AppValues } from './app-values.ts';
import { NotificationValues } from './notification-values.ts';

/** A user or group name rendered into a CEL list literal: no quotes or backslashes to escape from it. */
const CelName = z.string().regex(/^[^'"\\\s]+$/, {
  message: 'expected a name, without quotes, backslashes or spaces',
});

/**
 * The Helm chart's values (charts/vakt/values.yaml). charts/vakt/values.schema.json is
 * generated from this schema (scripts/write-chart-schema.ts), and Helm validates every
 * install, upgrade, lint and template against it, so a typo or a wrong type fails before
 * anything reaches the cluster. Kubernetes-shaped fields the chart only passes through
 * (resources, affinity, tolerations, security contexts) are typed where a wrong type would
 * be a silent mistake and loose otherwise, so users can add fields Kubernetes knows.
 */

export const VALUES_SCHEMA_FILE = 'charts/vakt/values.schema.json';
export const VALUES_SCHEMA_COMMAND = 'node scripts/write-chart-schema.ts';

/** A Kubernetes name (RFC 1123 label), or empty for "not set". */
const NameOrEmpty = z
  .string()
  .max(63)
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/, {
    message: 'expected a Kubernetes name: lower-case letters, digits and -',
  });

/** A Secret or ConfigMap name (RFC 1123 subdomain), or empty for "not set". */
const SubdomainOrEmpty = z
  .string()
  .max(253)
  .regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$/, {
    message: 'expected a Kubernetes name: lower-case letters, digits, - and .',
  });

const Port = z.int().min(1).max(65535);

const StringMap = z.record(z.string(), z.string());

/** cpu: 100m or 1, memory: 128Mi: Kubernetes accepts both strings and numbers. */
const Quantity = z.union([z.string().min(1), z.number().min(0)]);
const ResourceList = z.record(z.string(), Quantity);

/** A Prometheus duration: 30s, 15m, 2h, 1h30m. */
const PromDuration = z
  .string()
  .regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, { message: 'expected a Prometheus duration: 15m, 2h' });
/** A share from 0 to 1; also as text, since Helm's --set passes 0.25 as a string. */
const Ratio = z.union([
  z.number().min(0).max(1),
  z.string().regex(/^(0|1|0?\.[0-9]+|1\.0*)$/, { message: 'expected a number from 0 to 1' }),
]);

/** The alerts charts/vakt/templates/prometheusrule.yaml renders, by name. */
export const ALERT_NAMES = [
  'VaktLeakDetected',
  'VaktReleaseReverted',
  'VaktGuardBlocked',
  'VaktGuardUndecided',
  'VaktProbeRunsInconclusive',
  'VaktProbeRequestsFailing',
  'VaktGitHubRateLimitLow',
  'VaktGitHubRateLimited',
  'VaktAdmissionPoliciesNotEnforced',
  'VaktReconcileErrors',
] as const;

const Monitoring = z.strictObject({
  selector: z
    .string()
    .regex(/^[^{}]*$/, { message: 'expected label matchers without braces: job="vakt"' })
    .describe(
      "PromQL label matchers picking this install's series; empty: namespace and job of the chart's ServiceMonitor",
    ),
  prometheusRule: z.strictObject({
    enabled: z.boolean().describe('needs the Prometheus Operator CRDs (monitoring.coreos.com)'),
    labels: StringMap.describe('labels Prometheus selects rules by'),
    alertLabels: StringMap.describe('labels added to every alert'),
    disabled: z.array(z.enum(ALERT_NAMES)).describe('alerts to leave out'),
    runbookUrl: z
      .url({ protocol: /^https?$/ })
      .describe("the alerts' runbook page; each alert's name is the anchor"),
    leakWindow: PromDuration,
    guardBlockedFor: PromDuration,
    guardUndecidedFor: PromDuration,
    window: PromDuration.describe('window of rates and ratios'),
    ratioFor: PromDuration.describe('how long a ratio must hold before its alert fires'),
    probeInconclusiveRatio: Ratio,
    probeFailureRatio: Ratio,
    githubQuotaLeftRatio: Ratio,
    githubRateLimitedFor: PromDuration,
    admissionNotEnforcedFor: PromDuration,
    reconcileErrorRatio: Ratio,
  }),
  grafanaDashboard: z.strictObject({
    enabled: z.boolean(),
    labels: StringMap.describe("the label Grafana's dashboard sidecar selects by"),
    annotations: StringMap,
    namespace: NameOrEmpty.describe('where the ConfigMap goes; empty: the release namespace'),
  }),
});

const Image = z.strictObject({
  repository: z.string().min(1).describe('the operator image, without tag'),
  tag: z.string().describe("the image tag; empty: the chart's appVersion"),
  digest: z
    .string()
    .regex(/^(sha256:[0-9a-f]{64})?$/, { message: 'expected sha256:<64 hex digits> or empty' })
    .describe('pins the image by digest (sha256:...); wins over tag when set'),
  pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
});

const SecurityContext = z.looseObject({
  runAsNonRoot: z.boolean().optional(),
  runAsUser: z.int().min(0).optional(),
  runAsGroup: z.int().min(0).optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  capabilities: z
    .looseObject({ drop: z.array(z.string()).optional(), add: z.array(z.string()).optional() })
    .optional(),
  seccompProfile: z
    .looseObject({ type: z.enum(['RuntimeDefault', 'Localhost', 'Unconfined']) })
    .optional(),
});

const PodSecurityContext = z.looseObject({
  runAsNonRoot: z.boolean().optional(),
  runAsUser: z.int().min(0).optional(),
  runAsGroup: z.int().min(0).optional(),
  fsGroup: z.int().min(0).optional(),
  seccompProfile: z
    .looseObject({ type: z.enum(['RuntimeDefault', 'Localhost', 'Unconfined']) })
    .optional(),
});

export const ChartValues = z
  .strictObject({
    image: Image,
    imagePullSecrets: z.array(z.strictObject({ name: z.string().min(1) })),
    nameOverride: NameOrEmpty,
    fullnameOverride: NameOrEmpty,
    replicaCount: z
      .int()
      .min(1)
      .max(10)
      .describe('operator replicas; with leader election one works and the others wait'),
    leaderElection: z.strictObject({
      enabled: z
        .boolean()
        .describe('take a Lease in the release namespace before working; needed with 2+ replicas'),
    }),
    watchNamespace: NameOrEmpty.describe(
      'watch ReleaseGuards in this namespace only (Role instead of ClusterRole); empty: all namespaces',
    ),
    watchNamespaces: z
      .array(NameOrEmpty.min(1))
      .describe('more namespaces to watch, each with a Role and RoleBinding; with watchNamespace'),
    platform: PlatformConfig.describe(
      "the cluster admin's floors and allow-lists, rendered into ConfigMap <fullname>-platform",
    ),
    networkPolicy: z.strictObject({
      enabled: z
        .boolean()
        .describe(
          'egress NetworkPolicy for the operator pod; off: probes reach all the pod network',
        ),
      apiServerPorts: z.array(Port).min(1),
      extraEgress: z.array(z.looseObject({})).describe('more NetworkPolicy egress rules'),
    }),
    github: z.strictObject({
      existingSecret: SubdomainOrEmpty.describe(
        'Secret in the release namespace with key token, or keys app-id, private-key and installation-id',
      ),
      apiUrl: z
        .union([z.url({ protocol: /^https?$/ }), z.literal('')])
        .describe(
          'GitHub API root: https://HOST/api/v3 (GitHub Enterprise Server) or https://api.TENANT.ghe.com; empty: https://api.github.com. Image attestations must be signed by that instance',
        ),
    }),
    provenance: z.strictObject({
      trustedRootConfigMap: SubdomainOrEmpty.describe(
        'ConfigMap in the release namespace whose trustedRootKey holds the Sigstore trusted root(s) attestations must chain to, mounted and passed as --trusted-root; empty: the public-good root shipped with vakt',
      ),
      trustedRootKey: z
        .string()
        .regex(/^[-._a-zA-Z0-9]+$/, { message: 'expected a ConfigMap key' })
        .describe('the key of trustedRootConfigMap with the root(s), JSON or JSON Lines'),
    }),
    rejectionSeal: z.strictObject({
      enabled: z
        .boolean()
        .describe(
          'seal rejection marks with a key mounted from a Secret (--seal-key-file); off: marks are trusted as written',
        ),
      existingSecret: SubdomainOrEmpty.describe(
        "Secret in the release namespace with key current (at least 32 bytes) and optionally previous; empty: the chart's <fullname>-seal-key, made once and kept on upgrades",
      ),
    }),
    notifications: NotificationValues,
    serviceUrlTemplate: z
      .string()
      .regex(/^(https?:\/\/.*\{name\}.*)?$/, {
        message: 'expected an http(s) URL with {name} (and {namespace}, {port}), or empty',
      })
      .describe(
        'passed as --service-url-template when set, e.g. http://{name}.{namespace}.svc:{port}',
      ),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
    serviceAccount: z.strictObject({
      create: z.boolean(),
      name: NameOrEmpty.describe('empty: the release fullname'),
      annotations: StringMap,
    }),
    rbac: z.strictObject({
      create: z.boolean(),
      secretNames: z
        .array(z.string().min(1))
        .describe(
          'restricts Secret reads to these names (tenant Secrets and the GitHub Secret); empty: any name',
        ),
      configMapNames: z
        .array(z.string().min(1))
        .describe('restricts ConfigMap reads (policies) to these names; empty: any name'),
      aggregateToDefaultRoles: z
        .boolean()
        .describe(
          'ClusterRoles for ReleaseGuards aggregated into view, edit and admin (never /status)',
        ),
    }),
    admission: z.strictObject({
      enabled: z
        .boolean()
        .describe(
          'ValidatingAdmissionPolicies that keep what vakt owns (-stable, its pods, the two Services, its annotations, guard status) to the operator',
        ),
      extraAllowedUsers: z
        .array(CelName)
        .describe(
          'more usernames the policies let through, e.g. system:serviceaccount:argocd:argocd-application-controller',
        ),
      refuseCanaryRoutes: z
        .boolean()
        .describe(
          "refuse Ingresses and HTTPRoutes whose backend is a Service named *-canary (a guard's way to its unprobed candidate)",
        ),
      refuseTargetScaleUp: z
        .boolean()
        .describe(
          "refuse raising a guarded target's replicas through deployments/scale too (kubectl scale, an HPA), by the ReleaseGuards that name it; fails closed while the ReleaseGuard CRD is not served",
        ),
      refuseCandidateServices: z
        .boolean()
        .describe(
          "refuse a Service whose selector takes in a guarded target's pods (the candidate's labels in the ReleaseGuards' status), or an ExternalName naming <guard>-canary or spelled as an IP address, and a change of a candidate pod's labels; fails closed while the ReleaseGuard CRD is not served",
        ),
      protectGuardDeletion: z
        .boolean()
        .describe(
          'refuse deleting a ReleaseGuard (and removing its finalizer) to all but the operator, the namespace controller and extraAllowedUsers',
        ),
      guardAdmins: z
        .strictObject({
          users: z.array(CelName).describe('usernames'),
          groups: z.array(CelName).describe('group names, e.g. a platform team'),
        })
        .describe(
          'who may change spec.source, spec.policy, spec.tenantsSecretRef, spec.probe.target and edgeURL of an existing guard (and delete guards with protectGuardDeletion); empty: anyone who may edit ReleaseGuards',
        ),
    }),
    resources: z.strictObject({ requests: ResourceList, limits: ResourceList }),
    heapMiB: z
      .int()
      .min(64)
      .describe('V8 heap cap in MiB (--max-old-space-size); about 40% of the memory limit'),
    podSecurityContext: PodSecurityContext,
    securityContext: SecurityContext,
    health: z.strictObject({ port: Port }),
    metrics: z.strictObject({
      port: Port,
      service: z.strictObject({
        enabled: z.boolean(),
        type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']),
        port: Port,
        annotations: StringMap,
      }),
    }),
    serviceMonitor: z.strictObject({
      enabled: z.boolean().describe('needs the Prometheus Operator CRDs (monitoring.coreos.com)'),
      interval: z.string().regex(/^[0-9]+(ms|s|m|h)$/, { message: 'expected a duration: 30s' }),
      scrapeTimeout: z
        .string()
        .regex(/^([0-9]+(ms|s|m|h))?$/, { message: 'expected a duration or empty' }),
      labels: StringMap,
    }),
    monitoring: Monitoring,
    podAnnotations: StringMap,
    podLabels: StringMap,
    priorityClassName: z.string(),
    nodeSelector: StringMap,
    tolerations: z.array(z.looseObject({})),
    affinity: z.looseObject({}),
    app: AppValues,
    // `global` is how parent charts pass values down; allowed, so using vakt as a subchart works.
    global: z.looseObject({}).optional(),
  })
  .describe('values of the vakt Helm chart');
export type ChartValues = z.infer<typeof ChartValues>;

type JsonNode = Record<string, unknown>;

/** Drops zod's safe-integer bounds: noise that says nothing a reader needs. */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonNode = {};
  for (const [key, value] of Object.entries(node as JsonNode)) {
    if ((key === 'minimum' || key === 'maximum') && Math.abs(value as number) > 2 ** 52) continue;
    out[key] = tidy(value);
  }
  return out;
}

/** The JSON Schema Helm validates values against (draft 7: what Helm 3's validator reads). */
export function chartValuesJsonSchema(): JsonNode {
  const schema = z.toJSONSchema(ChartValues, { target: 'draft-7', io: 'input', cycles: 'throw' });
  return { ...(tidy(schema) as JsonNode), title: 'vakt Helm chart values' };
}

const LINE_WIDTH = 100;

/**
 * JSON laid out as the repository's formatter (Biome) lays it out, so `biome check` and the
 * drift test agree on one text: objects one key per line, arrays on one line when they fit.
 */
function formatJson(value: unknown, indent = '', prefix = '', comma = 1): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inline = `[${value.map((v) => formatJson(v)).join(', ')}]`;
    const fits =
      !inline.includes('\n') && indent.length + prefix.length + inline.length + comma <= LINE_WIDTH;
    if (fits) return inline;
    const inner = `${indent}  `;
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    // The last entry has no comma after it, so its line may be one character longer.
    const lines = entries.map(([key, v], i) => {
      const name = `${JSON.stringify(key)}: `;
      return `${inner}${name}${formatJson(v, inner, name, i < entries.length - 1 ? 1 : 0)}`;
    });
    return `{\n${lines.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** The committed file's text (JSON has no comments, so no generated-file header). */
export function chartValuesJsonSchemaText(): string {
  return `${formatJson(chartValuesJsonSchema())}\n`;
}
