// Writes charts/vakt/values.schema.json generated from src/chart/values-schema.ts:
// `node scripts/write-chart-schema.ts`. test/chart-schema.test.ts fails while the file is stale.
import { writeFileSync } from 'node:fs';
import { chartValuesJsonSchemaText, VALUES_SCHEMA_FILE } from '../src/chart/values-schema.ts';

const target = new URL(`../${VALUES_SCHEMA_FILE}`, import.meta.url);
writeFileSync(target, chartValuesJsonSchemaText());
console.log(`wrote ${target.pathname}`);
