import type { IncomingMessage } from 'node:http';

/**
 * The request body as text, or undefined once it passes `limit` bytes. Then nothing more
 * is read and the request is left paused: the caller drains it (to answer on a connection
 * kept alive) or closes the connection.
 */
export function readBodyUpTo(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const take = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', take);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', take);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
