import type { Body } from './bodies.ts';

export interface CacheEntry<Stored> {
  value: Stored;
  storedAt: number;
}

/**
 * An in-process HTTP response cache with a fixed lifetime. It is only as correct as the key
 * it is given: keyed by path alone, it serves one user's page to the next. It stores bodies,
 * or whatever else a cache keeps of a response (an edge keeps the headers too).
 */
export class ResponseCache<Stored = Body> {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, CacheEntry<Stored>>();

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get(key: string, now: number): CacheEntry<Stored> | undefined {
    const entry = this.#entries.get(key);
    if (entry && now - entry.storedAt < this.#ttlMs) return entry;
    if (entry) this.#entries.delete(key);
    return undefined;
  }

  set(key: string, value: Stored, now: number): CacheEntry<Stored> {
    const entry = { value, storedAt: now };
    this.#entries.set(key, entry);
    return entry;
  }
}

/** The value of an `Age` header: whole seconds since the response was stored. */
export function ageSeconds(entry: CacheEntry<unknown>, now: number): string {
  return String(Math.floor((now - entry.storedAt) / 1000));
}
