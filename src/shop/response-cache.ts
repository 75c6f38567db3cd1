import type { Body } from './bodies.ts';

export interface CachedResponse {
  body: Body;
  storedAt: number;
}

/**
 * An in-process HTTP response cache with a fixed lifetime. It is only as correct as the key
 * it is given: keyed by path alone, it serves one user's page to the next.
 */
export class ResponseCache {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, CachedResponse>();

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get(key: string, now: number): CachedResponse | undefined {
    const entry = this.#entries.get(key);
    if (entry && now - entry.storedAt < this.#ttlMs) return entry;
    if (entry) this.#entries.delete(key);
    return undefined;
  }

  set(key: string, body: Body, now: number): CachedResponse {
    const entry = { body, storedAt: now };
    this.#entries.set(key, entry);
    return entry;
  }
}

/** The value of an `Age` header: whole seconds since the response was stored. */
export function ageSeconds(entry: CachedResponse, now: number): string {
  return String(Math.floor((now - entry.storedAt) / 1000));
}
