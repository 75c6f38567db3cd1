import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import {
  NO_ACCOUNT,
  REAL_CUSTOMERS,
  type Shop,
  type ShopUser,
  TEST_USERS,
} from '../src/shop/index.ts';
import { foreignData } from '../src/shop/witness.ts';
import { shopsPerTest } from './support/shops.ts';

/**
 * The candidate's own witnesses the demo relies on: it counts requests by the credential
 * they presented (not by whom a flawed release resolves them to), and it records every
 * response it wrote that carried another account's data, with the moment of the first.
 */

const shopWith = shopsPerTest();

const [alice, bob] = TEST_USERS as [ShopUser, ShopUser];
const [maja, erik] = REAL_CUSTOMERS as [ShopUser, ShopUser];

async function get(shop: Shop, path: string, credential: string) {
  const res = await fetch(shop.url + path, { headers: { authorization: `Bearer ${credential}` } });
  return { status: res.status, body: await res.text() };
}

describe('the candidate counting who asked', () => {
  it('counts by the credential presented even when a flawed cache resolves it to someone else', async () => {
    const shop = await shopWith({ flaw: 'token-cache-key' });
    await get(shop, '/api/me', alice.token);
    // Every credential now resolves to alice: the release itself thinks maja is alice.
    const answer = await get(shop, '/api/me', maja.token);
    expect(answer.body).toContain(alice.email);
    expect(shop.stats.byUser.get('alice')).toBe(2);
    expect(shop.stats.byUser.get('maja')).toBeUndefined();
    expect(shop.stats.byCredential.get('alice')).toBe(1);
    expect(shop.stats.byCredential.get('maja')).toBe(1);
    // A credential nobody was issued, accepted by the flawed cache, is nobody's.
    await get(shop, '/api/me', 'shop_tok_0000000000000000');
    expect(shop.stats.byCredential.get(NO_ACCOUNT)).toBe(1);
  });
});

describe('the candidate’s record of leaking responses', () => {
  it('records none for a clean release', async () => {
    const shop = await shopWith();
    for (const u of [alice, bob, maja, erik]) {
      for (const path of ['/api/me', '/api/orders', '/api/profile']) await get(shop, path, u.token);
    }
    expect(shop.stats.crossUser.sent).toBe(0);
    expect(shop.stats.crossUser.first).toBeUndefined();
  });

  it('records a cached page served to the next user, and when it was written', async () => {
    const shop = await shopWith({ flaw: 'cache-without-user' });
    await get(shop, '/api/profile', alice.token);
    expect(shop.stats.crossUser.sent).toBe(0);
    const before = performance.now();
    await get(shop, '/api/profile', bob.token);
    const after = performance.now();
    await get(shop, '/api/profile', maja.token);
    const record = shop.stats.crossUser;
    expect(record.sent).toBe(2);
    expect(record.first).toMatchObject({ credentialOf: 'bob', dataOf: 'alice' });
    expect(record.first?.at).toBeGreaterThanOrEqual(before);
    expect(record.first?.at).toBeLessThanOrEqual(after);
    expect(Object.fromEntries(record.byCredential)).toEqual({ bob: 1, maja: 1 });
  });

  it('records another account’s e-mail in a header, though the body is right', async () => {
    const shop = await shopWith({ flaw: 'header-leak' });
    await get(shop, '/api/me', alice.token);
    const answer = await get(shop, '/api/me', bob.token);
    expect(answer.body).toContain(bob.email);
    expect(shop.stats.crossUser.first).toMatchObject({ credentialOf: 'bob', dataOf: 'alice' });
  });

  it('records test accounts served real customers’ records', async () => {
    const shop = await shopWith({ flaw: 'real-customers' });
    await get(shop, '/api/me', alice.token);
    expect(shop.stats.crossUser.first).toMatchObject({ credentialOf: 'alice', dataOf: 'maja' });
  });
});

describe('whose data a response carries', () => {
  const json = { 'content-type': 'application/json' };
  it.each<[string, ShopUser | undefined, Record<string, string>, ShopUser | undefined, string?]>([
    ['own body', alice, json, alice, undefined],
    ['another account’s body', bob, json, alice, 'alice'],
    ['a body for a credential that is nobody’s', undefined, json, alice, 'alice'],
    ['another account’s e-mail in a header', bob, { 'x-last': alice.email }, bob, 'alice'],
    ['own e-mail in a header', bob, { 'x-last': bob.email }, bob, undefined],
    ['no body owner and plain headers', bob, json, undefined, undefined],
  ])('%s', (_, caller, headers, bodyOwner, expected) => {
    expect(foreignData(caller, headers, bodyOwner)?.name).toBe(expected);
  });
});
