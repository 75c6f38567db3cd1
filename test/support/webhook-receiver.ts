import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A webhook receiver on loopback, as Slack, Teams or a team's own endpoint would be: it
 * records every request and answers as told (an HTTP status, a Retry-After, or never).
 * Its URL carries a secret path segment, as real webhook URLs do.
 */

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** What to answer a request with: a status (and headers), or 'hang' to never answer. */
export type Answer = { status: number; headers?: Record<string, string> } | 'hang';

export interface Receiver {
  /** Includes the secret token, as a webhook URL does. */
  url: string;
  token: string;
  received: Received[];
  /** Requests answered so far. */
  answered: number;
  /** Requests held open by a 'hang' answer. */
  hanging: number;
  /** Answers for the next requests, in order; then the fallback (200 unless told). */
  answers: Answer[];
  /** Answers every request held open with 200. */
  release(): void;
  close(): Promise<void>;
}

export async function startReceiver(
  answers: Answer[] = [],
  /** The answer once `answers` run out. */
  otherwise: Answer = { status: 200 },
): Promise<Receiver> {
  const token = `T0${randomBytes(12).toString('hex')}`;
  const held: ServerResponse[] = [];
  const receiver: Receiver = {
    url: '',
    token,
    received: [],
    answered: 0,
    hanging: 0,
    answers: [...answers],
    release() {
      for (const res of held.splice(0)) {
        res.end('ok');
        receiver.hanging -= 1;
        receiver.answered += 1;
      }
    },
    close: async () => {
      receiver.release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      receiver.received.push({ path: req.url ?? '', headers: req.headers, body });
      const answer = receiver.answers.shift() ?? otherwise;
      if (answer === 'hang') {
        receiver.hanging += 1;
        held.push(res);
        return;
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.status < 300 ? 'ok' : 'no');
      receiver.answered += 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}/services/${token}`;
  return receiver;
}

/** Files holding webhook URLs, as the chart mounts a Secret's keys. */
export async function urlFiles(urls: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'vakt-notify-'));
  const files: Record<string, string> = {};
  for (const [name, url] of Object.entries(urls)) {
    files[name] = join(dir, name);
    await writeFile(files[name], `${url}\n`);
  }
  return { dir, files, remove: () => rm(dir, { recursive: true, force: true }) };
}
