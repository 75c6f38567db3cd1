import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type Body, bodyOf } from './bodies.ts';
import { compressible, encodeBody, negotiateCoding } from './encoding.ts';

/**
 * Writes a whole response, compressed when the request accepts it and the body is large
 * enough (see encoding.ts); does nothing if the client is already gone. Says whether it
 * wrote. `headers` is left as it was, so a cache can store it and send it again.
 */
export function send(
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: Body,
): boolean {
  if (res.destroyed) return false;
  const out: OutgoingHttpHeaders = { ...headers };
  let wire = body;
  if (compressible(headers['content-type'], body)) {
    // The representation depends on Accept-Encoding, so caches must keep them apart.
    out.vary = 'accept-encoding';
    const coding = negotiateCoding(res.req?.headers['accept-encoding']);
    if (coding) {
      out['content-encoding'] = coding;
      wire = encodeBody(body, coding);
    }
  }
  out['content-length'] = wire.length;
  res.writeHead(status, out);
  const last = wire.chunks.length - 1;
  wire.chunks.forEach((chunk, index) => {
    if (index < last) res.write(chunk);
  });
  res.end(wire.chunks[last]);
  return true;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  send(
    res,
    status,
    { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    bodyOf(JSON.stringify(value)),
  );
}
