import { createDecoder, type Decoder, parseContentEncoding } from './decode.ts';
import type { DetectContext, Detection, Observation } from './detect.ts';
import { detect } from './detect.ts';
import type { MarkerMatcher } from './markers.ts';
import { PointerReader } from './pointer-reader.ts';
import type { Transport } from './transport.ts';

/**
 * One request and everything learnt from it: stream the body through the marker matcher,
 * scan the headers, read the identity where asked, and let detect() judge.
 */

export interface ExchangeContext {
  transport: Transport;
  matcher: MarkerMatcher;
  detectContext: DetectContext;
  identityPointer: string;
  /** Decoded bytes of a body that are read; a longer body is cut there and not a clean sample. */
  maxBodyBytes: number;
  /** Decoded bytes per encoded byte past which a body is taken for a decompression bomb. */
  maxExpansion: number;
  /** Session values issued by logins, to the tenant they were issued to. */
  issued: Map<string, number>;
}

export interface ExchangeRequest {
  tenant: number;
  /** Sent with no credentials: see detect(). */
  anonymous?: boolean;
  pool: number | 'shared';
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Read the identity at the JSON pointer from this response. */
  identity: boolean;
  signal?: AbortSignal;
  abandonWhenSent?: boolean;
  abandonAtHeaders?: boolean;
}

/** Why a response was read but is no clean sample: it went into the scan only in part. */
export interface Unchecked {
  kind: 'capped-body' | 'undecodable-body' | 'decompression-bomb' | 'deadline-body';
  detail: string;
}

export interface ExchangeResult {
  status: number;
  headers: Record<string, string>;
  setCookies: string[];
  detection: Detection;
  /** Bytes as received (encoded). */
  bytes: number;
  /** Bytes scanned: the decoded body, up to the cap. */
  scanned: number;
  /** Set when the body was not checked whole; findings in the part read still count. */
  unchecked?: Unchecked;
  /** The whole body, kept only when asked for (logins). Identities are read as the body streams. */
  body?: Buffer;
}

/** Bodies of at most this many decoded bytes are never taken for bombs, whatever the ratio. */
const BOMB_FLOOR_BYTES = 1024 * 1024;

export async function exchange(
  ctx: ExchangeContext,
  req: ExchangeRequest,
  keepBody = false,
): Promise<ExchangeResult> {
  const scan = ctx.matcher.start();
  const identity = req.identity ? new PointerReader(ctx.identityPointer) : undefined;
  const kept: Buffer[] = [];
  let scanned = 0;
  let received = 0;
  let unchecked: Unchecked | undefined;
  let decoder: Decoder | undefined;

  /** Takes decoded bytes; false once the body has been read as far as it may be. */
  const take = (chunk: Uint8Array): boolean => {
    if (unchecked) return false;
    const room = ctx.maxBodyBytes - scanned;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    scan.write(part);
    identity?.write(part);
    scanned += part.length;
    if (keepBody) kept.push(Buffer.from(part));
    if (chunk.length > room) {
      unchecked = {
        kind: 'capped-body',
        detail: `bodies over load.maxBodyBytes (${ctx.maxBodyBytes} bytes decoded) are cut there: not a clean sample`,
      };
    } else if (scanned > BOMB_FLOOR_BYTES && scanned > ctx.maxExpansion * Math.max(1, received)) {
      unchecked = {
        kind: 'decompression-bomb',
        detail: `a body expanded over ${ctx.maxExpansion} times when decoded (load.maxExpansion): taken for a decompression bomb and cut`,
      };
    }
    if (unchecked) decoder?.destroy();
    return unchecked === undefined;
  };

  const response = await ctx.transport.send({
    pool: req.pool,
    method: req.method,
    path: req.path,
    headers: req.headers,
    body: req.body,
    signal: req.signal,
    abandonWhenSent: req.abandonWhenSent,
    abandonAtHeaders: req.abandonAtHeaders,
    onHeaders: (headers) => {
      const encoding = parseContentEncoding(headers['content-encoding']);
      if ('unsupported' in encoding) {
        // Still scanned as it is, since a marker may show through; never a clean sample.
        unchecked = {
          kind: 'undecodable-body',
          detail: `Content-Encoding "${encoding.unsupported}" cannot be decoded: not a clean sample`,
        };
        return;
      }
      if (encoding.codings.length > 0) decoder = createDecoder(encoding.codings, take);
    },
    onChunk: (chunk) => {
      received += chunk.length;
      if (unchecked?.kind === 'undecodable-body') {
        const room = ctx.maxBodyBytes - scanned;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        scan.write(part);
        scanned += part.length;
        return scanned < ctx.maxBodyBytes;
      }
      if (!decoder) return take(chunk);
      decoder.write(chunk);
      return unchecked === undefined;
    },
  });
  if (response.cut === 'deadline') {
    unchecked ??= {
      kind: 'deadline-body',
      detail: 'the body did not arrive within load.timeout: read in part, not a clean sample',
    };
  }
  if (decoder) {
    if (response.cut !== undefined || unchecked) decoder.destroy();
    else {
      try {
        await decoder.end();
      } catch (error) {
        unchecked ??= {
          kind: 'undecodable-body',
          detail: `${(error as Error).message}: not a clean sample`,
        };
      }
    }
  }
  const body = keepBody ? Buffer.concat(kept) : undefined;
  const observation: Observation = {
    tenant: req.tenant,
    anonymous: req.anonymous === true,
    status: response.status,
    bodyHits: scan.hits,
    headerHits: scanHeaders(ctx.matcher, response.rawHeaders),
    headers: response.headers,
  };
  if (identity) {
    observation.identity = unchecked
      ? { missing: `identity response not read whole (${unchecked.kind})` }
      : identity.end();
  }
  const crossover = crossoverOf(ctx.issued, req.tenant, response.setCookies.map(cookieValue));
  if (crossover) observation.crossover = crossover;
  const result: ExchangeResult = {
    status: response.status,
    headers: response.headers,
    setCookies: response.setCookies,
    detection: detect(observation, ctx.detectContext),
    bytes: response.bytes,
    scanned,
  };
  if (unchecked) result.unchecked = unchecked;
  if (body) result.body = body;
  return result;
}

/**
 * Scans header values as the bytes the server sent: decoded header strings are latin1,
 * in which a UTF-8 marker such as "Testvägen 2" would no longer match.
 */
function scanHeaders(matcher: MarkerMatcher, raw: readonly Buffer[]) {
  const hits: { pattern: number; header: string }[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const value = raw[i + 1];
    if (!value || value.length === 0) continue;
    const scan = matcher.start();
    scan.write(value);
    for (const hit of scan.hits)
      hits.push({ pattern: hit.pattern, header: String(raw[i]).toLowerCase() });
  }
  return hits;
}

/** The value of a Set-Cookie header ("sid=abc; Path=/" -> "abc"). */
export function cookieValue(setCookie: string): string {
  const pair = setCookie.split(';', 1)[0] ?? '';
  const eq = pair.indexOf('=');
  return eq < 0 ? pair.trim() : pair.slice(eq + 1).trim();
}

/** A session value handed to `tenant` that was issued to someone else. */
export function crossoverOf(
  issued: Map<string, number>,
  tenant: number,
  values: readonly string[],
): { owner: number; via: string } | undefined {
  for (const value of values) {
    const owner = issued.get(value);
    if (owner !== undefined && owner !== tenant)
      return { owner, via: 'a Set-Cookie session value' };
  }
  return undefined;
}
