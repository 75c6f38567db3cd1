/**
 * Turns zod's OpenAPI 3.0 output into a Kubernetes structural schema
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema):
 * every node has a type, objects list their properties or say they keep unknown fields,
 * and there are no unions or references, which the API server rejects or cannot prune by.
 */

export type SchemaNode = Record<string, unknown>;

const FORBIDDEN = ['oneOf', 'anyOf', 'allOf', 'not', '$ref', '$defs', 'definitions'];
const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
/** zod bounds every integer by the safe-integer range; in a CRD that is noise. */
const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

export class StructuralSchemaError extends Error {
  override name = 'StructuralSchemaError';
}

function isEmptySchema(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/** Returns a structural copy of `node`, or throws naming the path of the first offence. */
export function toStructural(node: SchemaNode, path = '$'): SchemaNode {
  for (const key of FORBIDDEN) {
    if (key in node) {
      throw new StructuralSchemaError(
        `${path}: "${key}" cannot appear in a CRD schema; express the choice as optional fields and a superRefine check`,
      );
    }
  }
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema') continue;
    if (key === 'maximum' && value === SAFE_INTEGER) continue;
    if (key === 'minimum' && value === -SAFE_INTEGER) continue;
    if (key === 'properties') {
      const properties = value as Record<string, SchemaNode>;
      out.properties = Object.fromEntries(
        Object.entries(properties).map(([name, child]) => [
          name,
          toStructural(child, `${path}.${name}`),
        ]),
      );
    } else if (key === 'items') {
      out.items = toStructural(value as SchemaNode, `${path}[]`);
    } else if (key === 'additionalProperties') {
      // false beside properties is the default for structural schemas (unknown fields are
      // pruned); {} means "anything", which Kubernetes spells preserve-unknown-fields.
      if (value === false) continue;
      if (isEmptySchema(value)) out[PRESERVE] = true;
      else out.additionalProperties = toStructural(value as SchemaNode, `${path}.*`);
    } else {
      out[key] = value;
    }
  }
  if (out.type === undefined) {
    throw new StructuralSchemaError(`${path}: every node of a CRD schema needs a type`);
  }
  if ('properties' in out && 'additionalProperties' in out) {
    throw new StructuralSchemaError(
      `${path}: an object cannot have both properties and an additionalProperties schema`,
    );
  }
  if (
    out.type === 'object' &&
    !('properties' in out) &&
    !('additionalProperties' in out) &&
    out[PRESERVE] !== true
  ) {
    throw new StructuralSchemaError(
      `${path}: an object needs properties, additionalProperties or ${PRESERVE}`,
    );
  }
  return out;
}
