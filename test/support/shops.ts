import { afterEach } from 'vitest';
import { type Shop, type ShopOptions, startShop } from '../../src/shop/index.ts';

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
