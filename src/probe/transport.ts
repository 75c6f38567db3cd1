import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { buildConnector, type Dispatcher, Pool } from 'undici';
import { type AddressRules, bareHost, RefusedAddressError, refusedAddress } from './addresses.ts';

/**
 * HTTP for the probe: one connection pool per tenant and one shared by all tenants,
 * because leaks differ between the two (a proxy or gateway multiplexes many users over
 * the same upstream connections; a mobile app keeps its own). Bodies are streamed to the
 * caller chunk by chunk, so a 1 MiB response never has to sit in memory whole.
 */

export interface SendOptions {
  /** Tenant index for its own pool, or 'shared'. */
  pool: number | 'shared';
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Abandon the request as soon as it is written: the server is then surely mid-request. */
  abandonWhenSent?: boolean;
  /** Abandon the request as soon as the response headers arrive. */
  abandonAtHeaders?: boolean;
  /** Called once with the response headers, before the first body chunk. */
  onHeaders?: (headers: Record<string, string>) => void;
  /** Receives body chunks until it returns false; then the response is abandoned, not drained. */
  onChunk: (chunk: Uint8Array) => boolean;
}

export interface SentResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", " (set-cookie kept apart). */
  headers: Record<string, string>;
  /** Raw header lines as received: [name, value, name, value, ...] bytes. */
  rawHeaders: Buffer[];
  setCookies: string[];
  bytes: number;
  /**
   * Why the body was not read to its end: onChunk had enough ('capped'), or the request's
   * deadline passed mid-body ('deadline'). Undefined when it was read whole.
   */
  cut?: 'capped' | 'deadline';
}

/** The error a request abandoned on purpose ends with. */
export class AbandonedError extends Error {
  override name = 'AbandonedError';
  constructor() {
    super('abandoned mid-flight on purpose');
  }
}

/** The request's total deadline (headers and body) passed before its headers came. */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
  constructor(ms: number) {
    super(`no answer within the ${ms} ms deadline`);
  }
}

export interface TlsOptions {
  /** PEM certificates trusted besides the system's (a private CA). */
  ca?: string;
  /** The name to check the certificate against (SNI), when it is not the URL's host. */
  serverName?: string;
}

export interface TransportOptions {
  /** Connection pools of their own: one per tenant, plus one for anonymous requests. */
  pools: number;
  concurrency: number;
  timeoutMs: number;
  tls?: TlsOptions;
  /**
   * Addresses no connection may reach, checked on the resolved address before connecting
   * (the operator sets these; the CLI probes whatever its user points it at).
   */
  addresses?: AddressRules;
  /** Name resolution; replaceable for tests. */
  lookup?: typeof dnsLookup;
}

export class Transport {
  readonly #origin: string;
  readonly #basePath: string;
  readonly #shared: Pool;
  readonly #own: Pool[];
  readonly #timeoutMs: number;
  /** Protocols the connections spoke: http/1.1, or h2 where TLS negotiated it (ALPN). */
  readonly protocols = new Set<string>();
  #closed: Promise<void> | undefined;

  constructor(target: string, options: TransportOptions) {
    const url = new URL(target);
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    const connect = this.#connector(options);
    const poolOptions = (connections: number) => ({
      connections,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
      connect,
    });
    this.#shared = new Pool(this.#origin, poolOptions(options.concurrency));
    const perPool = Math.max(2, Math.ceil(options.concurrency / options.pools) + 1);
    this.#own = Array.from(
      { length: options.pools },
      () => new Pool(this.#origin, poolOptions(perPool)),
    );
  }

