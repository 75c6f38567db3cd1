import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Body } from './bodies.ts';

/**
 * Response compression, as a real server or edge does it: JSON and text of at least
 * COMPRESS_MIN_BYTES go out gzip- or br-encoded when the request's Accept-Encoding allows it.
 * Every release compresses, so a client that reads the shop must decode to see the data.
 * /api/me (about 70 bytes) stays under the threshold and plain unless padding inflates it;
 * the account pages are above it for every account.
 */

export type ContentCoding = 'br' | 'gzip';

/** The same threshold as nginx's `gzip_min_length 256` in the test edge. */
export const COMPRESS_MIN_BYTES = 256;

/** What the shop offers, best first: br is smaller, so it wins a tie. */
const OFFERED: readonly ContentCoding[] = ['br', 'gzip'];

/**
 * The coding to use for a request's Accept-Encoding, or undefined for none (identity).
 * Honours q-values and `*`, e.g. `gzip;q=0` refuses gzip and `*;q=0.5` allows anything.
 */
export function negotiateCoding(acceptEncoding: string | undefined): ContentCoding | undefined {
  if (!acceptEncoding) return undefined;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.split(';').map((piece) => piece.trim());
    if (!name) continue;
    const q = params.find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  let best: ContentCoding | undefined;
  let bestWeight = 0;
  for (const coding of OFFERED) {
    const weight = weights.get(coding) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}

/** Whether a response is one the shop compresses for a client that accepts it. */
export function compressible(contentType: unknown, body: Body): boolean {
  const type = String(contentType ?? '');
  const textual = type.startsWith('application/json') || type.startsWith('text/');
  return textual && body.length >= COMPRESS_MIN_BYTES;
}

/**
 * Personal bodies are rendered once per account and reused (see bodies.ts), so their
 * compressed forms are kept beside them for as long as the body itself lives.
 */
const encoded = new WeakMap<Body, Map<ContentCoding, Body>>();

export function encodeBody(body: Body, coding: ContentCoding): Body {
  let forms = encoded.get(body);
  const known = forms?.get(coding);
  if (known) return known;
  const plain = Buffer.concat(body.chunks as Buffer[], body.length);
  const bytes =
    coding === 'gzip'
      ? gzipSync(plain)
      : // Quality 4, not the default 11: on-the-fly compression, as servers configure it.
        brotliCompressSync(plain, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: 4,
            [constants.BROTLI_PARAM_SIZE_HINT]: plain.length,
          },
        });
  const result: Body = { chunks: [bytes], length: bytes.length };
  if (!forms) {
    forms = new Map();
    encoded.set(body, forms);
  }
  forms.set(coding, result);
  return result;
}
