import type { z } from 'zod';
import { DEFAULT_MESSAGE, explainIssues, formatPath, type PathSegment } from '../policy/issues.ts';
import { formatProblem, parsePolicy } from '../policy/load.ts';
import { type Policy, Policy as PolicySchema } from '../policy/schema.ts';
import { isSecretRefShape, jsonSecretRefProblems } from '../policy/secret-ref.ts';
import { ReleaseGuardSpec } from './schema.ts';

/**
 * Checks what the API server cannot: the "exactly one of" rules, duration and pattern
 * semantics, and the policy inside or behind the spec. Every problem names the field as
 * `spec.…`, so phase Invalid tells a person what to fix.
 */

export interface SpecProblem {
  /** e.g. spec.policy.inline.probe.tenants[1].auth */
  path: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: SpecProblem[] };

function explain(schema: z.ZodType, data: unknown, prefix: PathSegment[]): Checked<unknown> {
  const parsed = schema.safeParse(data, { error: () => DEFAULT_MESSAGE });
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems = explainIssues(parsed.error.issues, data, schema).map((e) => ({
    path: formatPath([...prefix, ...e.path]),
    message: e.message,
  }));
  return { ok: false, problems };
}

export function validateSpec(raw: unknown): Checked<ReleaseGuardSpec> {
  return explain(ReleaseGuardSpec, raw ?? {}, ['spec']) as Checked<ReleaseGuardSpec>;
}

/**
 * In a ReleaseGuard, secrets (credentials, request bodies' secrets, a private CA) come
 * from the tenants Secret: `{ env: KEY }` names its key. `{ value }` would put a
 * credential in a resource many can read; `{ file }` points into the operator's own file
 * system, which a namespace editor must not be able to read through a probe.
 */
function operatorSecretProblems(policy: unknown, prefix: PathSegment[]): SpecProblem[] {
  const probe = (policy as { probe?: unknown } | null)?.probe;
  if (typeof probe !== 'object' || probe === null) return [];
  const problems: SpecProblem[] = [];
  const visit = (value: unknown, path: PathSegment[]) => {
    if (isSecretRefShape(value)) {
      const key = Object.keys(value)[0];
      if (key !== 'env') {
        problems.push({
          path: formatPath([...path, key ?? '']),
          message: `use { env: KEY } naming a key of tenantsSecretRef, not { ${key}: ... }`,
        });
      }
      return;
    }
    if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value))
        visit(v, [...path, Array.isArray(value) ? Number(k) : k]);
    }
  };
  visit(probe, [...prefix, 'probe']);
  return problems;
}

function needsProbe(policy: Policy, path: string): SpecProblem[] {
  if (policy.probe) return [];
  return [
    { path, message: 'the policy needs a probe section: the tenants that probe each release' },
  ];
}

/** Validates `spec.policy.inline`, kept opaque by the CRD. */
export function validateInlinePolicy(inline: unknown): Checked<Policy> {
  const prefix: PathSegment[] = ['spec', 'policy', 'inline'];
  const checked = explain(PolicySchema, inline, prefix);
  const tenants = (inline as { probe?: { tenants?: unknown } } | null)?.probe?.tenants;
  const jsonProblems = (Array.isArray(tenants) ? tenants : []).flatMap((tenant, i) => {
    const json = (tenant as { auth?: { login?: { json?: unknown } } } | null)?.auth?.login?.json;
    const base = [...prefix, 'probe', 'tenants', i, 'auth', 'login', 'json'];
    return jsonSecretRefProblems(json).map((p) => ({
      path: formatPath([...base, ...p.path]),
      message: p.message,
    }));
  });
  const problems = [
    ...(checked.ok ? needsProbe(checked.value as Policy, formatPath(prefix)) : checked.problems),
    ...jsonProblems,
    ...operatorSecretProblems(inline, prefix),
  ];
  if (!checked.ok || problems.length > 0) return { ok: false, problems };
  return { ok: true, value: checked.value as Policy };
}

/**
 * Validates the policy text read from the ConfigMap key. Problems carry the key's
 * line and column, as `vakt policy check` prints them.
 */
export function validateConfigMapPolicy(
  text: string,
  ref: { name: string; key: string },
): Checked<Policy> {
  const path = 'spec.policy.configMapRef';
  const loaded = parsePolicy(text, `configmap/${ref.name}[${ref.key}]`);
  if (!loaded.ok) {
    return {
      ok: false,
      problems: loaded.problems.map((p) => ({ path, message: formatProblem(p) })),
    };
  }
  const problems = [...needsProbe(loaded.policy, ''), ...operatorSecretProblems(loaded.policy, [])];
  if (problems.length > 0) {
    return {
      ok: false,
      problems: problems.map((p) => ({
        path,
        message: p.path ? `${p.path}: ${p.message}` : p.message,
      })),
    };
  }
  return { ok: true, value: loaded.policy };
}

/** One line naming the fields: what phase Invalid's message says. */
export function describeProblems(problems: SpecProblem[]): string {
  const lines = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
  const shown = lines.slice(0, 5).join('; ');
  return lines.length > 5 ? `${shown} (and ${lines.length - 5} more)` : shown;
}
