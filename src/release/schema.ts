import { z } from 'zod';
import { parseDuration } from '../policy/duration.ts';

/**
 * The ReleaseGuard resource (vakt.dev/v1alpha1, namespaced, short name rg). The CRD's
 * OpenAPI schema is generated from these schemas (src/release/crd.ts), so they keep to
 * what a Kubernetes structural schema can say: no unions, no $ref. "Exactly one of" is
 * written as optional fields plus a superRefine check, which the API server does not see
 * and the operator enforces when it reconciles (phase Invalid, naming the field).
 * Field names are a public contract: add fields, never rename them.
 */

export const DEFAULT_REVISION_ANNOTATION = 'vakt.dev/revision';
/** How many decisions status keeps; older ones are dropped (Events keep the full history). */
export const MAX_DECISIONS = 20;
/** How many rejected template hashes status keeps; see `rejected` below for the trade-off. */
export const MAX_REJECTED = 100;

/** Only strings: a CRD field cannot be "string or number" without int-or-string. */
const Duration = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(ms|s|m|h)$/, {
    message: 'expected a duration such as 500ms, 10s, 2m or 1h',
  })
  .describe('a duration: 500ms, 10s, 2m, 1h');

/** Milliseconds of a duration the schema accepted. */
export function durationMs(text: string): number {
  return parseDuration(text) ?? 0;
}

/** A Kubernetes object name (RFC 1123 subdomain). */
const Name = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
    message: 'expected a Kubernetes name: lower-case letters, digits, - and .',
  });

/** Characters of an image tag (the OCI distribution spec), besides the placeholder. */
const TAG_CHARS = /^[A-Za-z0-9_.-]*$/;
export const SHA_PLACEHOLDER = '{sha}';

/** Checks an image-tag format: tag characters around exactly one `{sha}`. */
export function imageTagFormatProblem(format: string): string | undefined {
  const parts = format.split(SHA_PLACEHOLDER);
  if (parts.length !== 2) {
    return `expected exactly one ${SHA_PLACEHOLDER} in the tag format, e.g. main-${SHA_PLACEHOLDER}`;
  }
  if (!parts.every((part) => TAG_CHARS.test(part))) {
    return `expected letters, digits, _ . and - around ${SHA_PLACEHOLDER} (an image tag's characters), e.g. main-${SHA_PLACEHOLDER}`;
  }
  return undefined;
}

const Revision = z
  .strictObject({
    annotation: z
      .string()
      .min(1)
      .optional()
      .describe(
        `annotation holding the source commit SHA, on the pod template or the Deployment (default ${DEFAULT_REVISION_ANNOTATION})`,
      ),
    imageTagFormat: z
      .string()
      .optional()
      .describe(
        'the image tag as literal text around {sha}, the commit (7 to 40 hex digits), e.g. main-{sha}; matched by plain string comparison, never as a regular expression',
      ),
    imageTagPattern: z
      .string()
      .optional()
      .describe('refused (a regular expression can take exponential time): use imageTagFormat'),
  })
  .superRefine((revision, ctx) => {
    if (revision.imageTagPattern !== undefined) {
      // A user regex ran on the operator's one event loop: `^(?<sha>([0-9a-f]+)+)$` on a
      // 29-character tag blocked it for seconds. A fixed format cannot backtrack.
      ctx.addIssue({
        code: 'custom',
        path: ['imageTagPattern'],
        message: `regular expressions are not accepted (they can take exponential time); use imageTagFormat with ${SHA_PLACEHOLDER} where the commit is, e.g. imageTagFormat: main-${SHA_PLACEHOLDER}`,
      });
    }
    if (revision.annotation !== undefined && revision.imageTagFormat !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['imageTagFormat'],
        message: 'give either annotation or imageTagFormat, not both',
      });
    }
    if (revision.imageTagFormat !== undefined) {
      const problem = imageTagFormatProblem(revision.imageTagFormat);
      if (problem) ctx.addIssue({ code: 'custom', path: ['imageTagFormat'], message: problem });
    }
  })
  .describe(
    `where a template's source commit comes from: an annotation (default ${DEFAULT_REVISION_ANNOTATION}) or the image tag by a fixed format; give at most one`,
  );
export type RevisionSource = z.infer<typeof Revision>;

const PolicySource = z
  .strictObject({
    inline: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'the policy itself (apiVersion vakt.dev/v1alpha1, kind Policy); validated by the operator, not the API server',
      ),
    configMapRef: z
      .strictObject({
        name: Name.describe('ConfigMap in the ReleaseGuard namespace'),
        key: z.string().min(1).describe('key holding the policy YAML'),
      })
      .optional(),
  })
  .superRefine((policy, ctx) => {
    const given = [policy.inline, policy.configMapRef].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `give exactly one of inline or configMapRef${given > 1 ? ', not both' : ''}`,
      });
    }
  })
  .describe('the vakt policy: exactly one of inline or configMapRef');

