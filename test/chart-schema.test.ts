import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ChartValues,
  chartValuesJsonSchemaText,
  VALUES_SCHEMA_COMMAND,
  VALUES_SCHEMA_FILE,
} from '../src/chart/values-schema.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SCHEMA_FILE = resolve(ROOT, VALUES_SCHEMA_FILE);
const VALUES_FILE = resolve(ROOT, 'charts/vakt/values.yaml');

describe('chart values schema', () => {
  it('matches the committed values.schema.json', () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    expect(
      committed === chartValuesJsonSchemaText(),
      `${VALUES_SCHEMA_FILE} is stale: run \`${VALUES_SCHEMA_COMMAND}\` and commit it`,
    ).toBe(true);
  });

  it('is draft 7 JSON Schema, the draft Helm 3 validates with, with no references', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(readFileSync(SCHEMA_FILE, 'utf8')).not.toContain('$ref');
  });

  it('accepts the chart defaults', () => {
    const values = parse(readFileSync(VALUES_FILE, 'utf8'));
    const checked = ChartValues.safeParse(values);
    expect(checked.success, JSON.stringify(checked.error?.issues)).toBe(true);
  });

  it('rejects typos, wrong types and out-of-range numbers', () => {
    const values = parse(readFileSync(VALUES_FILE, 'utf8')) as Record<string, unknown>;
    const bad: Record<string, unknown>[] = [
      { ...values, replicaCount: -1 },
      { ...values, replicaCas: 2 },
      { ...values, image: { ...(values.image as object), tag: 1.2 } },
      { ...values, watchNamespace: 'Not_A_Namespace' },
      { ...values, logLevel: 'verbose' },
      { ...values, github: { existingSecret: '', apiUrl: 'ftp://example.com' } },
    ];
    for (const candidate of bad) expect(ChartValues.safeParse(candidate).success).toBe(false);
  });
});
