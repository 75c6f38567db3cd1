import { describe, expect, it } from 'vitest';
import { NO_ACCOUNT } from '../src/shop/index.ts';
import { decodedJson, decodedText, isGzip, rawRequest } from './support/raw-http.ts';
import { asUser, GZIP, get, shopsPerTest, testUser } from './support/shops.ts';

const shopWith = shopsPerTest();

const alice = testUser('alice');
const bob = testUser('bob');
const dave = testUser('dave');

describe('compressing-edge', () => {
  it('serves the first user’s compressed page to the next user who decodes', async () => {
    const shop = await shopWith({ flaw: 'compressing-edge' });
    for (const path of ['/api/orders', '/api/profile']) {
      const first = await get(shop, path, asUser(alice, GZIP));
      expect(first.headers['x-cache']).toBe('MISS');
      expect(decodedText(first)).toContain(alice.email);

      const second = await get(shop, path, asUser(bob, GZIP));
      expect(second.headers['x-cache']).toBe('HIT');
      expect(second.headers['content-encoding']).toBe('gzip');
      expect(second.headers.age).toMatch(/^\d+$/);
      expect(isGzip(second.bytes)).toBe(true);
      const seen = decodedText(second);
      expect(seen).toContain(alice.email);
      expect(seen).not.toContain(bob.email);
      // Read without decoding, the leaked bytes show nobody's markers.
      expect(second.bytes.includes(alice.email)).toBe(false);
    }
    expect(decodedText(await get(shop, '/api/orders', asUser(alice, GZIP)))).toContain(
      'ORD-u-1001',
    );
    expect(shop.stats.crossUser.first).toMatchObject({ credentialOf: 'bob', dataOf: 'alice' });
    expect(shop.stats.crossUser.byCredential.get('bob')).toBe(2);
  });

  it('keeps plain responses and /api/me correct, and each coding apart', async () => {
    const shop = await shopWith({ flaw: 'compressing-edge' });
    await get(shop, '/api/orders', asUser(alice, GZIP));
    await get(shop, '/api/orders', asUser(alice));
    const plain = await get(shop, '/api/orders', asUser(bob));
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['x-cache']).toBeUndefined();
    expect(decodedText(plain)).toContain(bob.email);

    const brotli = await get(shop, '/api/orders', asUser(bob, { 'accept-encoding': 'br' }));
    expect(brotli.headers['x-cache']).toBe('MISS');
    expect(decodedText(brotli)).toContain(bob.email);

    await get(shop, '/api/me', asUser(alice, GZIP));
    const me = await get(shop, '/api/me', asUser(bob, GZIP));
    expect(decodedJson(me).id).toBe(bob.id);
    expect(me.headers['x-cache']).toBeUndefined();
  });
});

describe('API keys', () => {
  it('sign dave in with X-Api-Key; nothing signs in an anonymous request', async () => {
    const shop = await shopWith();
    expect(dave.apiKey).toMatch(/^shop_key_[0-9a-f]{16}$/);
    const me = await get(shop, '/api/me', { 'x-api-key': dave.apiKey ?? '' });
    expect(decodedJson(me)).toEqual({ id: dave.id, name: dave.displayName, email: dave.email });
    await get(shop, '/api/orders', { 'x-api-key': dave.apiKey ?? '' });
    for (const path of ['/api/me', '/api/orders', '/api/profile']) {
      const anonymous = await get(shop, path);
      expect(anonymous.status, path).toBe(401);
      expect(decodedText(anonymous)).not.toContain(dave.email);
    }
    expect((await get(shop, '/api/me', { 'x-api-key': 'shop_key_0000000000000000' })).status).toBe(
      401,
    );
  });
});

describe('api-key-cache', () => {
  it('serves dave’s API-key responses to anonymous requests', async () => {
    const shop = await shopWith({ flaw: 'api-key-cache' });
    expect((await get(shop, '/api/orders')).status).toBe(401);

    const own = await get(shop, '/api/orders', { 'x-api-key': dave.apiKey ?? '' });
    expect(own.status).toBe(200);
    expect(own.headers['x-cache']).toBe('MISS');
    expect(decodedText(own)).toContain('ORD-u-1004');

    const anonymous = await get(shop, '/api/orders');
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers['x-cache']).toBe('HIT');
    const leaked = decodedText(anonymous);
    expect(leaked).toContain(dave.email);
    expect(leaked).toContain(dave.address);
    expect(leaked).toContain('ORD-u-1004');

    await get(shop, '/api/me', { 'x-api-key': dave.apiKey ?? '' });
    expect(decodedJson(await get(shop, '/api/me')).id).toBe(dave.id);
    expect(shop.stats.crossUser.byCredential.get(NO_ACCOUNT)).toBe(2);
  });

  it('bypasses the cache for Authorization and Cookie, so those users get their own', async () => {
    const shop = await shopWith({ flaw: 'api-key-cache' });
    await get(shop, '/api/orders', { 'x-api-key': dave.apiKey ?? '' });
    const withToken = await get(shop, '/api/orders', asUser(alice));
    expect(withToken.headers['x-cache']).toBeUndefined();
    expect(decodedText(withToken)).toContain(alice.email);

    const login = await rawRequest(`${shop.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'bob', password: bob.password }),
    });
    const sid = (login.headers['set-cookie'] ?? '').split(';')[0] ?? '';
    const withCookie = await get(shop, '/api/orders', { cookie: sid });
    expect(decodedText(withCookie)).toContain(bob.email);
    expect(decodedText(withCookie)).not.toContain(dave.email);
  });
});
