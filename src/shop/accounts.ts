import { ALL_USERS, REAL_CUSTOMERS, type ShopUser, TEST_USERS } from './users.ts';

/** The shop's customer table, keyed by account id: what the simulated database answers from. */
export const ACCOUNTS: ReadonlyMap<string, ShopUser> = new Map(
  ALL_USERS.map((user) => [user.id, user]),
);

export function accountById(id: string): ShopUser {
  const account = ACCOUNTS.get(id);
  if (!account) throw new Error(`no account ${id}`);
  return account;
}

/**
 * Maps a signed-in user to the account whose data it sees. A correct migration keeps every
 * user on its own account; the botched one moved the test accounts onto real customers.
 */
export function accountMapping(botchedMigration: boolean): (user: ShopUser) => string {
  if (!botchedMigration) return (user) => user.id;
  const moved = new Map<string, string>();
  TEST_USERS.forEach((user, index) => {
    const customer = REAL_CUSTOMERS[index % REAL_CUSTOMERS.length];
    if (customer) moved.set(user.id, customer.id);
  });
  return (user) => moved.get(user.id) ?? user.id;
}