export const ReleaseGuardSpec = z
  .strictObject({
    targetRef: z
      .strictObject({
        apiVersion: z.literal('apps/v1').default('apps/v1'),
        kind: z.literal('Deployment').default('Deployment'),
        name: Name,
      })
      .describe('the Deployment to guard, in the same namespace; its pods become the candidate'),
    service: z
      .strictObject({
        port: z.int().min(1).max(65535).describe('port of the Services vakt creates'),
        targetPort: z
          .int()
          .min(1)
          .max(65535)
          .optional()
          .describe('container port the Services send to (default: port)'),
      })
      .describe('vakt creates Service <name> to stable and <name>-canary to the candidate'),
    policy: PolicySource,
    tenantsSecretRef: z
      .strictObject({ name: Name })
      .describe("Secret with tenant credentials: the policy's { env: X } is the Secret's key X"),
    source: z
      .strictObject({
        repository: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
            message: 'expected a GitHub repository as "owner/name"',
          })
          .describe('GitHub repository the commits come from, as owner/name'),
        revision: Revision.optional(),
      })
      .describe('where the source commit of a pod template comes from'),
    probe: z
      .strictObject({
        target: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe('base URL for canary probes (default: the <name>-canary Service)'),
        edgeURL: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe('public URL through caches and CDN, probed as well'),
        guardInterval: Duration.default('5m').describe(
          'pause between guard probe runs against stable between releases',
        ),
        canaryReplicas: z
          .int()
          .min(1)
          .max(100)
          .default(1)
          .describe('replicas of the candidate while it is probed'),
      })
      .default({ guardInterval: '5m', canaryReplicas: 1 })
      .describe('probe settings beyond the policy'),
    bakeTime: Duration.default('10m').describe(
      'how long a promoted template stays under probe before it counts as stable',
    ),
  })
  .describe('what vakt guards and how');
export type ReleaseGuardSpec = z.infer<typeof ReleaseGuardSpec>;

export const PHASES = [
  'Initializing',
  'Idle',
  'Blocked',
  'Canary',
  'Baking',
  'Reverted',
  'Invalid',
] as const;
export type Phase = (typeof PHASES)[number];

const Timestamp = z.string().describe('RFC 3339 time');

/** A pod template as Kubernetes holds it: opaque to the schema, kept whole. */
const PodTemplate = z
  .record(z.string(), z.unknown())
  .meta({ 'x-kubernetes-preserve-unknown-fields': true });

const Release = z.strictObject({
  templateHash: z.string().describe('hash of the pod template (vakt templateHash)'),
  revision: z.string().optional().describe('source commit SHA, when it could be found'),
  image: z.string().optional().describe('image of the first container'),
});

const StableRelease = Release.extend({
  template: PodTemplate.describe('the pod template, kept so a revert can restore it'),
  replicas: z.int().min(0).describe('replicas of <name>-stable'),
});
export type StableRelease = z.infer<typeof StableRelease>;

const Approval = z.strictObject({
  templateHash: z.string(),
  revision: z.string().optional(),
  outcome: z.enum(['pending', 'approved', 'denied', 'undecided']),
  approvers: z.array(z.string()).default([]).describe('logins whose approvals counted'),
  count: z.int().min(0).default(0).describe('approvals that counted'),
  pullRequest: z.int().optional(),
  message: z.string().optional().describe('why denied, or what is missing'),
  requestedAt: Timestamp.optional().describe('when the operator last asked the gate'),
  checkedAt: Timestamp.optional().describe('when the gate last answered'),
  policyDigest: z
    .string()
    .optional()
    .describe('digest of the policy the answer was given under: a changed policy asks again'),
});
export type ApprovalStatus = z.infer<typeof Approval>;

const ProbeStatus = z.strictObject({
  target: z.enum(['candidate', 'stable']),
  mode: z.enum(['canary', 'bake', 'guard']),
  templateHash: z.string(),
  runId: z.string().optional(),
  outcome: z.enum(['running', 'pass', 'leak', 'inconclusive']),
  sent: z.int().min(0).default(0),
  checked: z.int().min(0).default(0).describe('responses checked in full'),
  failed: z.int().min(0).default(0),
  leakRateBound: z.number().nullable().optional().describe('upper bound on the leak rate'),
  maxLeakRate: z.number().optional().describe("the policy's bound"),
  updatedAt: Timestamp.optional(),
});
export type ProbeStatus = z.infer<typeof ProbeStatus>;

const BakeRuns = z.strictObject({
  templateHash: z.string().describe('the promoted template the bake runs probed'),
  passedRuns: z
    .int()
    .min(0)
    .default(0)
    .describe('bake runs that ended meeting the leak-rate bound; Baked needs at least one'),
  lastRun: z
    .strictObject({
      runId: z.string(),
      outcome: z.enum(['pass', 'inconclusive']),
      metBound: z.boolean(),
      reason: z.string().describe('how it ended, for the message'),
    })
    .optional()
    .describe('the last bake run that ended'),
});
export type BakeRuns = z.infer<typeof BakeRuns>;

