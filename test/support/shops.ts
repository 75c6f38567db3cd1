import { afterEach } from 'vitest';
import {
  type Shop,
  type ShopOptions,
  type ShopUser,
  startShop,
  TEST_USERS,
} from '../../src/shop/index.ts';
import { type RawReply, rawRequest } from './raw-http.ts';

/** Starts sample shops for a test file; each test's shops close after it. */
export function shopsPerTest(): (options?: ShopOptions) => Promise<Shop> {
  const open: Shop[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((shop) => shop.close()));
  });
  return async (options = {}) => {
    const shop = await startShop(options);
    open.push(shop);
    return shop;
  };
}

/** One of the shop's test users, by name. */
export function testUser(name: string): ShopUser {
  const found = TEST_USERS.find((u) => u.name === name);
  if (!found) throw new Error(`no test user ${name}`);
  return found;
}

/** A GET on the shop, its bytes as they came (see raw-http.ts). */
export function get(
  shop: Shop,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawReply> {
  return rawRequest(shop.url + path, { headers });
}

/** The headers of a request as `user`, by their bearer token. */
export function asUser(user: ShopUser, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${user.token}`, ...extra };
}

export const GZIP = { 'accept-encoding': 'gzip' };
