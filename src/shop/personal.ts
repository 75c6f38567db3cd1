import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { accountById, accountMapping } from './accounts.ts';
import type { Body, PersonalBodies } from './bodies.ts';
import type { PersonalEndpoint } from './documents.ts';
import type { FlawName } from './flaws.ts';
import { PipelinedConnection } from './pipeline.ts';
import { send } from './respond.ts';
import { ageSeconds, ResponseCache } from './response-cache.ts';
import type { ShopUser } from './users.ts';
import { type CrossUserRecord, foreignData, recordCrossUser } from './witness.ts';

const PATH_CACHE_TTL_MS = 30_000;
const RARE_RACE_ODDS = 0.01;

export interface PersonalOptions {
  flaw: FlawName | undefined;
  version: string;
  backendLatencyMs: number;
  /** Renders the bodies; shared with the edge, so the witness knows whose data either sent. */
  bodies: PersonalBodies;
  /** Where responses carrying another account's data are recorded. */
  crossUser: CrossUserRecord;
}

/** A 200 response as it was sent: what a cache in front of the shop may keep (see edge.ts). */
export interface SentResponse {
  headers: OutgoingHttpHeaders;
  body: Body;
}

/**
 * Serves one authenticated personal request: `path` is what was asked, `user` who the
 * release believes asked, `caller` whose credential it really was (undefined: nobody's).
 * Resolves to the response sent, or undefined when the client left before it.
 */
export type PersonalHandler = (
  res: ServerResponse,
  path: string,
  endpoint: PersonalEndpoint,
  user: ShopUser,
  caller: ShopUser | undefined,
) => Promise<SentResponse | undefined>;

/** Which personal endpoints the release caches keyed by path alone. */
function endpointsCachedByPath(flaw: FlawName | undefined): ReadonlySet<PersonalEndpoint> {
  if (flaw === 'cache-without-user') return new Set(['me', 'orders', 'profile']);
  if (flaw === 'secondary-endpoint') return new Set(['profile']);
  return new Set();
}

/** Aborts when the client goes away before its response has been written. */
function abandonedSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableEnded) controller.abort();
  });
  return controller.signal;
}

function pickAny<T>(items: ReadonlySet<T>): T | undefined {
  let index = Math.floor(Math.random() * items.size);
  for (const item of items) if (index-- === 0) return item;
  return undefined;
}

export function createPersonalHandler(options: PersonalOptions): PersonalHandler {
  const { flaw, version } = options;
  // One connection shared by every request, as a pooled or pipelined client would be.
  const backend = new PipelinedConnection<string, ShopUser>(options.backendLatencyMs, accountById);
  const { bodies } = options;
  const accountIdOf = accountMapping(flaw === 'real-customers');
  const cachedByPath = endpointsCachedByPath(flaw);
  const pathCache = new ResponseCache(PATH_CACHE_TTL_MS);
  // What a real service keeps in module scope, shared by all its requests. It lives per shop
  // only so that several shops in one process do not see each other.
  const shared: { currentUser?: ShopUser; lastCustomerEmail?: string } = {};
  const inFlight = new Set<{ user: ShopUser }>();

  /** Fetches the account the response is built from, or undefined if the client left. */
  async function loadAccount(res: ServerResponse, user: ShopUser): Promise<ShopUser | undefined> {
    switch (flaw) {
      case 'await-shared-state': {
        // The bug: who the request is for sits in a variable every request shares, and is read
        // back after an await, by which time a concurrent request may have overwritten it.
        shared.currentUser = user;
        await backend.query(accountIdOf(user));
        return accountById(accountIdOf(shared.currentUser));
      }
      case 'pipeline-cancel':
        // The bug: a handler whose client left stops reading, so its reply stays on the shared
        // connection and the next reader takes it: from then on everyone is one reply behind.
        return backend.query(accountIdOf(user), abandonedSignal(res));
      case 'rare-race': {
        const request = { user };
        let subject = user;
        // Rarely, a request overlapping another ends up with the other's data.
        if (inFlight.size > 0 && Math.random() < RARE_RACE_ODDS) {
          subject = pickAny(inFlight)?.user ?? user;
        }
        inFlight.add(request);
        try {
          return await backend.query(accountIdOf(subject));
        } finally {
          inFlight.delete(request);
        }
      }
      default:
        // Correct: the reply is read even if the client has left, keeping the connection in step.
        return backend.query(accountIdOf(user));
    }
  }

  return async (res, path, endpoint, user, caller) => {
    const reply = (headers: OutgoingHttpHeaders, body: Body): SentResponse | undefined => {
      if (!send(res, 200, headers, body)) return undefined;
      const foreign = foreignData(caller, headers, bodies.ownerOf(body));
      if (foreign) recordCrossUser(options.crossUser, caller, foreign);
      return { headers, body };
    };
    const headers: OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'cache-control': 'private, no-store',
      'x-shop-version': version,
    };
    const cacheByPath = cachedByPath.has(endpoint);
    if (cacheByPath) {
      const now = Date.now();
      const hit = pathCache.get(path, now);
      if (hit) {
        headers['cache-control'] = 'public, max-age=30';
        headers.age = ageSeconds(hit, now);
        headers['x-cache'] = 'HIT';
        return reply(headers, hit.value);
      }
    }

    const account = await loadAccount(res, user);
    if (!account || res.destroyed) return undefined;
    const body = bodies.get(endpoint, account);

    if (flaw === 'header-leak') {
      if (shared.lastCustomerEmail) headers['x-last-customer'] = shared.lastCustomerEmail;
      shared.lastCustomerEmail = account.email;
    }
    if (cacheByPath) {
      pathCache.set(path, body, Date.now());
      headers['cache-control'] = 'public, max-age=30';
      headers.age = '0';
      headers['x-cache'] = 'MISS';
    }
    return reply(headers, body);
  };
}
