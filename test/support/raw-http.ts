import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { type Dispatcher, request } from 'undici';

/**
 * HTTP for tests that must see the bytes as they travelled: undici's request() does not
 * decode Content-Encoding (fetch would, and hide whether the response was compressed).
 */

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  /** The body as received: compressed if the server compressed it. */
  bytes: Buffer;
}

export async function rawRequest(
  url: string,
  options: {
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string;
    dispatcher?: Dispatcher;
  } = {},
): Promise<RawReply> {
  const res = await request(url, {
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    dispatcher: options.dispatcher,
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { status: res.statusCode, headers, bytes: Buffer.from(await res.body.arrayBuffer()) };
}

/** Whether bytes begin with the gzip magic number (RFC 1952: 1f 8b). */
export function isGzip(bytes: Buffer): boolean {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The body as text after undoing its Content-Encoding, as a client that decodes reads it. */
export function decodedText(reply: RawReply): string {
  const coding = reply.headers['content-encoding'];
  if (coding === 'gzip') return gunzipSync(reply.bytes).toString('utf8');
  if (coding === 'br') return brotliDecompressSync(reply.bytes).toString('utf8');
  if (coding) throw new Error(`unexpected content-encoding ${coding}`);
  return reply.bytes.toString('utf8');
}

export function decodedJson(reply: RawReply): Record<string, unknown> {
  return JSON.parse(decodedText(reply)) as Record<string, unknown>;
}
