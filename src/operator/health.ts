import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { listen } from '../http/listen.ts';

/**
 * The operator's HTTP endpoints: /healthz (the process answers), /readyz (it does its
 * job: watching as leader, or standing by), /metrics (Prometheus). The CLI may serve
 * health and metrics on two ports; each server answers only what it was given.
 */

export interface HttpOptions {
  port: number;
  host?: string;
  /** Serve /healthz and /readyz with this readiness check. */
  ready?: () => boolean;
  /** Serve /metrics from this registry. */
  registry?: Registry;
}

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

export async function startHttp(options: HttpOptions): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'GET only\n');
    if (options.ready && path === '/healthz') return send(200, 'text/plain', 'ok\n');
    if (options.ready && path === '/readyz') {
      const ready = safely(options.ready);
      return send(ready ? 200 : 503, 'text/plain', ready ? 'ready\n' : 'not ready\n');
    }
    if (options.registry && path === '/metrics') {
      const registry = options.registry;
      registry.metrics().then(
        (text) => send(200, registry.contentType, text),
        () => send(500, 'text/plain', 'metrics unavailable\n'),
      );
      return;
    }
    send(404, 'text/plain', 'not found\n');
  });
  server.keepAliveTimeout = 5_000;
  return listen(server, options.port, options.host ?? '0.0.0.0');
}

function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
