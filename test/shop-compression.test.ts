import { describe, expect, it } from 'vitest';
import { COMPRESS_MIN_BYTES, negotiateCoding } from '../src/shop/encoding.ts';
import { TEST_USERS } from '../src/shop/index.ts';
import { decodedJson, decodedText, isGzip } from './support/raw-http.ts';
import { asUser, GZIP, get, shopsPerTest, testUser } from './support/shops.ts';

const shopWith = shopsPerTest();

const alice = testUser('alice');
const bob = testUser('bob');

describe('content negotiation', () => {
  it.each([
    [undefined, undefined],
    ['gzip', 'gzip'],
    ['gzip, deflate', 'gzip'],
    ['gzip, br', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['gzip;q=0', undefined],
    ['identity', undefined],
    ['*', 'br'],
    ['*;q=0.2, br;q=0', 'gzip'],
    ['GZIP ; q=1', 'gzip'],
  ])('Accept-Encoding %s picks %s', (header, coding) => {
    expect(negotiateCoding(header)).toBe(coding);
  });
});

describe('every release compresses large responses for clients that accept it', () => {
  it('gzips and brotli-encodes the account pages, and leaves plain clients and /api/me plain', async () => {
    const shop = await shopWith();
    const gzipped = await get(shop, '/api/orders', asUser(alice, GZIP));
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toBe('accept-encoding');
    expect(isGzip(gzipped.bytes)).toBe(true);
    expect(Number(gzipped.headers['content-length'])).toBe(gzipped.bytes.length);
    expect(decodedText(gzipped)).toContain(alice.email);
    // Compressed, the markers are not in the bytes: only a client that decodes sees them.
    expect(gzipped.bytes.includes(alice.email)).toBe(false);

    const brotli = await get(shop, '/api/profile', asUser(alice, { 'accept-encoding': 'br' }));
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(decodedJson(brotli)).toMatchObject({ id: alice.id, address: alice.address });

    const plain = await get(shop, '/api/orders', asUser(alice));
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('accept-encoding');
    expect(plain.bytes.length).toBeGreaterThanOrEqual(COMPRESS_MIN_BYTES);
    expect(decodedText(plain)).toBe(decodedText(gzipped));

    const me = await get(shop, '/api/me', asUser(alice, GZIP));
    expect(me.headers['content-encoding']).toBeUndefined();
    expect(me.bytes.length).toBeLessThan(COMPRESS_MIN_BYTES);
    expect(decodedJson(me).id).toBe(alice.id);
  });

  it('compresses every account page of every test user over the threshold', async () => {
    const shop = await shopWith();
    for (const u of TEST_USERS) {
      for (const path of ['/api/orders', '/api/profile']) {
        const reply = await get(shop, path, asUser(u, GZIP));
        expect(reply.headers['content-encoding'], `${u.name} ${path}`).toBe('gzip');
        expect(decodedText(reply)).toContain(u.email);
      }
    }
  });

  it('clean: a second user asking the same compressed page gets their own', async () => {
    const shop = await shopWith();
    await get(shop, '/api/orders', asUser(alice, GZIP));
    const second = await get(shop, '/api/orders', asUser(bob, GZIP));
    expect(second.headers['x-cache']).toBeUndefined();
    const text = decodedText(second);
    expect(text).toContain(bob.email);
    expect(text).not.toContain(alice.email);
  });
});
