import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { SAMPLE_POLICY } from '../test/support/shop-probe.ts';
import { type Figure, spawnShop } from './support.ts';

const run = promisify(execFile);
const PROBE = resolve(import.meta.dirname, 'rss-probe.ts');

interface RssResult {
  peakRssMb: number;
  sent: number;
  scannedMb: number;
  outcome: string;
}

/**
 * Peak RSS of a probe at concurrency 64 against 1 MiB bodies, measured in its own process:
 * once bundled (how the Action and the image ship it) and once from the TypeScript
 * sources (Node's type stripper adds its own memory).
 */
export async function benchMemory(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'vakt-bench-'));
  const bundle = join(dir, 'rss-probe.mjs');
  await build({
    entryPoints: [PROBE],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'warning',
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  const shop = await spawnShop({ padBytes: 1024 * 1024 });
  try {
    const measure = async (file: string) => {
      const { stdout } = await run(process.execPath, [file, shop.url, SAMPLE_POLICY]);
      return JSON.parse(stdout) as RssResult;
    };
    const bundled = await measure(bundle);
    const source = await measure(PROBE);
    const note = (r: RssResult) =>
      `${r.sent} requests, ${Math.round(r.scannedMb)} MiB scanned, ${r.outcome}`;
    return [
      {
        name: 'peak RSS c=64, 1 MiB bodies, bundled',
        value: Math.round(bundled.peakRssMb),
        unit: 'MB',
        note: `target < 200; ${note(bundled)}`,
      },
      {
        name: 'peak RSS c=64, 1 MiB bodies, from source',
        value: Math.round(source.peakRssMb),
        unit: 'MB',
        note: note(source),
      },
    ];
  } finally {
    await shop.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
