import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody } from './request-body.ts';
import { sendJson } from './respond.ts';
import type { Sessions } from './sessions.ts';
import { findUserByName } from './users.ts';

const LoginForm = z.object({ user: z.string().min(1), password: z.string() });

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
  const text = await readBody(req);
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
