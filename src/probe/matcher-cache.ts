import { createHash } from 'node:crypto';
import { compileMarkers, type MarkerMatcher } from './markers.ts';

/**
 * Compiled matchers are immutable (each scan keeps its own state), so probe runs over the
 * same tenants share one: an operator probing a thousand guards that use the same test
 * users compiles their markers once instead of holding a thousand copies.
 */
const CACHE_SIZE = 64;
const cache = new Map<string, MarkerMatcher>();

export function sharedMatcher(patterns: readonly string[]): MarkerMatcher {
  // A digest, not the patterns: they include credentials, which need no second home.
  const hash = createHash('sha256');
  for (const pattern of patterns) hash.update(pattern).update('\0');
  const key = hash.digest('base64');
  let matcher = cache.get(key);
  if (matcher) {
    cache.delete(key); // re-inserted below: the Map's order is the recency order
  } else {
    matcher = compileMarkers(patterns);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  }
  cache.set(key, matcher);
  return matcher;
}