const CanaryPassed = z.strictObject({
  templateHash: z.string(),
  runId: z.string(),
  checked: z.int().min(0),
  leakRateBound: z.number(),
  maxLeakRate: z.number(),
  at: Timestamp,
});
export type CanaryPassed = z.infer<typeof CanaryPassed>;

const Leak = z.strictObject({
  target: z.enum(['candidate', 'stable']),
  templateHash: z.string(),
  revision: z.string().optional(),
  runId: z.string().optional(),
  at: Timestamp,
  kind: z.string().describe('identity-mismatch, unknown-identity, foreign-marker, ...'),
  summary: z.string(),
  tenant: z.string().describe('the tenant that received foreign data'),
  method: z.string(),
  path: z.string(),
  requestNumber: z.int().min(0),
  status: z.int(),
  expectedIdentity: z.string().optional(),
  observedIdentity: z.string().optional(),
  owner: z.string().optional().describe('the tenant whose data appeared'),
  headers: z.record(z.string(), z.string()).default({}).describe('credentials removed'),
});
export type LeakStatus = z.infer<typeof Leak>;

const Decision = z.strictObject({
  at: Timestamp,
  reason: z.string().describe('Adopted, ReleaseDetected, Blocked, Approved, Reverted, ...'),
  templateHash: z.string().optional(),
  revision: z.string().optional(),
  message: z.string(),
});
export type Decision = z.infer<typeof Decision>;

const Rejected = z.strictObject({
  templateHash: z.string(),
  revision: z.string().optional(),
  images: z
    .array(z.string())
    .max(64)
    .optional()
    .describe(
      'every image the template ran, sorted: the same digests, or the same references at the same commit, are rejected too',
    ),
  at: Timestamp,
  reason: z.string(),
});

const Condition = z.strictObject({
  type: z.enum(['AdmissionPolicies', 'Approved', 'ProbesPassing', 'Ready']),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: Timestamp,
  observedGeneration: z.int().min(0).optional(),
});
export type Condition = z.infer<typeof Condition>;

export const ReleaseGuardStatus = z
  .strictObject({
    phase: z.enum(PHASES).describe(PHASES.join(', ')),
    message: z.string().optional().describe('why the guard is in this phase'),
    observedGeneration: z.int().min(0).optional(),
    adoptedAt: Timestamp.optional().describe(
      'when <name>-stable first served; until then the target keeps its replicas',
    ),
    candidateLabels: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        "the pod labels the target's template gives the candidate's pods, from adoption on: admission policy -candidate-services refuses a Service that selects them",
      ),
    stable: StableRelease.optional().describe('the template serving users via <name>-stable'),
    stableGeneration: z
      .int()
      .min(0)
      .optional()
      .describe(
        "metadata.generation of <name>-stable after the operator's last write: any other change of its spec moves it, and the operator repairs it",
      ),
    previousStable: StableRelease.optional().describe(
      'the stable template before the last promotion, kept while baking so a leak can restore it',
    ),
    candidate: Release.optional().describe("the target's template while it is a release"),
    approval: Approval.optional().describe("the gate's latest answer for the candidate"),
    probe: ProbeStatus.optional().describe('the current or last probe run'),
    bakeUntil: Timestamp.optional().describe(
      'when the bake time is over; the promoted template counts as stable once a bake run passed too',
    ),
    bake: BakeRuns.optional().describe(
      'the bake runs of the last promoted template: kept in status so a restarted operator knows whether one passed',
    ),
    lastLeak: Leak.optional().describe('evidence of the last leak found'),
    canaryPassed: CanaryPassed.optional().describe(
      'the canary run that met the bound; the candidate is promoted once the gate confirms its approvals again',
    ),
    policyDigest: z
      .string()
      .optional()
      .describe('digest of the policy (inline or ConfigMap) the guard was last decided under'),
    rejected: z
      .array(Rejected)
      .max(MAX_REJECTED)
      .default([])
      .describe(
        `template hashes that leaked, never retried (the newest ${MAX_REJECTED}; an older one reappearing would be treated as new and go through approval and probes again)`,
      ),
    decisions: z
      .array(Decision)
      .max(MAX_DECISIONS)
      .default([])
      .describe(`the newest ${MAX_DECISIONS} decisions, oldest first; Events hold the rest`),
    conditions: z
      .array(Condition)
      .default([])
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
  })
  .describe('observed state; the operator resumes from it after a restart');
export type ReleaseGuardStatus = z.infer<typeof ReleaseGuardStatus>;

export const ReleaseGuard = z.strictObject({
  apiVersion: z.literal('vakt.dev/v1alpha1'),
  kind: z.literal('ReleaseGuard'),
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    generation: z.int().optional(),
  }),
  spec: ReleaseGuardSpec,
  status: ReleaseGuardStatus.optional(),
});
export type ReleaseGuard = z.infer<typeof ReleaseGuard>;
