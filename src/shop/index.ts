export type { FlawInfo, FlawName } from './flaws.ts';
export { FLAW_NAMES, FLAWS } from './flaws.ts';
export { sampleShopEnv, sampleShopExports } from './sample-env.ts';
export type { Shop, ShopOptions, ShopStats } from './server.ts';
export { startShop } from './server.ts';
export type { ShopUser } from './users.ts';
export { REAL_CUSTOMERS, TEST_USERS } from './users.ts';
export type { CrossUserRecord } from './witness.ts';
export { NO_ACCOUNT } from './witness.ts';
