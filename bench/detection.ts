import { runProbe } from '../src/probe/run.ts';
import { FLAW_NAMES, FLAWS, startShop } from '../src/shop/index.ts';
import { sampleConfig } from '../test/support/shop-probe.ts';
import { type Figure, median } from './support.ts';

/**
 * For each flaw: requests sent and milliseconds until the first leak, median of 5 runs;
 * `label` says what ran beside it (see withCpuHogs).
 */
export async function benchDetection(runs = 5, label = 'idle'): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const flaw of FLAW_NAMES) {
    const requests: number[] = [];
    const millis: number[] = [];
    for (let i = 0; i < runs; i++) {
      const shop = await startShop({ flaw });
      try {
        const verdict = await runProbe(
          await sampleConfig(shop.url, { requests: 50_000, durationMs: 60_000 }),
        );
        if (!verdict.leak) throw new Error(`${flaw} was not detected: ${verdict.reason}`);
        requests.push(verdict.leak.request.number);
        millis.push(verdict.leak.elapsedMs);
      } finally {
        await shop.close();
      }
    }
    const target = FLAWS[flaw].deterministic ? 'target <= 10' : 'target <= 1000';
    figures.push(
      {
        name: `${flaw} requests to detect, ${label}`,
        value: median(requests),
        unit: 'requests',
        note: `median of ${runs}, max ${Math.max(...requests)}; ${target}`,
      },
      {
        name: `${flaw} time to detect, ${label}`,
        value: median(millis),
        unit: 'ms',
        note: `median of ${runs}`,
      },
    );
  }
  return figures;
}
