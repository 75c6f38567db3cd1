import type { ShopUser } from './users.ts';

/** The personal endpoints and the JSON document each returns for an account. */
export type PersonalEndpoint = 'me' | 'orders' | 'profile';

export const PERSONAL_PATHS: ReadonlyMap<string, PersonalEndpoint> = new Map([
  ['/api/me', 'me'],
  ['/api/orders', 'orders'],
  ['/api/profile', 'profile'],
]);

const ITEMS = ['Rain jacket', 'Coffee grinder', 'Wool socks', 'Desk lamp', 'Bike light'];

function priceOf(itemIndex: number): number {
  return 149 + itemIndex * 100;
}

/** The number in an id such as u-1001, so each account gets its own stable orders and phone. */
function accountNumber(user: ShopUser): number {
  return Number(user.id.replace(/\D/g, '')) || 0;
}

export interface Order {
  id: string;
  item: string;
  priceSek: number;
  placedOn: string;
  shipTo: string;
  email: string;
}

/** An account's orders: two or three, each item priced as in the catalog. */
export function ordersOf(user: ShopUser): Order[] {
  const n = accountNumber(user);
  const count = 2 + (n % 2);
  return Array.from({ length: count }, (_, k) => {
    const itemIndex = (n + k) % ITEMS.length;
    return {
      id: `ORD-${user.id}-${k + 1}`,
      item: ITEMS[itemIndex] ?? '',
      priceSek: priceOf(itemIndex),
      placedOn: `2025-0${1 + ((n + k) % 9)}-1${k}`,
      shipTo: user.address,
      email: user.email,
    };
  });
}

/**
 * The JSON document a personal endpoint returns. The account pages (orders, profile) are over
 * 256 bytes for every account, as real ones are, so servers and edges compress them (see
 * encoding.ts); /api/me is a small identity document that stays under that.
 */
export function personalDocument(endpoint: PersonalEndpoint, user: ShopUser): object {
  switch (endpoint) {
    case 'me':
      return { id: user.id, name: user.displayName, email: user.email };
    case 'orders':
      return { orders: ordersOf(user) };
    case 'profile':
      return {
        id: user.id,
        name: user.displayName,
        email: user.email,
        address: user.address,
        phone: `+46 70 555 ${accountNumber(user)}`,
        deliveryAddresses: [{ label: 'Home', street: user.address, city: 'Stockholm' }],
        preferences: {
          language: 'sv-SE',
          currency: 'SEK',
          newsletter: accountNumber(user) % 2 === 0,
        },
      };
  }
}

/** The public product list: the same for everyone, so caching it publicly is correct. */
export const CATALOG = {
  products: ITEMS.map((name, index) => ({
    sku: `SKU-${100 + index}`,
    name,
    priceSek: priceOf(index),
  })),
};
