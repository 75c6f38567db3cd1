import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { sendJson } from './respond.ts';
import type { Sessions } from './sessions.ts';
import { findUserByName } from './users.ts';

const MAX_BODY_BYTES = 16 * 1024;

const LoginForm = z.object({ user: z.string().min(1), password: z.string() });

/** Reads the request body as text, or undefined once it grows past `limit`. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
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

/** Accepts JSON or an HTML form; anything unreadable is undefined. */
function parseForm(text: string, contentType: string | undefined): unknown {
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** POST /login: every successful login issues a new token and a new session cookie. */
export async function handleLogin(
  req: IncomingMessage,
  res: ServerResponse,
  sessions: Sessions,
): Promise<void> {
  const text = await readBody(req, MAX_BODY_BYTES);
  if (text === undefined) return sendJson(res, 413, { error: 'request body too large' });
  const form = LoginForm.safeParse(parseForm(text, req.headers['content-type']));
  if (!form.success) return sendJson(res, 400, { error: 'expected user and password' });

  const user = findUserByName(form.data.user);
  if (!user || user.password !== form.data.password) {
    return sendJson(res, 401, { error: 'invalid credentials' });
  }
  const issued = sessions.issue(user);
  sendJson(
    res,
    200,
    { token: issued.token },
    { 'set-cookie': `sid=${issued.sid}; HttpOnly; Path=/; SameSite=Lax` },
  );
}
