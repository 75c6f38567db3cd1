import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PersonalBodies } from './bodies.ts';
import { createCatalogHandler } from './catalog.ts';
import { PERSONAL_PATHS } from './documents.ts';
import { createEdge } from './edge.ts';
import { type FlawName, isFlawName } from './flaws.ts';
import { createGraphqlHandler, type SignedIn } from './graphql.ts';
import { handleLogin } from './login.ts';
import { createPersonalHandler } from './personal.ts';
import { sendJson } from './respond.ts';
import { credentialFrom, Sessions } from './sessions.ts';
import { type CrossUserRecord, NO_ACCOUNT } from './witness.ts';

export interface ShopOptions {
  /** The release flaw to ship; undefined is a clean release. */
  flaw?: FlawName;
  host?: string;
  port?: number;
  /** Pads every personal JSON response to about this many bytes. */
  padBytes?: number;
  /** Release label reported in the X-Shop-Version header. */
  version?: string;
  /** Simulated database latency per personal request. */
  backendLatencyMs?: number;
}

export interface ShopStats {
  requests: number;
  personal: number;
  /** Personal requests by the name of the user the release believed made them. */
  byUser: Map<string, number>;
  /**
   * Personal requests by the account whose credential they presented, looked up without the
   * release's verification cache: who really asked, even when a flaw resolves them wrongly.
   */
  byCredential: Map<string, number>;
  /** Responses sent that carried another account's data (see witness.ts). */
  crossUser: CrossUserRecord;
}

export interface Shop {
  url: string;
  port: number;
  flaw: FlawName | undefined;
  stats: ShopStats;
  /** Closes the server and every keep-alive connection. */
  close(): Promise<void>;
}

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Every path the shop serves, and the one method each takes. */
const ROUTES: ReadonlyMap<string, 'GET' | 'POST'> = new Map([
  ...[...PERSONAL_PATHS.keys()].map((path) => [path, 'GET'] as const),
  ['/login', 'POST'],
  ['/graphql', 'POST'],
  ['/api/catalog', 'GET'],
  ['/healthz', 'GET'],
]);

/** Starts the sample shop on loopback (by default on an ephemeral port). */
export async function startShop(options: ShopOptions = {}): Promise<Shop> {
  const flaw = options.flaw;
  if (flaw !== undefined && !isFlawName(flaw)) throw new Error(`unknown shop flaw: ${flaw}`);
  const host = options.host ?? '127.0.0.1';
  const version = options.version ?? 'v1';
  const stats: ShopStats = {
    requests: 0,
    personal: 0,
    byUser: new Map(),
    byCredential: new Map(),
    crossUser: { sent: 0, byCredential: new Map() },
  };

  const sessions = new Sessions({ keyCacheByPrefix: flaw === 'token-cache-key' });
  const serveCatalog = createCatalogHandler(version);
  const bodies = new PersonalBodies(options.padBytes ?? 0);
  const servePersonal = createPersonalHandler({
    flaw,
    version,
    backendLatencyMs: options.backendLatencyMs ?? 1,
    bodies,
    crossUser: stats.crossUser,
  });
  // Only releases whose flaw is an edge rule have an edge in front; it answers before sign-in.
  const edge = createEdge({ flaw, bodies, crossUser: stats.crossUser });

  const failed = (res: ServerResponse) => (): void => {
    if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    else res.destroy();
  };

  /** Authenticates a personal request and counts it; undefined when nobody is signed in. */
  function signIn(req: IncomingMessage): SignedIn | undefined {
    const credential = credentialFrom(req.headers);
    const user = sessions.verify(credential);
    if (!user) return undefined;
    const caller = sessions.ownerOf(credential);
    const presented = caller?.name ?? NO_ACCOUNT;
    stats.personal++;
    stats.byUser.set(user.name, (stats.byUser.get(user.name) ?? 0) + 1);
    stats.byCredential.set(presented, (stats.byCredential.get(presented) ?? 0) + 1);
    return { user, caller };
  }
  const serveGraphql = createGraphqlHandler({ flaw, version, crossUser: stats.crossUser, signIn });

  function routePersonal(req: IncomingMessage, res: ServerResponse, path: string): void {
    const endpoint = PERSONAL_PATHS.get(path);
    if (!endpoint) return;
    const edgeKey = edge?.keyOf(req, path);
    if (edge && edgeKey !== undefined) {
      const caller = sessions.ownerOf(credentialFrom(req.headers));
      if (edge.serve(res, edgeKey, caller)) return;
    }
    const who = signIn(req);
    if (!who) {
      sendJson(res, 401, { error: 'unauthorized' });
      return;
    }
    servePersonal(res, path, endpoint, who.user, who.caller)
      .then((sent) => {
        if (sent && edge && edgeKey !== undefined) edge.store(edgeKey, sent);
      })
      .catch(failed(res));
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    stats.requests++;
    const path = pathOf(req.url);
    const method = ROUTES.get(path);
    if (method && req.method !== method) {
      sendJson(res, 405, { error: 'method not allowed' }, { allow: method });
    } else if (PERSONAL_PATHS.has(path)) {
      routePersonal(req, res, path);
    } else if (path === '/login') {
      handleLogin(req, res, sessions).catch(failed(res));
    } else if (path === '/graphql') {
      serveGraphql(req, res).catch(failed(res));
    } else if (path === '/api/catalog') {
      serveCatalog(res);
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-shop-version': version });
      res.end('ok');
    } else {
      sendJson(res, 404, { error: 'not found' });
    }
  }

  const server = createServer(route);
  // Keep-alive lets benchmarks reuse connections; close() still ends them at once.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    flaw,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