  /**
   * undici's own connector with the policy's CA and server name, noting which protocol
   * each connection settled on: the report says whether the edge was spoken to as a
   * browser would (h2 over TLS) or not.
   */
  #connector(options: TransportOptions): buildConnector.connector {
    const tls = options.tls ?? {};
    const rules = options.addresses;
    const base = buildConnector({
      timeout: options.timeoutMs,
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(rules ? { lookup: checkedLookup(rules, options.lookup ?? dnsLookup) } : {}),
    });
    return (connectOptions, callback) => {
      // An address in the URL is never looked up: check it here, before connecting.
      const host = bareHost(connectOptions.hostname);
      const refused = rules && isIP(host) ? refusedAddress(host, rules) : undefined;
      if (refused) {
        callback(new RefusedAddressError(`refused to connect: ${refused}`), null);
        return;
      }
      base(
        tls.serverName ? { ...connectOptions, servername: tls.serverName } : connectOptions,
        (error, socket) => {
          const remote = socket?.remoteAddress;
          const late = rules && remote ? refusedAddress(remote, rules) : undefined;
          if (socket && late) {
            // Not reached through the checked lookup (a proxy, an odd resolver): drop it
            // before a byte of the request is written.
            socket.destroy();
            callback(new RefusedAddressError(`refused to connect: ${late}`), null);
            return;
          }
          if (socket) {
            const alpn = (socket as TLSSocket).alpnProtocol;
            this.protocols.add(typeof alpn === 'string' && alpn !== '' ? alpn : 'http/1.1');
          }
          // undici's callback types want exactly one of the two.
          if (error) callback(error, null);
          else callback(null, socket as NonNullable<typeof socket>);
        },
      );
    };
  }

  /**
   * Sends one request through undici's dispatch interface: no stream objects per
   * request, body chunks straight to the caller, header bytes as the server sent them.
   */
  send(options: SendOptions): Promise<SentResponse> {
    const pool = options.pool === 'shared' ? this.#shared : this.#own[options.pool];
    if (!pool)
      return Promise.reject(new RangeError(`no connection pool for tenant ${options.pool}`));
    const timeoutMs = this.#timeoutMs;
    return new Promise((resolve, reject) => {
      let status = 0;
      let headers: Record<string, string> = {};
      let rawHeaders: Buffer[] = [];
      let setCookies: string[] = [];
      let bytes = 0;
      let cut: SentResponse['cut'];
      let settled = false;
      let controller: Dispatcher.DispatchController | undefined;
      /** Set before the request started (still queued for a connection): abort it on start. */
      let abortOnStart: Error | undefined;
      const { signal } = options;

      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve({ status, headers, rawHeaders, setCookies, bytes, cut });
        else reject(error);
      };
      const abort = (error: Error) => {
        if (controller) controller.abort(error);
        else abortOnStart = error;
      };
      /** Stops reading: what was read so far is the answer, marked as cut short. */
      const cutShort = (why: NonNullable<SentResponse['cut']>) => {
        cut = why;
        finish();
        abort(new AbandonedError());
      };
      // The total deadline covers waiting for a connection, the headers and the whole
      // body: a server that drips one byte every few hundred milliseconds never trips an
      // idle timer, but trips this.
      const deadline = setTimeout(() => {
        if (status !== 0) cutShort('deadline');
        else {
          const error = new DeadlineError(timeoutMs);
          finish(error);
          abort(error);
        }
      }, timeoutMs);
      function onAbort() {
        const error = signal?.reason instanceof Error ? signal.reason : new AbandonedError();
        finish(error);
        abort(error);
      }
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(started) {
          controller = started;
          if (abortOnStart) started.abort(abortOnStart);
        },
        onRequestSent() {
          if (options.abandonWhenSent) setImmediate(() => abort(new AbandonedError()));
        },
        onResponseStart(started, statusCode, parsed) {
          if (settled) return;
          status = statusCode;
          ({ headers, setCookies } = normalise(parsed));
          rawHeaders = Array.isArray(started.rawHeaders)
            ? (started.rawHeaders as (Buffer | string)[]).map((h) =>
                typeof h === 'string' ? Buffer.from(h, 'latin1') : h,
              )
            : [];
          if (options.abandonAtHeaders) {
            finish(new AbandonedError());
            abort(new AbandonedError());
            return;
          }
          options.onHeaders?.(headers);
        },
        onResponseData(_started, chunk) {
          if (settled) return;
          bytes += chunk.length;
          if (!options.onChunk(chunk)) cutShort('capped');
        },
        onResponseEnd() {
          finish();
        },
        onResponseError(_started, error) {
          finish(error);
        },
      };
      pool.dispatch(
        {
          method: options.method as Dispatcher.HttpMethod,
          path: this.#basePath + options.path,
          headers: options.headers,
          body: options.body ?? null,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        },
        handler,
      );
    });
  }

  /** Abandons every request in flight at once (the run found a leak) and closes the pools. */
  close(): Promise<void> {
    this.#closed ??= Promise.all([this.#shared, ...this.#own].map((pool) => pool.destroy())).then(
      () => undefined,
    );
    return this.#closed;
  }
}

/**
 * A lookup for net.connect that fails when any address the name resolves to is refused:
 * checking only the first would let a name with a metadata address second through once
 * the first stops answering (Happy Eyeballs tries them all).
 */
function checkedLookup(rules: AddressRules, lookup: typeof dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const list = Array.isArray(addresses) ? addresses : [];
      for (const { address } of list) {
        const refused = refusedAddress(address, rules);
        if (refused) {
          const why = `refused to connect to ${hostname}: it resolves to ${refused}`;
          callback(new RefusedAddressError(why), '', 0);
          return;
        }
      }
      if (options.all) callback(null, list);
      else if (list[0]) callback(null, list[0].address, list[0].family);
      else callback(new RefusedAddressError(`${hostname} resolved to no address`), '', 0);
    });
  };
}

function normalise(parsed: Record<string, string | string[] | undefined>): {
  headers: Record<string, string>;
  setCookies: string[];
} {
  const headers: Record<string, string> = {};
  let setCookies: string[] = [];
  for (const name in parsed) {
    const value = parsed[name];
    if (value === undefined) continue;
    if (name === 'set-cookie') setCookies = Array.isArray(value) ? value : [value];
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { headers, setCookies };
}
