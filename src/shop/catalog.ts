import type { ServerResponse } from 'node:http';
import { bodyOf } from './bodies.ts';
import { CATALOG } from './documents.ts';
import { send } from './respond.ts';
import { ageSeconds, ResponseCache } from './response-cache.ts';

const CATALOG_TTL_MS = 60_000;
const CATALOG_PATH = '/api/catalog';

/**
 * GET /api/catalog: the same for everyone, so a public cache keyed by path is correct here.
 * The probe must see this cached response and not call it a leak.
 */
export function createCatalogHandler(version: string): (res: ServerResponse) => void {
  const cache = new ResponseCache(CATALOG_TTL_MS);
  return (res) => {
    const now = Date.now();
    const cached = cache.get(CATALOG_PATH, now);
    const entry = cached ?? cache.set(CATALOG_PATH, bodyOf(JSON.stringify(CATALOG)), now);
    send(
      res,
      200,
      {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=60',
        age: ageSeconds(entry, now),
        'x-cache': cached ? 'HIT' : 'MISS',
        'x-shop-version': version,
      },
      entry.value,
    );
  };
}
