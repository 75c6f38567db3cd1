/**
 * The shape of a secret reference inside free-form JSON (login and request bodies): an
 * object whose only key is env, file or value. Kept apart from the resolver so the schema
 * can check the shape without importing what reads the secrets.
 */

const SECRET_KEYS = ['env', 'file', 'value'] as const;

/** Inside a login's JSON body, an object whose only key is env, file or value is a secret. */
export function isSecretRefShape(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (SECRET_KEYS as readonly string[]).includes(keys[0] ?? '');
}

export interface JsonSecretRefProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Finds malformed secret references in a login JSON body, which the schema leaves as
 * free-form JSON: `{ env: 3 }` must be reported when the policy is checked, not when a
 * probe is about to run.
 */
export function jsonSecretRefProblems(json: unknown): JsonSecretRefProblem[] {
  const problems: JsonSecretRefProblem[] = [];
  const visit = (value: unknown, path: (string | number)[]) => {
    if (isSecretRefShape(value)) {
      const [key, inner] = Object.entries(value)[0] ?? [];
      if (typeof inner !== 'string' || (key !== 'value' && inner === '')) {
        problems.push({
          path: [...path, key ?? ''],
          message: `a secret reference { ${key}: ... } needs a non-empty string`,
        });
      }
      return;
    }
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) visit(item, [...path, i]);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) visit(inner, [...path, key]);
    }
  };
  visit(json, []);
  return problems;
}
