import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema, policyJsonSchemaText } from '../src/policy/json-schema.ts';

const SCHEMA_FILE = resolve(import.meta.dirname, '../policies/vakt-policy.schema.json');

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  additionalProperties?: unknown;
  minItems?: number;
  anyOf?: JsonSchema[];
  [key: string]: unknown;
};

describe('policy JSON Schema', () => {
  it('matches the committed file', () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    expect(
      committed === policyJsonSchemaText(),
      'policies/vakt-policy.schema.json is stale: run `node scripts/write-schema.ts` and commit it',
    ).toBe(true);
  });

  it('is a draft 2020-12 schema with an id and a title', () => {
    const schema = policyJsonSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toMatch(/^https:\/\//);
    expect(schema.title).toBe('vakt policy');
  });

  it('describes what people write: strict objects, required fields, defaults optional', () => {
    const schema = policyJsonSchema() as JsonSchema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['apiVersion', 'kind']);
    const probe = schema.properties?.probe as JsonSchema;
    expect(probe.required).toEqual(['tenants', 'identity']);
    expect(probe.properties?.tenants?.minItems).toBe(2);
    const tenant = probe.properties?.tenants?.items as JsonSchema;
    expect(tenant.additionalProperties).toBe(false);
    expect(tenant.required).toEqual(['name', 'identity', 'auth']);
    const bearer = tenant.properties?.auth?.properties?.bearer as JsonSchema;
    expect(bearer.anyOf?.map((option) => option.required)).toEqual([['env'], ['file'], ['value']]);
    expect(probe.properties?.load?.required).toBeUndefined();
  });
});
