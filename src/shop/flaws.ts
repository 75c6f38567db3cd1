/**
 * Release flaws the sample shop can ship with. Each one reproduces the mechanism of a real
 * cross-user leak, so the probe is tested against the way leaks actually happen.
 */
export type FlawName =
  | 'cache-without-user'
  | 'token-cache-key'
  | 'await-shared-state'
  | 'pipeline-cancel'
  | 'rare-race'
  | 'header-leak'
  | 'secondary-endpoint'
  | 'real-customers'
  | 'compressing-edge'
  | 'api-key-cache'
  | 'graphql-cache';

export interface FlawInfo {
  summary: string;
  incident: string;
  /** True when a few interleaved requests always reveal it; false when it needs volume or cancellations. */
  deterministic: boolean;
}

export const FLAWS: Record<FlawName, FlawInfo> = {
  'cache-without-user': {
    summary:
      'Personal GET responses are cached for 30 s keyed by path only, so the next user gets the first user’s page.',
    incident:
      'Klarna, May 2021 (31 minutes of customers seeing other customers’ data); Steam, December 2015 (a cache configuration served account pages to other users).',
    deterministic: true,
  },
  'token-cache-key': {
    summary:
      'Token and session verification is cached keyed by the issuer prefix instead of the whole credential, so every credential resolves to the first user verified.',
    incident: 'A cache key built from part of a credential: a classic key-construction bug.',
    deterministic: true,
  },
  'await-shared-state': {
    summary:
      'The current user is kept in a variable shared by all requests across an await, so concurrent requests read each other’s identity.',
    incident:
      'GitHub, March 2021 (request state shared across threads returned sessions to the wrong users); Lloyds Banking Group, March 2026 (app users briefly saw other customers’ transactions after an internal IT change).',
    deterministic: false,
  },
  'pipeline-cancel': {
    summary:
      'A cancelled request leaves its reply unread on a shared pipelined backend connection, so every later caller gets the previous caller’s data.',
    incident:
      'ChatGPT, March 2023 (cancelled requests on a shared Redis connection showed users other users’ chat titles and payment details).',
    deterministic: false,
  },
  'rare-race': {
    summary:
      'About 1% of requests that overlap another request are answered with the other request’s data; sequential traffic never shows it.',
    incident: 'GitHub, March 2021: a rare race only volume reveals.',
    deterministic: false,
  },
  'header-leak': {
    summary:
      'Bodies are correct, but a response header carries the previous request’s user e-mail.',
    incident: 'Debug and tracing headers that echo another request’s state.',
    deterministic: true,
  },
  'secondary-endpoint': {
    summary:
      '/api/me is correct, but /api/profile is cached keyed by path only: checking the identity endpoint alone misses it.',
    incident: 'A cache rule that covers only some pages, as in Steam, December 2015.',
    deterministic: true,
  },
  'real-customers': {
    summary:
      'A botched migration maps test accounts onto real customers, so test users are served real customers’ records.',
    incident: 'Account mapping errors after data migrations.',
    deterministic: true,
  },
  'compressing-edge': {
    summary:
      'An edge compresses responses of 256 bytes or more and caches the compressed /api/orders and /api/profile for 30 s keyed by path and encoding, not user: only a client that decodes gzip (or br) sees the next user get the first user’s page.',
    incident:
      'Edge cache rules that vary on Accept-Encoding, as HTTP asks, but not on who is signed in; the foreign data travels compressed, so a check that does not decode sees only binary.',
    deterministic: true,
  },
  'api-key-cache': {
    summary:
      'The edge skips its cache for requests with Authorization or Cookie but stores every other personal response by path for 30 s, so an API-key user’s data (dave’s) is served to any request without those headers, anonymous ones included.',
    incident:
      'CDN rules that treat “no Authorization, no Cookie” as anonymous, forgetting credentials sent in custom headers such as X-Api-Key.',
    deterministic: true,
  },
  'graphql-cache': {
    summary:
      'POST /graphql responses are cached for 30 s keyed by the query and variables, not the user, so the second user sending the same query gets the first user’s data.',
    incident:
      'Whole-response caches for GraphQL keyed by the operation alone: private data cached without a per-user scope.',
    deterministic: true,
  },
};

export const FLAW_NAMES: readonly FlawName[] = Object.keys(FLAWS) as FlawName[];

export function isFlawName(value: string): value is FlawName {
  return Object.hasOwn(FLAWS, value);
}
