import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PersonalBodies } from './bodies.ts';
import { compressible, negotiateCoding } from './encoding.ts';
import type { FlawName } from './flaws.ts';
import type { SentResponse } from './personal.ts';
import { send } from './respond.ts';
import { ageSeconds, ResponseCache } from './response-cache.ts';
import type { ShopUser } from './users.ts';
import { type CrossUserRecord, foreignData, recordCrossUser } from './witness.ts';

/**
 * A shared cache in front of the shop, standing in for a CDN or edge proxy. It answers
 * before the shop authenticates anyone, so whatever it stores under a key goes to everyone
 * whose request maps to that key. A correct edge stores no personal page; each flawed
 * release below has an edge rule whose key forgets who is asking.
 */

const EDGE_TTL_MS = 30_000;

interface EdgeRule {
  /** The key a request is cached under, or undefined when the edge passes it through. */
  keyOf(req: IncomingMessage, path: string): string | undefined;
  /** Whether the edge stores what the origin sent. */
  stores(sent: SentResponse): boolean;
}

/**
 * compressing-edge: the edge keeps the compressed account pages it made, keyed by path and
 * coding as `Vary: Accept-Encoding` asks, but not by user. Only compressed responses are
 * stored, so the foreign data only ever travels gzip- or br-encoded: a client that does not
 * decode (or does not ask for compression) never sees it.
 */
const COMPRESSED_PAGES = new Set(['/api/orders', '/api/profile']);
const compressedPages: EdgeRule = {
  keyOf(req, path) {
    if (!COMPRESSED_PAGES.has(path)) return undefined;
    const coding = negotiateCoding(req.headers['accept-encoding']);
    return coding ? `${path} ${coding}` : undefined;
  },
  stores: (sent) => compressible(sent.headers['content-type'], sent.body),
};

/**
 * api-key-cache: the edge bypasses its cache for requests carrying Authorization or Cookie,
 * as a shared cache must for credentials it knows, and treats every other request as
 * anonymous. A credential in a custom header (X-Api-Key) is not one it knows: that response
 * is stored by path and served to every request without Authorization or Cookie, including
 * requests with no credential at all.
 */
const anonymousLooking: EdgeRule = {
  keyOf: (req, path) => (req.headers.authorization || req.headers.cookie ? undefined : path),
  stores: () => true,
};

function ruleFor(flaw: FlawName | undefined): EdgeRule | undefined {
  if (flaw === 'compressing-edge') return compressedPages;
  if (flaw === 'api-key-cache') return anonymousLooking;
  return undefined;
}

export interface Edge {
  /** The key a request to a personal path is cached under; undefined: passed through. */
  keyOf(req: IncomingMessage, path: string): string | undefined;
  /**
   * Answers from the cache when it holds the key, and says whether it did. On a miss it
   * marks the response the origin is about to send with `X-Cache: MISS`.
   */
  serve(res: ServerResponse, key: string, caller: ShopUser | undefined): boolean;
  /** Offers the origin's response for the key to the cache. */
  store(key: string, sent: SentResponse): void;
}

export interface EdgeOptions {
  flaw: FlawName | undefined;
  /** Where the origin's bodies were rendered: they say whose data a stored body holds. */
  bodies: PersonalBodies;
  crossUser: CrossUserRecord;
}

/** The edge of a release whose flaw is an edge rule; undefined when requests go straight in. */
export function createEdge(options: EdgeOptions): Edge | undefined {
  const rule = ruleFor(options.flaw);
  if (!rule) return undefined;
  const cache = new ResponseCache<SentResponse>(EDGE_TTL_MS);
  return {
    keyOf: (req, path) => rule.keyOf(req, path),
    serve(res, key, caller) {
      const now = Date.now();
      const hit = cache.get(key, now);
      if (!hit) {
        res.setHeader('x-cache', 'MISS');
        return false;
      }
      // The origin's headers as stored (its `private, no-store` ignored, as the rule does).
      const headers = { ...hit.value.headers, age: ageSeconds(hit, now), 'x-cache': 'HIT' };
      if (!send(res, 200, headers, hit.value.body)) return true;
      const foreign = foreignData(caller, headers, options.bodies.ownerOf(hit.value.body));
      if (foreign) recordCrossUser(options.crossUser, caller, foreign);
      return true;
    },
    store(key, sent) {
      if (rule.stores(sent)) cache.set(key, sent, Date.now());
    },
  };
}
