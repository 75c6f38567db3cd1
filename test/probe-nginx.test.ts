import { afterEach, describe, expect, it } from 'vitest';
import { runProbe } from '../src/probe/run.ts';
import { cachingEdge, honestEdge, type Nginx, startNginx, TEST_TLS } from './support/nginx.ts';
import { sampleConfig } from './support/shop-probe.ts';
import { shopsPerTest } from './support/shops.ts';

/**
 * The probe through a real edge, as users reach the shop: nginx compressing JSON for
 * clients that accept gzip, and (in one config) a Klarna-style cache rule for /api/orders.
 * The shop itself is the clean release: any leak is the edge's.
 */

const shopWith = shopsPerTest();
const running: Nginx[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((nginx) => nginx.stop()));
});

async function edge(config: typeof cachingEdge, tls = false): Promise<Nginx> {
  const shop = await shopWith();
  const nginx = await startNginx({
    upstreamPort: shop.port,
    config,
    ...(tls ? { tls: { cert: TEST_TLS.cert, key: TEST_TLS.key } } : {}),
  });
  running.push(nginx);
  return nginx;
}

describe('the probe through nginx', () => {
  it('catches a cache rule that ignores who asks, inside gzip bodies', async () => {
    const nginx = await edge(cachingEdge);
    const verdict = await runProbe(await sampleConfig(nginx.url, { requests: 3000 }));
    expect(verdict.outcome).toBe('leak');
    expect(verdict.leak).toMatchObject({
      kind: 'foreign-marker',
      request: { path: '/api/orders' },
    });
    // What shows why: the edge's own cache header, and that the body came compressed.
    expect(verdict.leak?.headers['x-cache-status']).toBe('HIT');
  });

  it('passes the clean shop behind an honest edge over HTTPS, speaking h2', async () => {
    const nginx = await edge(honestEdge, true);
    const config = await sampleConfig(nginx.url, { requests: 3000 });
    const verdict = await runProbe({ ...config, tls: { ca: await readCa() } });
    expect(verdict.leak).toBeUndefined();
    expect(verdict.outcome).toBe('pass');
    expect(verdict.counters.unchecked).toBe(0);
    expect(verdict.protocols).toEqual(['h2']);
  });
});

async function readCa(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(TEST_TLS.ca, 'utf8');
}
