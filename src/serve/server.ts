import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { listen } from '../http/listen.ts';
import { readBodyUpTo } from '../http/read-body.ts';
import type { Logger } from '../log.ts';
import type { ProbeConfig } from '../probe/config.ts';
import { redactSecrets } from '../probe/redact.ts';
import { type Answer, refusal } from './answers.ts';
import { presentedCredential, tokenMatches } from './auth.ts';
import { answerGate, CanaryProbe, type GateSetup, HOOKS, isHookType } from './hooks.ts';
import { type FlaggerPayload, parsePayload, revisionOf } from './payload.ts';

/**
 * `vakt serve`: Flagger's webhook contract over HTTP. Flagger POSTs its payload to
 * `/flagger/<hook type>`; a 200 lets the canary go on, anything else halts it. Every
 * request is answered with one line and logged as one line; nothing it carries (the
 * token, metadata) is ever written back or logged.
 */
export interface ServeOptions {
  port: number;
  host?: string;
  /** The token callers must present (Authorization: Bearer, or metadata.token). */
  token: string;
  /** The one Flagger Canary this server answers for. */
  canary: { namespace: string; name: string };
  gate?: GateSetup;
  probe?: ProbeConfig;
  log: Logger;
  /** Everything that must never appear in an answer or a log line. */
  secrets: readonly string[];
}

export interface ServeHandle {
  url: string;
  close(): Promise<void>;
}

/** Flagger's payload is a few hundred bytes; anything near this is not Flagger. */
const MAX_BODY = 64 * 1024;

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const stop = new AbortController();
  const probe = options.probe && new CanaryProbe(options.probe, options.log, stop.signal);
  const secrets = [options.token, ...options.secrets];
  const safe = (text: string) => redactSecrets(text, secrets);

  const server = createServer((req, res) => {
    const started = performance.now();
    handle(req, options, probe).then(
      ({ answer, fields }) => send(res, answer, fields, started),
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        send(res, refusal(500, `could not answer: ${message}`), {}, started);
      },
    );
  });

  function send(
    res: ServerResponse,
    answer: Answer,
    fields: Record<string, unknown>,
    started: number,
  ): void {
    const body = safe(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      // A body left unread (too large) must not be taken for the next request.
      ...(answer.status === 413 && { connection: 'close' }),
    });
    res.end(body);
    const line = { ...fields, status: answer.status, ms: Math.round(performance.now() - started) };
    const message = safe(body.trimEnd());
    // The kubelet asks /healthz every few seconds: that is no news.
    if (fields.path === '/healthz') options.log.debug(line, message);
    else if (answer.status === 200) options.log.info(line, message);
    else options.log.warn(line, message);
  }

  server.keepAliveTimeout = 5_000;
  const listening = await listen(server, options.port, options.host ?? '0.0.0.0');
  return {
    url: listening.url,
    close: () => {
      stop.abort();
      return listening.close();
    },
  };
}

interface Handled {
  answer: Answer;
  /** What the log line says about the request: never its body or headers. */
  fields: Record<string, unknown>;
}

async function handle(
  req: IncomingMessage,
  options: ServeOptions,
  probe: CanaryProbe | undefined,
): Promise<Handled> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const fields: Record<string, unknown> = { method: req.method, path };
  const done = (answer: Answer) => ({ answer, fields });

  if (path === '/healthz') {
    return done(
      req.method === 'GET' ? { status: 200, body: 'ok\n' } : refusal(405, 'GET /healthz only'),
    );
  }
  const hook = /^\/flagger\/([^/]+)$/.exec(path)?.[1];
  if (hook === undefined) {
    req.resume();
    return done(refusal(404, `no such endpoint ${path}: POST /flagger/<webhook type>`));
  }
  fields.hook = hook;
  if (req.method !== 'POST') {
    req.resume();
    return done(refusal(405, `Flagger webhooks are POSTs, got ${req.method}`));
  }
  const raw = await readBodyUpTo(req, MAX_BODY);
  if (raw === undefined) return done(refusal(413, `the payload is over ${MAX_BODY} bytes`));

  let body: unknown;
  let malformed: string | undefined;
  try {
    body = JSON.parse(raw);
  } catch {
    malformed = 'the payload is not JSON';
  }
  const metadata = metadataOf(body);
  const credential = presentedCredential(req.headers.authorization, metadata);
  fields.auth = credential.from;
  // With a header, the caller is judged before its payload; without one, the token is
  // in the payload, so a payload that cannot be read cannot authenticate either.
  if (credential.from === 'header' && !tokenMatches(options.token, credential.token)) {
    return done(refusal(401, 'the bearer token is wrong'));
  }
  if (malformed) return done(refusal(400, malformed));
  if (credential.from === 'none') {
    return done(
      refusal(401, 'no token: send Authorization: Bearer TOKEN, or metadata.token from Flagger'),
    );
  }
  if (credential.from === 'metadata' && !tokenMatches(options.token, credential.token)) {
    return done(refusal(401, 'metadata.token is wrong'));
  }

  if (!isHookType(hook)) {
    return done(
      refusal(
        404,
        `unknown webhook type "${hook}": vakt serve answers ${Object.keys(HOOKS).join(', ')}`,
      ),
    );
  }
  const payload = parsePayload(body);
  if (!payload.ok) return done(refusal(400, payload.reason));
  const canary = `${payload.value.namespace}/${payload.value.name}`;
  fields.canary = canary;
  if (payload.value.checksum) fields.checksum = payload.value.checksum;
  if (payload.value.phase) fields.phase = payload.value.phase;
  const mine = options.canary;
  if (payload.value.namespace !== mine.namespace || payload.value.name !== mine.name) {
    return done(
      refusal(404, `this vakt serve answers for ${mine.namespace}/${mine.name}, not ${canary}`),
    );
  }
  return done(await answerHook(HOOKS[hook], payload.value, options, probe));
}

async function answerHook(
  kind: 'gate' | 'probe',
  payload: FlaggerPayload,
  options: ServeOptions,
  probe: CanaryProbe | undefined,
): Promise<Answer> {
  if (kind === 'gate') {
    if (!options.gate)
      return refusal(404, 'this vakt serve has no gate: its policy has no approval section');
    const revision = revisionOf(payload.metadata);
    if (!revision.ok) return refusal(400, revision.reason);
    return answerGate(options.gate, revision.value);
  }
  if (!probe) return refusal(404, 'this vakt serve has no probe: its policy has no probe section');
  return probe.answer(payload.checksum);
}

function metadataOf(body: unknown): Record<string, string> | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const metadata = (body as { metadata?: unknown }).metadata;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return;
  const token = (metadata as { token?: unknown }).token;
  return typeof token === 'string' ? { token } : {};
}
