import { writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { captureIo } from './io.ts';
import type { Targets } from './probe-target.ts';

/**
 * A service with one static-token tenant (alice) and one that logs in (bob), for CLI runs
 * against a policy file: what it answers to a login is the test's choice.
 */

export const ALICE_TOKEN = 'tok-alice-7d1e';
export const BOB_PASSWORD = 'pw-bob-4c9a';
const BOB_SESSION = 'sess-bob-e02f';

export interface LoginTarget {
  url: string;
  /** Requests the service received so far, logins included. */
  readonly requests: number;
}

export interface LoginTargetOptions {
  /** Status of every login (200 answers with a session); default 200 for the right password. */
  loginStatus?: number;
  /** Called with the running count on every request, before it is answered. */
  onRequest?: (requests: number) => void;
}

export async function startLoginTarget(
  targets: Targets,
  options: LoginTargetOptions = {},
): Promise<LoginTarget> {
  let requests = 0;
  const url = await targets.serve((req: IncomingMessage, res: ServerResponse) => {
    options.onRequest?.(++requests);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      if (req.url === '/login' && req.method === 'POST') {
        const sent = JSON.parse(body || '{}') as { password?: string };
        const status = options.loginStatus ?? (sent.password === BOB_PASSWORD ? 200 : 401);
        if (status !== 200) return json(status, { error: 'invalid credentials' });
        return json(200, { token: BOB_SESSION });
      }
      const auth = req.headers.authorization ?? '';
      if (auth === `Bearer ${ALICE_TOKEN}`) return json(200, { id: 'u-1' });
      if (auth === `Bearer ${BOB_SESSION}`) return json(200, { id: 'u-2' });
      return json(401, { error: 'who are you?' });
    });
  });
  return {
    url,
    get requests() {
      return requests;
    },
  };
}

/** Writes a policy for the target into `dir`; bob's password comes from `password`. */
export async function writeLoginPolicy(
  dir: string,
  url: string,
  options: { password?: string; requests?: number } = {},
): Promise<string> {
  const file = join(dir, 'policy.yaml');
  const password = options.password ?? '{ env: BOB_PASSWORD }';
  await writeFile(
    file,
    [
      'apiVersion: vakt.dev/v1alpha1',
      'kind: Policy',
      'probe:',
      `  target: ${url}`,
      '  tenants:',
      '    - name: alice',
      '      identity: u-1',
      '      auth: { bearer: { env: ALICE_TOKEN } }',
      '    - name: bob',
      '      identity: u-2',
      '      auth:',
      '        login:',
      '          method: POST',
      '          path: /login',
      `          json: { user: bob, password: ${password} }`,
      '          token: { jsonPointer: /token }',
      '  identity: { path: /me, jsonPointer: /id }',
      `  load: { requests: ${options.requests ?? 300}, concurrency: 4, cancelRatio: 0 }`,
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * What a `vakt probe` run against a login target starts from: the target, its policy
 * written into `dir`, and an Io whose environment holds both tenants' secrets.
 */
export async function startLoginRun(
  targets: Targets,
  dir: string,
  options: LoginTargetOptions & { requests?: number } = {},
) {
  const target = await startLoginTarget(targets, options);
  const policy = await writeLoginPolicy(dir, target.url, { requests: options.requests });
  const cap = captureIo({ ALICE_TOKEN, BOB_PASSWORD }, dir);
  return { target, policy, cap };
}
