import type { ShopUser } from './users.ts';

/** The personal endpoints and the JSON document each returns for an account. */
export type PersonalEndpoint = 'me' | 'orders' | 'profile';

export const PERSONAL_PATHS: ReadonlyMap<string, PersonalEndpoint> = new Map([
  ['/api/me', 'me'],
  ['/api/orders', 'orders'],
  ['/api/profile', 'profile'],
]);

const ITEMS = ['Rain jacket', 'Coffee grinder', 'Wool socks', 'Desk lamp', 'Bike light'];

/** The number in an id such as u-1001, so each account gets its own stable orders and phone. */
function accountNumber(user: ShopUser): number {
  return Number(user.id.replace(/\D/g, '')) || 0;
}

function orders(user: ShopUser): object[] {
  const n = accountNumber(user);
  const count = 2 + (n % 2);
  return Array.from({ length: count }, (_, k) => ({
    id: `ORD-${user.id}-${k + 1}`,
    item: ITEMS[(n + k) % ITEMS.length],
    shipTo: user.address,
    email: user.email,
  }));
}

export function personalDocument(endpoint: PersonalEndpoint, user: ShopUser): object {
  switch (endpoint) {
    case 'me':
      return { id: user.id, name: user.displayName, email: user.email };
    case 'orders':
      return { orders: orders(user) };
    case 'profile':
      return {
        id: user.id,
        email: user.email,
        address: user.address,
        phone: `+46 70 555 ${accountNumber(user)}`,
      };
  }
}

/** The public product list: the same for everyone, so caching it publicly is correct. */
export const CATALOG = {
  products: ITEMS.map((name, index) => ({
    sku: `SKU-${100 + index}`,
    name,
    priceSek: 149 + index * 100,
  })),
};
