import { z } from 'zod';
import { Policy } from './schema.ts';

/** Where editors and CI find the schema; kept stable so policy files can point at it. */
export const POLICY_SCHEMA_ID = 'https://vakt.dev/schemas/policy/v1alpha1.json';

/**
 * The JSON Schema (draft 2020-12) of policy files as people write them (`io: 'input'`:
 * fields with defaults are optional). Editors use it for completion and inline errors:
 * `# yaml-language-server: $schema=./vakt-policy.schema.json`.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(Policy, { io: 'input' });
  return {
    $schema,
    $id: POLICY_SCHEMA_ID,
    title: 'vakt policy',
    description:
      'A vakt policy (apiVersion vakt.dev/v1alpha1, kind Policy): the synthetic tenants that probe a release and the rules a release must pass.',
    ...rest,
  };
}

/** The schema file's exact text: 2-space JSON and a trailing newline. */
export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
