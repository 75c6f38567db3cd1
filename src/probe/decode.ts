import type { Transform } from 'node:stream';
import {
  createBrotliDecompress,
  createGunzip,
  createInflate,
  createInflateRaw,
  createZstdDecompress,
} from 'node:zlib';

/**
 * Content decoding before the marker scan: an edge that compresses (nginx with gzip on, a
 * CDN with brotli) must not hide another tenant's orders inside bytes the scanner cannot
 * read. Decoding streams, chunk by chunk; the caller counts the output and stops it, so a
 * decompression bomb never gets to expand.
 */

export type Coding = 'gzip' | 'deflate' | 'br' | 'zstd';

/** What a browser sends today, and so what a probe sends unless the policy says otherwise. */
export const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';

/** Tokens a policy may name in Accept-Encoding: what this file can decode, and the no-ops. */
export const KNOWN_ACCEPT_CODINGS: ReadonlySet<string> = new Set([
  'gzip',
  'x-gzip',
  'deflate',
  'br',
  'zstd',
  'identity',
  '*',
]);

const ALIASES: Record<string, Coding | 'identity'> = {
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
  br: 'br',
  zstd: 'zstd',
  identity: 'identity',
};

/**
 * The codings of a Content-Encoding header, in the order the server applied them; or the
 * first token that cannot be decoded.
 */
export function parseContentEncoding(
  header: string | undefined,
): { codings: Coding[] } | { unsupported: string } {
  const codings: Coding[] = [];
  if (!header) return { codings };
  for (const raw of header.split(',')) {
    const token = raw.trim().toLowerCase();
    if (token === '') continue;
    const coding = ALIASES[token];
    if (!coding) return { unsupported: token };
    if (coding !== 'identity') codings.push(coding);
  }
  return { codings };
}

/** The Accept-Encoding tokens (without q-values) that vakt cannot decode, if any. */
export function unknownAcceptCodings(value: string): string[] {
  return value
    .split(',')
    .map((part) => (part.split(';', 1)[0] ?? '').trim().toLowerCase())
    .filter((token) => token !== '' && !KNOWN_ACCEPT_CODINGS.has(token));
}

/** Why a body could not be decoded: corrupt data, or a stream cut short. */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

export interface Decoder {
  write(chunk: Uint8Array): void;
  /** Resolves when every decoded byte has been handed over; rejects with a DecodeError. */
  end(): Promise<void>;
  /** Stops decoding at once (the caller has seen enough, or the response was abandoned). */
  destroy(): void;
}

/** Feeds `onData` the decoded bytes of a body encoded with `codings` (applied in order). */
export function createDecoder(
  codings: readonly Coding[],
  onData: (chunk: Buffer) => void,
): Decoder {
  if (codings.length === 0) return passThrough(onData);
  // Decoding undoes the codings last-applied first.
  const order = [...codings].reverse();
  let stages: Stage[] | undefined;
  let destroyed = false;
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Until end() is called nobody awaits the promise; an early error must not go unhandled.
  finished.catch(() => undefined);

  /** Built at the first chunk: raw or zlib-wrapped deflate shows in its first byte. */
  const build = (firstByte: number): Stage[] => {
    const built = order.map((coding, i) => stage(coding, i === 0 ? firstByte : undefined));
    for (let i = 0; i + 1 < built.length; i++) built[i]?.pipe(built[i + 1] as Stage);
    const last = built[built.length - 1] as Stage;
    last.on('data', (chunk: Buffer) => {
      if (!destroyed) onData(chunk);
    });
    last.once('end', () => settle?.resolve());
    for (const s of built) {
      s.once('error', (error: Error) =>
        settle?.reject(new DecodeError(`cannot decode the ${s.coding} body: ${reasonOf(error)}`)),
      );
    }
    return built;
  };

  return {
    write(chunk) {
      if (destroyed || chunk.length === 0) return;
      stages ??= build(chunk[0] ?? 0);
      stages[0]?.write(chunk);
    },
    end() {
      if (destroyed) return finished;
      if (!stages) {
        // No bytes at all (a 204 or 304 that still names its encoding): nothing to decode.
        settle?.resolve();
        return finished;
      }
      stages[0]?.end();
      return finished;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const s of stages ?? []) s.destroy();
      settle?.resolve();
    },
  };
}

type Stage = Transform & { coding: Coding };

/** Output chunks of 64 KiB, not zlib's 16 KiB: a quarter of the hops to the thread pool. */
const OUT_CHUNK = 64 * 1024;

/**
 * One decoding step. HTTP's "deflate" is zlib-wrapped (RFC 9110), but some servers send
 * raw deflate: a zlib header's first byte has 8 ("deflate") in its low nibble.
 * Truncated input is an error ("unexpected end of file"), never a silently shorter body.
 */
function stage(coding: Coding, firstByte: number | undefined): Stage {
  const made = (() => {
    switch (coding) {
      case 'gzip':
        return createGunzip({ chunkSize: OUT_CHUNK });
      case 'deflate':
        return firstByte === undefined || firstByte % 16 === 8
          ? createInflate()
          : createInflateRaw();
      case 'br':
        return createBrotliDecompress({ chunkSize: OUT_CHUNK });
      case 'zstd':
        return createZstdDecompress({ chunkSize: OUT_CHUNK });
    }
  })() as unknown as Stage;
  made.coding = coding;
  return made;
}

function passThrough(onData: (chunk: Buffer) => void): Decoder {
  let destroyed = false;
  return {
    write(chunk) {
      if (!destroyed) onData(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    },
    end: () => Promise.resolve(),
    destroy() {
      destroyed = true;
    },
  };
}

function reasonOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}
