import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type Body, bodyOf } from './bodies.ts';

/** Writes a whole response; does nothing if the client is already gone. Says whether it wrote. */
export function send(
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: Body,
): boolean {
  if (res.destroyed) return false;
  headers['content-length'] = body.length;
  res.writeHead(status, headers);
  const last = body.chunks.length - 1;
  body.chunks.forEach((chunk, index) => {
    if (index < last) res.write(chunk);
  });
  res.end(body.chunks[last]);
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
