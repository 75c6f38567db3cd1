// Writes the ReleaseGuard CRD generated from src/release/schema.ts:
// `node scripts/write-crd.ts`. A test fails while the file is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CRD_FILE, releaseGuardCrdText } from '../src/release/crd.ts';

const target = new URL(`../${CRD_FILE}`, import.meta.url);
mkdirSync(dirname(target.pathname), { recursive: true });
writeFileSync(target, releaseGuardCrdText());
console.log(`wrote ${target.pathname}`);
