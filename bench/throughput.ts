import autocannon from 'autocannon';
import { runProbe } from '../src/probe/run.ts';
import { TEST_USERS } from '../src/shop/index.ts';
import { sampleConfig } from '../test/support/shop-probe.ts';
import { type Figure, spawnShop } from './support.ts';

/**
 * Probe throughput on the clean shop next to autocannon against the same server in the
 * same run. autocannon only sends and counts; the probe also logs in, streams every body
 * through the marker matcher, parses identities and abandons 1% of requests, so a ratio
 * near 1 means the checking costs little.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** The paths policies/sample-shop.yaml probes. */
const PROBE_PATHS = ['/api/me', '/api/orders', '/api/profile', '/api/catalog'];

/** autocannon on the given paths, cycled per connection, as alice. */
async function autocannonRate(url: string, connections: number, paths: string[]): Promise<number> {
  const token = TEST_USERS[0]?.token ?? '';
  const result = await autocannon({
    url,
    connections,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}` },
    requests: paths.map((path) => ({ method: 'GET', path })),
  });
  return result.requests.average;
}

async function probeRate(url: string, concurrency: number): Promise<number> {
  const config = await sampleConfig(url, {
    requests: 10_000_000,
    concurrency,
    durationMs: SECONDS * 1000,
  });
  const verdict = await runProbe(config);
  if (verdict.leak) throw new Error(`clean shop leaked: ${verdict.reason}`);
  return verdict.counters.sent / (verdict.durationMs / 1000);
}

export async function benchThroughput(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const concurrency of [16, 64]) {
    const shop = await spawnShop();
    try {
      const meOnly = await autocannonRate(shop.url, concurrency, ['/api/me']);
      const sameMix = await autocannonRate(shop.url, concurrency, PROBE_PATHS);
      const probe = await probeRate(shop.url, concurrency);
      const c = `c=${concurrency}`;
      figures.push(
        { name: `autocannon ${c}, /api/me only`, value: Math.round(meOnly), unit: 'req/s' },
        { name: `autocannon ${c}, the probe's paths`, value: Math.round(sameMix), unit: 'req/s' },
        {
          name: `vakt probe ${c}`,
          value: Math.round(probe),
          unit: 'req/s',
          note: 'logins, 1% cancels, every body scanned',
        },
        {
          name: `probe/autocannon ${c}`,
          value: probe / sameMix,
          unit: 'x',
          note: 'same paths; target >= 0.6',
        },
        { name: `probe/autocannon ${c}, vs /api/me only`, value: probe / meOnly, unit: 'x' },
      );
    } finally {
      await shop.stop();
    }
  }
  return figures;
}
