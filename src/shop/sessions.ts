import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ALL_USERS, type ShopUser } from './users.ts';

/** Issued credentials kept at most; the oldest go first, as if they expired. */
const MAX_ISSUED = 100_000;

/** Every kind of credential (token, session id, API key) starts with a 9-character issuer prefix. */
const TOKEN_PREFIX = 'shop_tok_';
const SESSION_PREFIX = 'shop_sid_';

export interface IssuedLogin {
  token: string;
  sid: string;
}

/**
 * Tokens and session ids, and the cache in front of their verification. In a real service
 * verification is a signature check or a call to an identity service, which is why it is
 * cached; the flawed release keys that cache by the issuer prefix instead of the credential.
 */
export class Sessions {
  /** Credentials that never change: every account's token, and API keys where an account has one. */
  readonly #static = new Map<string, ShopUser>(
    ALL_USERS.flatMap((user) => [
      [user.token, user],
      ...(user.apiKey ? [[user.apiKey, user] as const] : []),
    ]),
  );
  readonly #issued = new Map<string, ShopUser>();
  readonly #verified = new Map<string, ShopUser>();
  readonly #cacheKey: (credential: string) => string;

  constructor(options: { keyCacheByPrefix: boolean }) {
    this.#cacheKey = options.keyCacheByPrefix
      ? (credential) => credential.slice(0, TOKEN_PREFIX.length)
      : (credential) => credential;
  }

  /** Each login gets a fresh token and a fresh session id. */
  issue(user: ShopUser): IssuedLogin {
    const token = TOKEN_PREFIX + randomBytes(8).toString('hex');
    const sid = SESSION_PREFIX + randomBytes(16).toString('hex');
    this.#remember(token, user);
    this.#remember(sid, user);
    return { token, sid };
  }

  verify(credential: string | undefined): ShopUser | undefined {
    if (!credential) return undefined;
    const key = this.#cacheKey(credential);
    const cached = this.#verified.get(key);
    if (cached) return cached;
    const user = this.#static.get(credential) ?? this.#issued.get(credential);
    if (!user) return undefined;
    if (this.#verified.size >= MAX_ISSUED) this.#verified.clear();
    this.#verified.set(key, user);
    return user;
  }

  /**
   * The account a credential was issued to, looked up directly and never through the
   * verification cache: who really knocked, even when a flawed cache says otherwise.
   */
  ownerOf(credential: string | undefined): ShopUser | undefined {
    if (!credential) return undefined;
    return this.#static.get(credential) ?? this.#issued.get(credential);
  }

  #remember(credential: string, user: ShopUser): void {
    if (this.#issued.size >= MAX_ISSUED) {
      const oldest = this.#issued.keys().next();
      if (!oldest.done) {
        this.#issued.delete(oldest.value);
        this.#verified.delete(oldest.value);
      }
    }
    this.#issued.set(credential, user);
  }
}

/** The credential a request carries: a bearer token first, then an `X-Api-Key`, else the `sid` cookie. */
export function credentialFrom(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim();
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim()) return apiKey.trim();
  const cookie = headers.cookie;
  if (!cookie) return undefined;
  for (const pair of cookie.split(';')) {
    const trimmed = pair.trim();
    if (trimmed.startsWith('sid=')) return trimmed.slice(4);
  }
  return undefined;
}
