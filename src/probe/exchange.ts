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
  maxBodyBytes: number;
  /** Session values issued by logins, to the tenant they were issued to. */
  issued: Map<string, number>;
}

export interface ExchangeRequest {
  tenant: number;
  pool: number | 'shared';
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Read the identity at the JSON pointer from this response. */
  identity: boolean;
  signal?: AbortSignal;
  abandonWhenSent?: boolean;
}

export interface ExchangeResult {
  status: number;
  headers: Record<string, string>;
  setCookies: string[];
  detection: Detection;
  bytes: number;
  truncated: boolean;
  /** The whole body, kept only when asked for (logins). Identities are read as the body streams. */
  body?: Buffer;
}

export async function exchange(
  ctx: ExchangeContext,
  req: ExchangeRequest,
  keepBody = false,
): Promise<ExchangeResult> {
  const scan = ctx.matcher.start();
  const identity = req.identity ? new PointerReader(ctx.identityPointer) : undefined;
  const kept: Buffer[] = [];
  let scanned = 0;
  const response = await ctx.transport.send({
    pool: req.pool,
    method: req.method,
    path: req.path,
    headers: req.headers,
    body: req.body,
    signal: req.signal,
    abandonWhenSent: req.abandonWhenSent,
    onChunk: (chunk) => {
      const room = ctx.maxBodyBytes - scanned;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      scan.write(part);
      identity?.write(part);
      scanned += part.length;
      if (keepBody) kept.push(Buffer.from(part));
      return scanned < ctx.maxBodyBytes;
    },
  });
  const body = keepBody ? Buffer.concat(kept) : undefined;
  const observation: Observation = {
    tenant: req.tenant,
    status: response.status,
    bodyHits: scan.hits,
    headerHits: scanHeaders(ctx.matcher, response.rawHeaders),
    headers: response.headers,
  };
  if (identity) {
    observation.identity = response.truncated
      ? { missing: `identity response larger than load.maxBodyBytes (${ctx.maxBodyBytes})` }
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
    truncated: response.truncated,
  };
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
