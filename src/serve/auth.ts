import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Who may call vakt serve: whoever presents its token, as `Authorization: Bearer TOKEN`
 * or, for Flagger, as the webhook's `metadata.token`. Flagger's webhooks cannot send a
 * header (a Canary webhook has a URL, a timeout and metadata, nothing else), so for
 * Flagger the metadata is the only place a credential can travel.
 */
export type Credential = { from: 'header' | 'metadata'; token: string } | { from: 'none' };

export function presentedCredential(
  authorization: string | undefined,
  metadata: Record<string, string> | undefined,
): Credential {
  if (authorization !== undefined) {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    // A malformed header still counts as presented: it must not fall through to metadata.
    return { from: 'header', token: match?.[1] ?? '' };
  }
  const token = metadata?.token;
  if (typeof token === 'string') return { from: 'metadata', token };
  return { from: 'none' };
}

/** Compares in constant time over digests, so neither length nor prefix leaks. */
export function tokenMatches(expected: string, presented: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}

/** The least a token must be: long enough that guessing it over HTTP is hopeless. */
export const MIN_TOKEN_LENGTH = 24;
