import { TEST_USERS } from './users.ts';

/**
 * The environment policies/sample-shop.yaml reads its tenants' credentials from, filled
 * with the shop's test users. `vakt shop` prints it as export lines, so the probe example
 * runs by copy and paste; these are the sample's own synthetic users, never real ones.
 */
export function sampleShopEnv(): Record<string, string> {
  const user = (name: string) => {
    const found = TEST_USERS.find((u) => u.name === name);
    if (!found) throw new Error(`no test user ${name}`);
    return found;
  };
  return {
    ALICE_TOKEN: user('alice').token,
    BOB_PASSWORD: user('bob').password,
    CAROL_PASSWORD: user('carol').password,
    DAVE_API_KEY: user('dave').apiKey ?? '',
  };
}

/** The same as shell lines to paste: `export NAME=value`, one a line. */
export function sampleShopExports(): string {
  return Object.entries(sampleShopEnv())
    .map(([name, value]) => `export ${name}=${value}\n`)
    .join('');
}
