import { readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { ShopUser } from '../src/shop/index.ts';
import {
  cachingEdge,
  honestEdge,
  type Nginx,
  type StartNginxOptions,
  startNginx,
  TEST_TLS,
} from './support/nginx.ts';
import { decodedJson, isGzip, rawRequest } from './support/raw-http.ts';
import { shopsPerTest, testUser } from './support/shops.ts';

/**
 * The clean sample shop behind a real nginx: the harness itself, and the edge
 * misconfiguration that leaks although the shop does nothing wrong.
 */

const shopWith = shopsPerTest();
const running: Nginx[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((nginx) => nginx.stop()));
});

async function edge(options: Omit<StartNginxOptions, 'upstreamPort'>): Promise<Nginx> {
  const shop = await shopWith();
  const nginx = await startNginx({ upstreamPort: shop.port, ...options });
  running.push(nginx);
  return nginx;
}

const alice = testUser('alice');
const bob = testUser('bob');

const gzipAs = (u: ShopUser) => ({ authorization: `Bearer ${u.token}`, 'accept-encoding': 'gzip' });

describe('a caching edge in front of the clean shop', () => {
  it('gzips /api/orders and serves alice’s cached copy to bob', async () => {
    const nginx = await edge({ config: cachingEdge });
    const first = await rawRequest(`${nginx.url}/api/orders`, { headers: gzipAs(alice) });
    expect(first.status).toBe(200);
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(first.headers['x-cache-status']).toBe('MISS');
    expect(isGzip(first.bytes)).toBe(true);
    expect(gunzipSync(first.bytes).toString('utf8')).toContain(alice.email);

    const second = await rawRequest(`${nginx.url}/api/orders`, { headers: gzipAs(bob) });
    expect(second.headers['x-cache-status']).toBe('HIT');
    expect(second.headers['content-encoding']).toBe('gzip');
    const seen = gunzipSync(second.bytes).toString('utf8');
    expect(seen).toContain(alice.email);
    expect(seen).toContain('ORD-u-1001');
    expect(seen).not.toContain(bob.email);

    // Only /api/orders is cached: bob's identity is still his own.
    const me = await rawRequest(`${nginx.url}/api/me`, { headers: gzipAs(bob) });
    expect(decodedJson(me).id).toBe(bob.id);
    expect(me.headers['x-cache-status']).toBeUndefined();
  });
});

describe('an honest edge in front of the clean shop', () => {
  it('compresses and gives bob his own orders', async () => {
    const nginx = await edge({ config: honestEdge });
    await rawRequest(`${nginx.url}/api/orders`, { headers: gzipAs(alice) });
    const second = await rawRequest(`${nginx.url}/api/orders`, { headers: gzipAs(bob) });
    expect(second.headers['content-encoding']).toBe('gzip');
    expect(second.headers['x-cache-status']).toBeUndefined();
    const seen = gunzipSync(second.bytes).toString('utf8');
    expect(seen).toContain(bob.email);
    expect(seen).not.toContain(alice.email);
  });

  it('serves https with the test CA’s certificate, trusted only with that CA', async () => {
    const nginx = await edge({ config: honestEdge, tls: TEST_TLS });
    expect(nginx.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const trusting = new Agent({ connect: { ca: readFileSync(TEST_TLS.ca) } });
    try {
      const reply = await rawRequest(`${nginx.url}/api/me`, {
        headers: { authorization: `Bearer ${alice.token}` },
        dispatcher: trusting,
      });
      expect(reply.status).toBe(200);
      expect(decodedJson(reply).id).toBe(alice.id);
    } finally {
      await trusting.close();
    }
    const untrusting = new Agent();
    try {
      await expect(rawRequest(`${nginx.url}/healthz`, { dispatcher: untrusting })).rejects.toThrow(
        /self[- ]signed|unable to (get|verify)/i,
      );
    } finally {
      await untrusting.close();
    }
  });
});

describe('the nginx harness', () => {
  it('reports a config nginx refuses, with nginx’s own words', async () => {
    const shop = await shopWith();
    await expect(
      startNginx({ upstreamPort: shop.port, config: () => 'no_such_directive on;' }),
    ).rejects.toThrow(/unknown directive "no_such_directive"/);
  });

  it('stops nginx and removes its dir', async () => {
    const nginx = await edge({ config: honestEdge });
    expect((await rawRequest(`${nginx.url}/healthz`)).status).toBe(200);
    await nginx.stop();
    await expect(access(nginx.dir)).rejects.toThrow(/ENOENT/);
    await expect(rawRequest(`${nginx.url}/healthz`)).rejects.toThrow();
    await nginx.stop();
  });
});
