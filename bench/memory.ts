import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Figure, spawnShop } from './support.ts';

/** Peak RSS of a probe at concurrency 64 against 1 MiB bodies, measured in its own process. */
export async function benchMemory(): Promise<Figure[]> {
  const shop = await spawnShop({ padBytes: 1024 * 1024 });
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [
      resolve(import.meta.dirname, 'rss-probe.ts'),
      shop.url,
    ]);
    const result = JSON.parse(stdout) as { peakRssMb: number; sent: number; scannedMb: number };
    return [
      {
        name: 'peak RSS c=64, 1 MiB bodies',
        value: Math.round(result.peakRssMb),
        unit: 'MB',
        note: `target < 200; ${result.sent} requests, ${Math.round(result.scannedMb)} MiB scanned`,
      },
    ];
  } finally {
    await shop.stop();
  }
}
