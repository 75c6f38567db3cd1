import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProbeConfig, ProbeRequest, ProbeTenant } from '../../src/probe/config.ts';

/**
 * Small purpose-built services for probe behaviour the sample shop does not have, and
 * probe configs for them: two bearer tenants, alice (u-1) and bob (u-2).
 */

export class Targets {
  readonly #servers: Server[] = [];

  async serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server = createServer(handler);
    this.#servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async closeAll(): Promise<void> {
    const servers = this.#servers.splice(0);
    await Promise.all(
      servers.map((server) => {
        server.closeAllConnections();
        return new Promise<void>((r) => server.close(() => r()));
      }),
    );
  }
}

export const USERS = { 'tok-a': 'alice', 'tok-b': 'bob' } as Record<string, string>;
export const ID = { alice: 'u-1', bob: 'u-2' } as Record<string, string>;

export function tenant(
  name: string,
  auth: ProbeTenant['auth'],
  markers: string[] = [],
): ProbeTenant {
  // Secrets are the raw values, as the policy loader records them, not the header text.
  const secrets = Object.values(auth.headers).map((h) => h.replace(/^Bearer /, ''));
  return { name, identity: ID[name] ?? name, markers, auth, secrets };
}

export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** Who a request is from, by its bearer token; '' for nobody. */
export const who = (req: IncomingMessage): string =>
  USERS[(req.headers.authorization ?? '').replace('Bearer ', '')] ?? '';

/** alice and bob, each with their e-mail as a marker. */
export function aliceAndBob(): ProbeTenant[] {
  return [
    tenant('alice', bearer('tok-a'), ['alice@probe.example']),
    tenant('bob', bearer('tok-b'), ['bob@probe.example']),
  ];
}

/** GET requests for paths; the first is the identity request. */
export function gets(...paths: string[]): ProbeRequest[] {
  return paths.map((path) => ({ method: 'GET', path, headers: {} }));
}

export function config(
  target: string,
  tenants: ProbeTenant[],
  endpoints: string[] | ProbeRequest[],
  requests = 3000,
  load: Partial<ProbeConfig['load']> = {},
): ProbeConfig {
  const rest = endpoints.map((e) => (typeof e === 'string' ? (gets(e)[0] as ProbeRequest) : e));
  return {
    target,
    headers: {},
    tenants,
    requests: [...gets('/me'), ...rest],
    identityPointer: '/id',
    requestSecrets: [],
    load: {
      concurrency: 4,
      requests,
      durationMs: 20_000,
      cancelRatio: 0,
      reloginEvery: 0,
      timeoutMs: 5000,
      maxBodyBytes: 64 * 1024,
      maxExpansion: 100,
      ...load,
    },
    pass: { maxLeakRate: 0.001, confidence: 0.95, maxErrorRate: 0.01 },
  };
}

/** A request's whole body as text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
  });
}

/** Auth by a JSON POST /login as `user`; the token at `tokenPointer`, or the cookie set. */
export function jsonLogin(user: string, tokenPointer?: string): ProbeTenant['auth'] {
  return {
    headers: {},
    login: {
      method: 'POST',
      path: '/login',
      body: { contentType: 'application/json', text: JSON.stringify({ user }) },
      ...(tokenPointer ? { tokenPointer } : {}),
    },
  };
}
