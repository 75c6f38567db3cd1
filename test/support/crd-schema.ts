import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';

/**
 * A structural check of custom resources against the openAPIV3Schema their project
 * publishes (test/fixtures/crds). Kubernetes prunes fields a structural schema does not
 * list, silently: here an unlisted field is an error, so a misspelt field is caught.
 */
const FIXTURES = resolve(import.meta.dirname, '../fixtures/crds');

const SCHEMAS: Record<string, string> = {
  'argoproj.io/v1alpha1 Rollout': 'argo-rollouts-rollout.yaml',
  'argoproj.io/v1alpha1 AnalysisTemplate': 'argo-rollouts-analysistemplate.yaml',
  'flagger.app/v1beta1 Canary': 'flagger-canary.yaml',
};

type Node = Record<string, unknown>;

/** The published schema as JSON Schema: Kubernetes' extensions turned into what they mean. */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const source = node as Node;
  const out: Node = {};
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith('x-kubernetes-')) continue;
    out[key] =
      key === 'properties'
        ? Object.fromEntries(
            Object.entries(value as Node).map(([name, child]) => [name, toJsonSchema(child)]),
          )
        : toJsonSchema(value);
  }
  if (source['x-kubernetes-int-or-string'] === true && out.anyOf === undefined) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  const open = source['x-kubernetes-preserve-unknown-fields'] === true;
  if (source.properties !== undefined && source.additionalProperties === undefined && !open) {
    out.additionalProperties = false;
  }
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validators = new Map(
  Object.entries(SCHEMAS).map(([kind, file]) => [
    kind,
    ajv.compile(toJsonSchema(parse(readFileSync(resolve(FIXTURES, file), 'utf8'))) as object),
  ]),
);

export function schemaKinds(): string[] {
  return [...validators.keys()];
}

/** Problems with one object, as "path: what is wrong"; undefined when no schema covers it. */
export function crdProblems(object: Node): string[] | undefined {
  const validate = validators.get(`${object.apiVersion} ${object.kind}`);
  if (!validate) return undefined;
  if (validate(object)) return [];
  return (validate.errors ?? []).map(describe);
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || '/';
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  return `${where}: ${error.message ?? error.keyword}`;
}
