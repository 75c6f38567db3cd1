import type { ReleaseGuardStatus } from '../release/schema.ts';

/**
 * True when writing `next` would change nothing. Skipping such writes matters: every
 * status write comes back as a watch event, and an unconditional write would loop.
 */
export function sameStatus(
  current: ReleaseGuardStatus | undefined,
  next: ReleaseGuardStatus,
): boolean {
  return current !== undefined && canonical(current) === canonical(next);
}

/** JSON with object keys sorted: the API server need not keep our key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  });
}
