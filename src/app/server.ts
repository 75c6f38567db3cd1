import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../http/listen.ts';
import { readBodyUpTo } from '../http/read-body.ts';
import type { Logger } from '../log.ts';
import { parseEvent, type Work } from './events.ts';

/**
 * The App's HTTP face: POST /webhook from GitHub, GET /healthz and /readyz for Kubernetes.
 * A webhook is answered before its work is done (GitHub waits ten seconds at most). The
 * signature is checked over the raw bytes before anything in them is read, and a refused
 * webhook is one log line without its payload or headers.
 */

export interface WebhookServerOptions {
  port: number;
  host: string;
  /** Whether X-Hub-Signature-256 matches the body (the App's webhook secret). */
  verify(body: string, signature: string): Promise<boolean>;
  /** Takes the work of a verified, well-formed webhook; false when shutting down. */
  accept(work: Work[], delivery: string): boolean;
  log: Logger;
}

export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

export const WEBHOOK_PATH = '/webhook';

/** GitHub caps payloads at 25 MB; the events vakt reads are tens of kilobytes. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

interface Answer {
  status: number;
  /** One sentence, sent back to GitHub (shown under the delivery) and logged. */
  message: string;
  what?: string;
  work?: number;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const server = createServer((req, res) => {
    void route(req, res, options);
  });
  // A client that trickles its headers or body does not hold a socket for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return listen(server, options.port, options.host);
}

async function route(req: IncomingMessage, res: ServerResponse, options: WebhookServerOptions) {
  const path = (req.url ?? '/').split('?')[0];
  const send = (status: number, body: string) => {
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(`${body}\n`);
  };
  if (path === '/healthz' || path === '/readyz') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'GET only');
    return send(200, 'ok');
  }
  if (path !== WEBHOOK_PATH) return send(404, 'not found');
  const delivery = header(req, 'x-github-delivery');
  const event = header(req, 'x-github-event');
  let answer: Answer;
  try {
    answer = await webhook(req, options, delivery, event);
  } catch (error) {
    // Reading the body failed (the client went away); nothing was acted on.
    answer = { status: 400, message: `could not read the request: ${messageOf(error)}` };
  }
  const line = {
    delivery,
    event,
    status: answer.status,
    ...(answer.what && { what: answer.what }),
    ...(answer.work !== undefined && { work: answer.work }),
  };
  if (answer.status >= 400) options.log.warn(line, `webhook refused: ${answer.message}`);
  else options.log.info(line, `webhook ${answer.message}`);
  if (!res.headersSent) send(answer.status, answer.message);
}

async function webhook(
  req: IncomingMessage,
  options: WebhookServerOptions,
  delivery: string,
  event: string,
): Promise<Answer> {
  if (req.method !== 'POST') return { status: 405, message: 'webhooks are POSTed' };
  const body = await readBodyUpTo(req, MAX_BODY_BYTES);
  if (body === undefined) {
    // Drop the rest unread: a sender still writing it then gets this answer, not a reset.
    req.resume();
    return { status: 413, message: `the body is over ${MAX_BODY_BYTES} bytes` };
  }
  const signature = header(req, 'x-hub-signature-256');
  if (!signature) {
    return { status: 401, message: 'no X-Hub-Signature-256: set the webhook secret on the App' };
  }
  if (!(await options.verify(body, signature))) {
    return { status: 401, message: 'the signature does not match the webhook secret' };
  }
  if (!event) return { status: 400, message: 'no X-GitHub-Event header' };
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    return { status: 415, message: `expected application/json, got "${clip(type ?? '')}"` };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return { status: 400, message: 'the body is not JSON' };
  }
  const parsed = parseEvent(event, payload);
  if (!parsed.ok) return { status: 400, message: parsed.reason };
  if (parsed.work.length === 0) {
    return { status: 200, message: `${parsed.what}: nothing to do`, what: parsed.what, work: 0 };
  }
  if (!options.accept(parsed.work, delivery)) {
    return { status: 503, message: 'shutting down: redeliver later', what: parsed.what };
  }
  return { status: 202, message: 'accepted', what: parsed.what, work: parsed.work.length };
}

/** A header as one short string: it is logged, and comes from whoever sent the request. */
function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return clip(Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
