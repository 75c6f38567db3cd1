import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real nginx in front of a test server, for tests about what an edge does to responses:
 * compression, and caches configured the way CDNs get misconfigured. Everything nginx
 * writes (pid, logs, temp files, cache) lives in one temp dir that stop() removes.
 * nginx must be installed: `make test` runs scripts/ensure-nginx.sh first.
 */

/** What a site config is built from. */
export interface EdgeSite {
  /** host:port of the upstream, for `proxy_pass http://${upstream}`. */
  upstream: string;
  /** The `listen` directive, with the TLS directives when serving https: put it in server {}. */
  listen: string;
  /** nginx's own directory: put cache paths in here. */
  dir: string;
}

/** Builds what goes inside nginx's http {} block: cache zones and the server {} block. */
export type SiteConfig = (site: EdgeSite) => string;

/** PEM files for serving https. */
export interface TlsFiles {
  cert: string;
  key: string;
}

export interface StartNginxOptions {
  /** The port of the upstream (e.g. the sample shop) on upstreamHost. */
  upstreamPort: number;
  /** Default 127.0.0.1. */
  upstreamHost?: string;
  config: SiteConfig;
  /** Serve https with this certificate instead of http. */
  tls?: TlsFiles;
  /** How long nginx may take to accept connections (default 20 s, for slow machines). */
  startLimitMs?: number;
}

export interface Nginx {
  /** e.g. http://127.0.0.1:40123, or https://... with tls. */
  url: string;
  port: number;
  /** The temp dir holding nginx.conf, logs, temp files and cache. */
  dir: string;
  /** The contents of nginx.conf as written, to show in a failing test. */
  config: string;
  errorLog(): Promise<string>;
  /** Stops nginx (and its workers) and removes its dir. Safe to call twice. */
  stop(): Promise<void>;
}

const FIXTURES = resolve(import.meta.dirname, '../fixtures/tls');

/** The committed test-only CA and server certificate (see test/fixtures/tls/README.md). */
export const TEST_TLS = {
  ca: join(FIXTURES, 'ca.pem'),
  caKey: join(FIXTURES, 'ca-key.pem'),
  cert: join(FIXTURES, 'server.pem'),
  key: join(FIXTURES, 'server-key.pem'),
} as const;

const COMPRESSION = `
    gzip on;
    gzip_types application/json;
    gzip_min_length 256;
    gzip_proxied any;
    gzip_vary on;`;

/** Forwarding to the upstream; the edge compresses, so the upstream is asked for plain bytes. */
const proxyTo = (upstream: string) => `
      proxy_pass http://${upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Accept-Encoding "";`;

/**
 * A CDN change of the kind behind the Klarna incident: /api/orders is cached for 30 s
 * keyed by the URI alone, with the origin's Cache-Control, Set-Cookie and Expires ignored
 * and no regard for Authorization or Cookie. The second user gets the first user's orders.
 */
export const cachingEdge: SiteConfig = ({ upstream, listen, dir }) => `
  proxy_cache_path ${join(dir, 'cache')} levels=1:2 keys_zone=edge:1m max_size=16m inactive=5m use_temp_path=off;
  server {
    ${listen}${COMPRESSION}
    add_header X-Cache-Status $upstream_cache_status always;
    location / {${proxyTo(upstream)}
    }
    location = /api/orders {${proxyTo(upstream)}
      proxy_cache edge;
      proxy_cache_key $request_uri;
      proxy_ignore_headers Cache-Control Set-Cookie Expires;
      proxy_cache_valid 200 30s;
    }
  }
`;

/** The same edge without any cache: it compresses and forwards, nothing more. */
export const honestEdge: SiteConfig = ({ upstream, listen }) => `
  server {
    ${listen}${COMPRESSION}
    add_header X-Cache-Status $upstream_cache_status always;
    location / {${proxyTo(upstream)}
    }
  }
`;

/** The nginx binary: $NGINX, else nginx on PATH or in the sbin dirs a non-root PATH lacks. */
export function nginxBinary(): string {
  const explicit = process.env.NGINX;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  const candidates = explicit ? [explicit] : dirs.filter(Boolean).map((d) => join(d, 'nginx'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(
    `no nginx binary (${explicit ? `NGINX=${explicit}` : 'not on PATH nor in /usr/sbin'}): ` +
      'run scripts/ensure-nginx.sh (make test does), or set NGINX=/path/to/nginx',
  );
}

function nginxConf(dir: string, site: string): string {
  // As root, workers would run as nobody and could not use the private temp dir.
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  return `daemon off;
master_process on;
worker_processes 1;
${user}
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  client_body_temp_path ${join(dir, 'client_body_temp')};
  proxy_temp_path ${join(dir, 'proxy_temp')};
  fastcgi_temp_path ${join(dir, 'fastcgi_temp')};
  uwsgi_temp_path ${join(dir, 'uwsgi_temp')};
  scgi_temp_path ${join(dir, 'scgi_temp')};
  access_log ${join(dir, 'access.log')};
  default_type application/octet-stream;
${site}}
`;
}

/** A port nothing listens on right now (nginx may still lose it to a race: then we retry). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (!address || typeof address === 'string') throw new Error('no port from the OS');
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** Resolves once the port accepts connections; rejects if nginx exits first or time runs out. */
async function untilListening(child: ChildProcess, port: number, limitMs: number): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `nginx exited (${signal ?? `code ${code}`}) before accepting connections`;
  });
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (exited) throw new Error(exited);
    if (await accepts(port)) return;
    if (Date.now() > deadline) throw new Error(`nginx did not accept connections in ${limitMs} ms`);
    await sleep(25);
  }
}

/** Stops nginx: SIGTERM ends the master and its workers; SIGKILL if it does not go in 10 s. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

export async function startNginx(options: StartNginxOptions): Promise<Nginx> {
  const binary = nginxBinary();
  const upstream = `${options.upstreamHost ?? '127.0.0.1'}:${options.upstreamPort}`;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'vakt-nginx-'));
    const port = await freePort();
    const tls = options.tls;
    const listen = tls
      ? `listen 127.0.0.1:${port} ssl http2;\n    ssl_certificate ${tls.cert};\n    ssl_certificate_key ${tls.key};`
      : `listen 127.0.0.1:${port};`;
    const config = nginxConf(dir, options.config({ upstream, listen, dir }));
    await writeFile(join(dir, 'nginx.conf'), config);
    const child = spawn(binary, ['-p', dir, '-c', 'nginx.conf', '-e', join(dir, 'error.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    // If the test process ends without stop(), nginx must not outlive it.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const errorLog = () => readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= terminate(child).then(async () => {
        process.off('exit', killOnExit);
        await rm(dir, { recursive: true, force: true });
      });
      return stopped;
    };
    try {
      await untilListening(child, port, options.startLimitMs ?? 20_000);
    } catch (error) {
      const log = `${stderr}${await errorLog()}`.trim();
      await stop();
      lastError = new Error(`${(error as Error).message}\n${log}\n--- nginx.conf ---\n${config}`);
      if (log.includes('Address already in use')) continue;
      throw lastError;
    }
    const scheme = tls ? 'https' : 'http';
    return { url: `${scheme}://127.0.0.1:${port}`, port, dir, config, errorLog, stop };
  }
  throw lastError;
}
