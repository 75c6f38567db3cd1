import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Environment } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  CRD_FILE,
  releaseGuardCrd,
  releaseGuardCrdText,
  releaseGuardOpenApiSchema,
} from '../src/release/crd.ts';
import { type SchemaNode, StructuralSchemaError, toStructural } from '../src/release/structural.ts';

const FILE = resolve(import.meta.dirname, '..', CRD_FILE);

/** Every schema node with its path, depth first. */
function* nodes(node: SchemaNode, path = '$'): Generator<[string, SchemaNode]> {
  yield [path, node];
  const properties = (node.properties ?? {}) as Record<string, SchemaNode>;
  for (const [name, child] of Object.entries(properties)) yield* nodes(child, `${path}.${name}`);
  if (node.items) yield* nodes(node.items as SchemaNode, `${path}[]`);
  if (typeof node.additionalProperties === 'object') {
    yield* nodes(node.additionalProperties as SchemaNode, `${path}.*`);
  }
}

describe('ReleaseGuard CRD', () => {
  it('matches the committed file', () => {
    const committed = readFileSync(FILE, 'utf8');
    expect(
      committed === releaseGuardCrdText(),
      `${CRD_FILE} is stale: run \`node scripts/write-crd.ts\` and commit it`,
    ).toBe(true);
    expect(parse(committed)).toEqual(releaseGuardCrd());
  });

  it('says it is generated and how to regenerate it', () => {
    expect(readFileSync(FILE, 'utf8')).toMatch(/^# Generated .*\n# Regenerate with `node scripts/);
  });

  it('is namespaced, short name rg, with a status subresource and printer columns', () => {
    const crd = releaseGuardCrd() as {
      spec: {
        scope: string;
        names: { shortNames: string[]; kind: string };
        versions: {
          name: string;
          subresources: unknown;
          additionalPrinterColumns: { name: string }[];
        }[];
      };
    };
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.kind).toBe('ReleaseGuard');
    expect(crd.spec.names.shortNames).toEqual(['rg']);
    const [version] = crd.spec.versions;
    expect(version?.name).toBe('v1alpha1');
    expect(version?.subresources).toEqual({ status: {} });
    expect(version?.additionalPrinterColumns.map((c) => c.name)).toEqual([
      'Phase',
      'Stable',
      'Candidate',
      'Approvals',
      'Age',
    ]);
  });

  it('is structural: types everywhere, no unions or references, objects say what they hold', () => {
    const text = JSON.stringify(releaseGuardOpenApiSchema());
    for (const word of ['oneOf', 'anyOf', 'allOf', '"not"', '$ref', '$defs']) {
      expect(text, word).not.toContain(word);
    }
    for (const [path, node] of nodes(releaseGuardOpenApiSchema())) {
      expect(node.type, `${path} has a type`).toBeTypeOf('string');
      if (node.type === 'object' && path !== '$.metadata') {
        const says =
          'properties' in node ||
          'additionalProperties' in node ||
          node['x-kubernetes-preserve-unknown-fields'] === true;
        expect(says, `${path} lists properties or preserves unknown fields`).toBe(true);
        expect(node.additionalProperties, `${path} additionalProperties`).not.toBe(false);
      }
      expect(node.maximum, `${path} has no safe-integer noise`).not.toBe(Number.MAX_SAFE_INTEGER);
    }
  });

  it('leaves the root metadata to the API server, which rejects anything but its type there', () => {
    // apiextensions validation: "must not specify anything other than name and generateName".
    const schema = releaseGuardOpenApiSchema() as { properties: Record<string, SchemaNode> };
    expect(schema.properties.metadata).toEqual({ type: 'object' });
    const crd = parse(readFileSync(FILE, 'utf8')) as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { metadata: unknown } } } }[] };
    };
    for (const version of crd.spec.versions) {
      expect(version.schema.openAPIV3Schema.properties.metadata).toEqual({ type: 'object' });
    }
  });

  it('keeps the inline policy and stored templates opaque, and the spec fields named in the issue', () => {
    const schema = releaseGuardOpenApiSchema() as {
      properties: Record<string, SchemaNode & { properties: Record<string, SchemaNode> }>;
    };
    const spec = schema.properties.spec;
    expect(Object.keys(spec?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'targetRef',
        'service',
        'policy',
        'tenantsSecretRef',
        'source',
        'probe',
        'bakeTime',
      ]),
    );
    const policy = spec?.properties.policy as { properties: Record<string, SchemaNode> };
    expect(policy.properties.inline?.['x-kubernetes-preserve-unknown-fields']).toBe(true);
    const status = schema.properties.status as { properties: Record<string, SchemaNode> };
    const stable = status.properties.stable as { properties: Record<string, SchemaNode> };
    expect(stable.properties.template?.['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(status.properties.decisions?.maxItems).toBe(20);
  });

  it('rejects unions and references with the path of the offence', () => {
    const union = z.toJSONSchema(z.object({ a: z.union([z.string(), z.number()]) }), {
      target: 'openapi-3.0',
    });
    expect(() => toStructural(union as SchemaNode)).toThrow(StructuralSchemaError);
    expect(() => toStructural(union as SchemaNode)).toThrow(/\$\.a: "anyOf"/);
    expect(() =>
      toStructural({ type: 'object', properties: { b: { $ref: '#/x' } } } as SchemaNode),
    ).toThrow(/\$\.b: "\$ref"/);
    expect(() => toStructural({ type: 'object' })).toThrow(/needs properties/);
  });
});

describe('spec.targetRef', () => {
  // The API server runs the CRD's transition rules on every update, for every user.
  const env = new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true });
  const schema = releaseGuardOpenApiSchema();
  const spec = (schema.properties as Record<string, SchemaNode>).spec as SchemaNode;
  const targetRef = (spec.properties as Record<string, SchemaNode>).targetRef as SchemaNode;
  const rules = targetRef['x-kubernetes-validations'] as { rule: string; message: string }[];
  const holds = (self: unknown, oldSelf: unknown) =>
    rules.every((r) => env.evaluate(r.rule, { self, oldSelf }) === true);

  it('cannot be pointed at another Deployment once the guard exists', () => {
    const shop = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop' };
    expect(holds(shop, shop)).toBe(true);
    expect(holds({ ...shop, name: 'shop-old' }, shop)).toBe(false);
    expect(rules.map((r) => r.message).join()).toMatch(/create a ReleaseGuard for the other/);
  });

  it('is in the committed CRD, where the API server reads it', () => {
    const crd = parse(readFileSync(FILE, 'utf8'));
    const committed =
      crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.targetRef;
    expect(committed['x-kubernetes-validations']).toEqual(rules);
  });
});
