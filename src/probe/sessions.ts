import { cookieValue } from './exchange.ts';
import { resolvePointer } from './json-pointer.ts';

/**
 * Each tenant's current credentials. Static ones never change; login tenants log in
 * afresh every `reloginEvery` requests, because session issuance (and caching of the
 * cookies it sets) is a leak mechanism of its own. Concurrent callers share one login.
 */

export interface LoginResponse {
  status: number;
  setCookies: string[];
  body?: Buffer;
}

/** What a login gave: headers for the next requests and the session values issued. */
export type LoginSession =
  | { headers: Record<string, string>; issued: string[] }
  | { failure: string };

export function sessionFromLogin(
  response: LoginResponse,
  tokenPointer: string | undefined,
): LoginSession {
  if (response.status < 200 || response.status > 299)
    return { failure: `login answered HTTP ${response.status}` };
  if (tokenPointer !== undefined) {
    let token: unknown;
    try {
      token = resolvePointer(JSON.parse(response.body?.toString('utf8') ?? ''), tokenPointer);
    } catch {
      return { failure: 'login response is not JSON' };
    }
    if (typeof token !== 'string' || token === '')
      return { failure: `login response has no token at ${tokenPointer}` };
    return { headers: { authorization: `Bearer ${token}` }, issued: [token] };
  }
  const pairs = response.setCookies.map((c) => (c.split(';', 1)[0] ?? '').trim()).filter(Boolean);
  if (pairs.length === 0)
    return { failure: 'login set no cookie and no token pointer is configured' };
  return {
    headers: { cookie: pairs.join('; ') },
    issued: response.setCookies.map(cookieValue).filter(Boolean),
  };
}

export class Sessions {
  readonly #headers: (Record<string, string> | undefined)[];
  readonly #uses: number[];
  readonly #pending = new Map<number, Promise<Record<string, string> | undefined>>();
  readonly #isLogin: boolean[];
  readonly #reloginEvery: number;
  readonly #login: (tenant: number) => Promise<Record<string, string> | undefined>;

  constructor(
    tenants: readonly { auth: { headers: Record<string, string>; login?: unknown } }[],
    reloginEvery: number,
    login: (tenant: number) => Promise<Record<string, string> | undefined>,
  ) {
    this.#reloginEvery = reloginEvery;
    this.#login = login;
    this.#isLogin = tenants.map((t) => t.auth.login !== undefined);
    this.#headers = tenants.map((t) => (t.auth.login ? undefined : t.auth.headers));
    this.#uses = tenants.map(() => 0);
  }

  /**
   * Credentials for the tenant's next request; undefined when its login failed.
   * Synchronous while a session exists: a due re-login runs in the background and the
   * current session serves until it lands, as an app refreshing its token would.
   * Only a tenant with no session yet waits for its login.
   */
  headersFor(
    tenant: number,
  ): Record<string, string> | undefined | Promise<Record<string, string> | undefined> {
    const current = this.#headers[tenant];
    if (!this.#isLogin[tenant]) return current;
    if (current === undefined) return this.#refresh(tenant);
    const uses = (this.#uses[tenant] ?? 0) + 1;
    this.#uses[tenant] = uses;
    if (this.#reloginEvery > 0 && uses >= this.#reloginEvery) void this.#refresh(tenant);
    return current;
  }

  #refresh(tenant: number): Promise<Record<string, string> | undefined> {
    let pending = this.#pending.get(tenant);
    if (!pending) {
      this.#uses[tenant] = 0;
      pending = this.#login(tenant)
        .then((fresh) => {
          // A failed re-login keeps the session that still works; a failed first login leaves none.
          if (fresh !== undefined || this.#headers[tenant] === undefined)
            this.#headers[tenant] = fresh;
          return this.#headers[tenant];
        })
        .finally(() => this.#pending.delete(tenant));
      this.#pending.set(tenant, pending);
    }
    return pending;
  }
}
