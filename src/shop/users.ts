/** An account the shop knows: who it is, what it owns, and how it signs in. */
export interface ShopUser {
  name: string;
  id: string;
  displayName: string;
  email: string;
  address: string;
  password: string;
  token: string;
  /** A long-lived key sent as `X-Api-Key`, for accounts that call the API from a script. */
  apiKey?: string;
}

/** The synthetic test users (tenants) the probe signs in as. Policies elsewhere use these values. */
export const TEST_USERS: readonly ShopUser[] = [
  {
    name: 'alice',
    id: 'u-1001',
    displayName: 'Alice Probe',
    email: 'alice@probe.example',
    address: 'Probegatan 1',
    password: 'alice-pw-Q7x2',
    token: 'shop_tok_3f9a1c7e5b2d4a60',
  },
  {
    name: 'bob',
    id: 'u-1002',
    displayName: 'Bob Probe',
    email: 'bob@probe.example',
    address: 'Testvägen 2',
    password: 'bob-pw-M4k8',
    token: 'shop_tok_8c2e6a4f1d9b7e35',
  },
  {
    name: 'carol',
    id: 'u-1003',
    displayName: 'Carol Probe',
    email: 'carol@probe.example',
    address: 'Provstigen 3',
    password: 'carol-pw-Z1n5',
    token: 'shop_tok_5d7b9e1a3c6f8042',
  },
  {
    name: 'dave',
    id: 'u-1004',
    displayName: 'Dave Probe',
    email: 'dave@probe.example',
    address: 'Kontrollgränd 4',
    password: 'dave-pw-T6h3',
    token: 'shop_tok_e4a1c8f2b6d3907d',
    apiKey: 'shop_key_9b2d7f4e1a6c3058',
  },
];

/** Real customers. Serving one of these to a test user is a leak of real personal data. */
export const REAL_CUSTOMERS: readonly ShopUser[] = [
  {
    name: 'maja',
    id: 'c-9001',
    displayName: 'Maja Lind',
    email: 'maja.lind@customer.example',
    address: 'Storgatan 12',
    password: 'maja-pw-R8c1',
    token: 'shop_tok_a71c0e94d25b38f6',
  },
  {
    name: 'erik',
    id: 'c-9002',
    displayName: 'Erik Berg',
    email: 'erik.berg@customer.example',
    address: 'Sjövägen 7',
    password: 'erik-pw-H2v9',
    token: 'shop_tok_19d4b7e2c058fa3e',
  },
  {
    name: 'noor',
    id: 'c-9003',
    displayName: 'Noor Ahmadi',
    email: 'noor.ahmadi@customer.example',
    address: 'Parkvägen 31',
    password: 'noor-pw-K5d7',
    token: 'shop_tok_6e0b2f8a41c97d53',
  },
  {
    name: 'lars',
    id: 'c-9004',
    displayName: 'Lars Holm',
    email: 'lars.holm@customer.example',
    address: 'Ängsgatan 4',
    password: 'lars-pw-W3p6',
    token: 'shop_tok_d28f5a0c7e1b4963',
  },
  {
    name: 'ingrid',
    id: 'c-9005',
    displayName: 'Ingrid Sund',
    email: 'ingrid.sund@customer.example',
    address: 'Hamnplan 9',
    password: 'ingrid-pw-F9s2',
    token: 'shop_tok_0c93e7b5a2d16f84',
  },
];

/** Every account, test or real: all of them can sign in. */
export const ALL_USERS: readonly ShopUser[] = [...TEST_USERS, ...REAL_CUSTOMERS];

export function findUserByName(name: string): ShopUser | undefined {
  return ALL_USERS.find((user) => user.name === name);
}
