import { createHash } from 'node:crypto';
import type { Policy } from '../policy/schema.ts';
import { type ResolvedProbe, resolveProbe, SecretError } from '../policy/secrets.ts';
import type { AddressRules } from '../probe/addresses.ts';
import type { ReleaseGuardSpec } from '../release/schema.ts';
import { canonicalJson } from '../release/template.ts';
import {
  type SpecProblem,
  validateConfigMapPolicy,
  validateInlinePolicy,
  validateSpec,
} from '../release/validate.ts';
import { allowListProblems } from './allow-lists.ts';
import { floorProblems } from './floors.ts';
import { type PlatformState, rulesFor, tenantsLabel } from './platform.ts';
import type { Cluster, GuardObject } from './ports.ts';

/**
 * Everything a guard's pass needs beyond the spec itself: the policy (inline, or from its
 * ConfigMap) and the tenants with credentials from the tenants Secret. Problems decide()
 * cannot see for itself (a missing ConfigMap, Secret or key, a policy below the platform's
 * floors, a repository or probe URL the platform does not allow) come back as
 * SpecProblems naming the field, so they end in phase Invalid rather than a crash or a
 * retry loop.
 */
export interface GuardPolicy {
  /** Set when the spec is valid. */
  spec?: ReleaseGuardSpec;
  /** Set when the spec and its policy are valid. */
  policy?: Policy;
  /** Set when the tenants Secret resolved every credential (and the probe's other secrets). */
  resolved?: ResolvedProbe;
  /** For decide()'s policyProblems: what is wrong outside the guard object. */
  problems: SpecProblem[];
  /** Set when the platform allows what the spec names: how its probes and statuses may go. */
  allowed?: {
    /** The repository approvals are asked of and commit statuses are posted to. */
    repository: string;
    /** spec.probe.target replaces the canary Service (else it only adds a path). */
    targetOverride: boolean;
    /** Checked again on every probe connection. */
    addresses: AddressRules;
  };
}

export async function resolveGuardPolicy(
  cluster: Cluster,
  guard: GuardObject,
  platform: PlatformState,
): Promise<GuardPolicy> {
  // Fail closed: without the admin's floors and allow-lists nothing is probed or approved.
  const config = platform.config;
  const unavailable: SpecProblem[] = config
    ? []
    : [
        {
          path: '',
          message: platform.problem ?? `platform configuration ${platform.source} unavailable`,
        },
      ];
  const checked = validateSpec(guard.spec);
  // decide() reports problems of the spec and an inline policy itself.
  if (!checked.ok) return { problems: unavailable };
  const spec = checked.value;
  let policy: Policy;
  if (spec.policy.inline) {
    const inline = validateInlinePolicy(spec.policy.inline);
    if (!inline.ok) return { spec, problems: unavailable };
    policy = inline.value;
  } else {
    const ref = spec.policy.configMapRef as NonNullable<typeof spec.policy.configMapRef>;
    const path = 'spec.policy.configMapRef';
    const data = await cluster.readConfigMap(guard.namespace, ref.name);
    if (!data) {
      return {
        spec,
        problems: [...unavailable, { path, message: `ConfigMap ${ref.name} not found` }],
      };
    }
    const text = data[ref.key];
    if (text === undefined) {
      return {
        spec,
        problems: [
          ...unavailable,
          { path: `${path}.key`, message: `ConfigMap ${ref.name} has no key ${ref.key}` },
        ],
      };
    }
    const loaded = validateConfigMapPolicy(text, ref);
    if (!loaded.ok) return { spec, problems: [...unavailable, ...loaded.problems] };
    policy = loaded.value;
  }
  if (!config) return { spec, policy, problems: unavailable };
  const rules = rulesFor(config, guard.namespace);
  const addresses: AddressRules = { allowLoopback: config.allowLoopback };
  const refused = [
    ...floorProblems(policy, config.floors, platform.source, {
      path: spec.policy.inline ? 'spec.policy.inline' : 'spec.policy.configMapRef',
      inline: Boolean(spec.policy.inline),
    }),
    ...allowListProblems({
      spec,
      guardName: guard.name,
      namespace: guard.namespace,
      rules,
      addresses,
      source: platform.source,
    }),
  ];
  // The tenants Secret is not even read for a guard the platform refuses.
  if (refused.length > 0) return { spec, policy, problems: refused };
  const allowed = {
    repository: spec.source.repository,
    targetOverride: rules.probeTargetOverride,
    addresses,
  };
  const probe = policy.probe;
  if (!probe) return { spec, policy, problems: [], allowed };
  const secretName = spec.tenantsSecretRef.name;
  const secret = await cluster.readLabelledSecret(guard.namespace, secretName);
  if (!secret) {
    return {
      spec,
      policy,
      problems: [{ path: 'spec.tenantsSecretRef.name', message: `Secret ${secretName} not found` }],
    };
  }
  const label = tenantsLabel(config);
  if (label && secret.labels[label.key] !== label.value) {
    // Any Secret of the namespace would otherwise be readable back through a probe of
    // one's own URL: only Secrets the admin's label marks as tenants' are used.
    return {
      spec,
      policy,
      problems: [
        {
          path: 'spec.tenantsSecretRef.name',
          message: `Secret ${secretName} is not labelled ${label.key}=${label.value}: only Secrets with that label hold tenants (${platform.source})`,
        },
      ],
    };
  }
  try {
    // In a ReleaseGuard a policy's { env: KEY } names a key of the tenants Secret.
    const resolved = resolveProbe(probe, {
      env: secret.data,
      baseDir: '/',
      envLabel: (key) => `key ${key} of Secret ${secretName}`,
    });
    return { spec, policy, resolved, problems: [], allowed };
  } catch (error) {
    if (!(error instanceof SecretError)) throw error;
    return {
      spec,
      policy,
      problems: error.problems.map((p) => ({
        path: 'spec.tenantsSecretRef.name',
        message: p.replace(
          /environment variable (\S+) is not set/,
          `Secret ${secretName} has no key $1`,
        ),
      })),
    };
  }
}

/**
 * Names the policy in force, defaults applied: the same rules from an inline policy or a
 * ConfigMap, in any key order or YAML style, give the same digest, and any change of a
 * rule gives another, so approvals are bound to the rules they were given under.
 */
export function policyDigest(policy: Policy): string {
  return `sha256:${createHash('sha256').update(canonicalJson(policy)).digest('hex').slice(0, 16)}`;
}
