// Writes policies/vakt-policy.schema.json from the zod schema. Run after changing
// src/policy/schema.ts: `node scripts/write-schema.ts`. A test fails while the file is stale.
import { writeFileSync } from 'node:fs';
import { policyJsonSchemaText } from '../src/policy/json-schema.ts';

const target = new URL('../policies/vakt-policy.schema.json', import.meta.url);
writeFileSync(target, policyJsonSchemaText());
console.log(`wrote ${target.pathname}`);
