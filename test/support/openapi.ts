/**
 * Checks a value against a CRD's openAPIV3Schema the way the API server treats the parts
 * CRDs use: type, properties (an unknown field would be pruned, silently: here an error),
 * additionalProperties, items, required, pattern, minLength and int-or-string. Enough to
 * tell whether an object the chart renders is one the CRD accepts as written.
 */

type Schema = Record<string, unknown>;

const TYPES: Record<string, (v: unknown) => boolean> = {
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  array: Array.isArray,
  string: (v) => typeof v === 'string',
  integer: Number.isInteger,
  number: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
};

/** Go's `(?i)` prefix is a flag in JavaScript. */
function regex(pattern: string): RegExp {
  return pattern.startsWith('^(?i)')
    ? new RegExp(`^${pattern.slice(5)}`, 'i')
    : new RegExp(pattern, 'u');
}

export function validate(value: unknown, schema: Schema, path = '$'): string[] {
  if (schema['x-kubernetes-int-or-string']) {
    return Number.isInteger(value) || typeof value === 'string'
      ? []
      : [`${path}: expected an integer or a string`];
  }
  const type = schema.type as string | undefined;
  if (type && !TYPES[type]?.(value))
    return [`${path}: expected ${type}, got ${JSON.stringify(value)}`];
  const errors: string[] = [];
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) {
      errors.push(`${path}: shorter than ${schema.minLength}`);
    }
    if (typeof schema.pattern === 'string' && !regex(schema.pattern).test(value)) {
      errors.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => {
      errors.push(...validate(item, schema.items as Schema, `${path}[${i}]`));
    });
  }
  if (TYPES.object?.(value)) {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!(key in object)) errors.push(`${path}.${key}: required`);
    }
    const properties = schema.properties as Record<string, Schema> | undefined;
    const additional = schema.additionalProperties as Schema | undefined;
    const open = schema['x-kubernetes-preserve-unknown-fields'] === true;
    for (const [key, field] of Object.entries(object)) {
      const fieldSchema = properties?.[key] ?? additional;
      if (fieldSchema) errors.push(...validate(field, fieldSchema, `${path}.${key}`));
      else if (properties && !open) errors.push(`${path}.${key}: unknown field (pruned)`);
    }
  }
  return errors;
}
