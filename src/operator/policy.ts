import type { Policy } from '../policy/schema.ts';
import { type ResolvedProbe, resolveProbe, SecretError } from '../policy/secrets.ts';
import type { ReleaseGuardSpec } from '../release/schema.ts';
import {
  type SpecProblem,
  validateConfigMapPolicy,
  validateInlinePolicy,
  validateSpec,
} from '../release/validate.ts';
import type { Cluster, GuardObject } from './ports.ts';

/**
 * Everything a guard's pass needs beyond the spec itself: the policy (inline, or from its
 * ConfigMap) and the tenants with credentials from the tenants Secret. Problems decide()
 * cannot see for itself (a missing ConfigMap, Secret or key) come back as SpecProblems
 * naming the field, so they end in phase Invalid rather than a crash or a retry loop.
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
}

export async function resolveGuardPolicy(
  cluster: Cluster,
  guard: GuardObject,
): Promise<GuardPolicy> {
  const checked = validateSpec(guard.spec);
  // decide() reports problems of the spec and an inline policy itself.
  if (!checked.ok) return { problems: [] };
  const spec = checked.value;
  let policy: Policy;
  if (spec.policy.inline) {
    const inline = validateInlinePolicy(spec.policy.inline);
    if (!inline.ok) return { spec, problems: [] };
    policy = inline.value;
  } else {
    const ref = spec.policy.configMapRef as NonNullable<typeof spec.policy.configMapRef>;
    const path = 'spec.policy.configMapRef';
    const data = await cluster.readConfigMap(guard.namespace, ref.name);
    if (!data) {
      return { spec, problems: [{ path, message: `ConfigMap ${ref.name} not found` }] };
    }
    const text = data[ref.key];
    if (text === undefined) {
      return {
        spec,
        problems: [{ path: `${path}.key`, message: `ConfigMap ${ref.name} has no key ${ref.key}` }],
      };
    }
    const loaded = validateConfigMapPolicy(text, ref);
    if (!loaded.ok) return { spec, problems: loaded.problems };
    policy = loaded.value;
  }
  const probe = policy.probe;
  if (!probe) return { spec, policy, problems: [] };
  const secretName = spec.tenantsSecretRef.name;
  const data = await cluster.readSecret(guard.namespace, secretName);
  if (!data) {
    return {
      spec,
      policy,
      problems: [{ path: 'spec.tenantsSecretRef.name', message: `Secret ${secretName} not found` }],
    };
  }
  try {
    // In a ReleaseGuard a policy's { env: KEY } names a key of the tenants Secret.
    const resolved = resolveProbe(probe, { env: data, baseDir: '/' });
    return { spec, policy, resolved, problems: [] };
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
