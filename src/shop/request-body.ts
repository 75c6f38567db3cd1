import type { IncomingMessage } from 'node:http';

/** Login forms and GraphQL requests are small; anything larger is refused. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Reads the request body as text, or undefined once it grows past `limit`. */
export function readBody(
  req: IncomingMessage,
  limit = MAX_BODY_BYTES,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(size <= limit ? Buffer.concat(chunks).toString('utf8') : undefined),
    );
    req.on('error', reject);
    // A client that leaves mid-body never sends 'end'; settle so the handler does not linger.
    req.on('close', () => {
      if (!req.complete) reject(new Error('client left during the request body'));
    });
  });
}
