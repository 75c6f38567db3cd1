import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { z } from 'zod';
import { accountById, accountMapping } from './accounts.ts';
import { type Body, bodyOf } from './bodies.ts';
import type { FlawName } from './flaws.ts';
import { execute, parseQuery } from './graphql-query.ts';
import { readBody } from './request-body.ts';
import { send, sendJson } from './respond.ts';
import { ageSeconds, ResponseCache } from './response-cache.ts';
import type { ShopUser } from './users.ts';
import { type CrossUserRecord, foreignData, recordCrossUser } from './witness.ts';

/**
 * POST /graphql, in every release: `{ "query": "{ me { id email } }" }` answers
 * `{ "data": { "me": { ... } } }` for the signed-in user. Status codes follow
 * GraphQL-over-HTTP for `application/json` responses: a request that is not a GraphQL
 * request at all (not JSON, no query string) is a 400; a well-formed request whose query
 * fails to parse or validate is a 200 with `errors`. Not signed in is a 401, as elsewhere.
 */

const QUERY_CACHE_TTL_MS = 30_000;

const GraphqlRequest = z.object({
  query: z.string(),
  variables: z.record(z.string(), z.unknown()).nullish(),
  operationName: z.string().nullish(),
});

export interface SignedIn {
  /** Who the release believes asked. */
  user: ShopUser;
  /** Whose credential it really was (undefined: nobody's). */
  caller: ShopUser | undefined;
}

export interface GraphqlOptions {
  flaw: FlawName | undefined;
  version: string;
  crossUser: CrossUserRecord;
  /** Authenticates the request and counts it as a personal one; undefined: not signed in. */
  signIn(req: IncomingMessage): SignedIn | undefined;
}

function graphqlError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { errors: [{ message }] });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function createGraphqlHandler(
  options: GraphqlOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const accountIdOf = accountMapping(options.flaw === 'real-customers');
  // The flaw: whole responses cached by what was asked (query and variables), not by whom.
  const responses =
    options.flaw === 'graphql-cache' ? new ResponseCache<Body>(QUERY_CACHE_TTL_MS) : undefined;
  // Whose data each rendered response holds, so the witness need not trust the cache.
  const owners = new WeakMap<Body, ShopUser>();

  const answer = (res: ServerResponse, headers: OutgoingHttpHeaders, body: Body, who: SignedIn) => {
    if (!send(res, 200, headers, body)) return;
    const foreign = foreignData(who.caller, headers, owners.get(body));
    if (foreign) recordCrossUser(options.crossUser, who.caller, foreign);
  };

  return async (req, res) => {
    if (!req.headers['content-type']?.startsWith('application/json'))
      return graphqlError(
        res,
        415,
        'POST /graphql takes a JSON body (Content-Type: application/json).',
      );
    const text = await readBody(req);
    if (text === undefined) return graphqlError(res, 413, 'The request body is too large.');
    const request = GraphqlRequest.safeParse(parseJson(text));
    if (!request.success) {
      const expected =
        'a JSON object with a "query" string, optional "variables" and "operationName"';
      return graphqlError(res, 400, `Expected ${expected}.`);
    }
    const who = options.signIn(req);
    if (!who) return graphqlError(res, 401, 'unauthorized');

    const { query, variables, operationName } = request.data;
    const headers: OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'cache-control': 'private, no-store',
      'x-shop-version': options.version,
    };
    const key = JSON.stringify([query, variables ?? null]);
    const now = Date.now();
    const hit = responses?.get(key, now);
    if (hit) {
      headers.age = ageSeconds(hit, now);
      headers['x-cache'] = 'HIT';
      return answer(res, headers, hit.value, who);
    }

    const parsed = parseQuery(query, operationName ?? undefined);
    if (!parsed.ok) return graphqlError(res, 200, parsed.message);
    const account = accountById(accountIdOf(who.user));
    const body = bodyOf(JSON.stringify({ data: execute(parsed.selections, account) }));
    owners.set(body, account);
    if (responses) {
      responses.set(key, body, now);
      headers['x-cache'] = 'MISS';
    }
    answer(res, headers, body, who);
  };
}
