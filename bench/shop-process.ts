// Runs the sample shop in a process of its own, so a benchmark's client and server do
// not share one event loop. Prints {"url": ...} once listening; SIGTERM stops it.
import { type ShopOptions, startShop } from '../src/shop/index.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as ShopOptions;
const shop = await startShop(options);
process.stdout.write(`${JSON.stringify({ url: shop.url })}\n`);
process.on('SIGTERM', () => {
  void shop.close().then(() => process.exit(0));
});
