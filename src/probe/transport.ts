import { type Dispatcher, Pool } from 'undici';

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
  /** Receives body chunks until it returns false; the rest is drained unread. */
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
  /** True when onChunk stopped reading before the end. */
  truncated: boolean;
}

/** The error a request abandoned on purpose ends with. */
export class AbandonedError extends Error {
  override name = 'AbandonedError';
  constructor() {
    super('abandoned mid-flight on purpose');
  }
}

export interface TransportOptions {
  tenants: number;
  concurrency: number;
  timeoutMs: number;
}

export class Transport {
  readonly #origin: string;
  readonly #basePath: string;
  readonly #shared: Pool;
  readonly #own: Pool[];
  readonly #timeoutMs: number;
  #closed: Promise<void> | undefined;

  constructor(target: string, options: TransportOptions) {
    const url = new URL(target);
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    const poolOptions = (connections: number) => ({
      connections,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
    });
    this.#shared = new Pool(this.#origin, poolOptions(options.concurrency));
    const perTenant = Math.max(2, Math.ceil(options.concurrency / options.tenants) + 1);
    this.#own = Array.from(
      { length: options.tenants },
      () => new Pool(this.#origin, poolOptions(perTenant)),
    );
  }

  /**
   * Sends one request through undici's dispatch interface: no stream objects per
   * request, body chunks straight to the caller, header bytes as the server sent them.
   */
  send(options: SendOptions): Promise<SentResponse> {
    const pool = options.pool === 'shared' ? this.#shared : this.#own[options.pool];
    if (!pool)
      return Promise.reject(new RangeError(`no connection pool for tenant ${options.pool}`));
    return new Promise((resolve, reject) => {
      let status = 0;
      let headers: Record<string, string> = {};
      let rawHeaders: Buffer[] = [];
      let setCookies: string[] = [];
      let bytes = 0;
      let reading = true;
      let truncated = false;
      const { signal } = options;
      let onAbort: (() => void) | undefined;
      let started: Dispatcher.DispatchController | undefined;
      const handler: Dispatcher.DispatchHandler = {
        onRequestSent() {
          if (options.abandonWhenSent) setImmediate(() => started?.abort(new AbandonedError()));
        },
        onRequestStart(controller) {
          started = controller;
          if (!signal) return;
          onAbort = () => controller.abort(signal.reason ?? new Error('aborted'));
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        },
        onResponseStart(controller, statusCode, parsed) {
          status = statusCode;
          ({ headers, setCookies } = normalise(parsed));
          rawHeaders = Array.isArray(controller.rawHeaders)
            ? (controller.rawHeaders as Buffer[])
            : [];
        },
        onResponseData(_controller, chunk) {
          bytes += chunk.length;
          if (reading && !options.onChunk(chunk)) {
            reading = false;
            truncated = true;
          }
        },
        onResponseEnd() {
          if (onAbort) signal?.removeEventListener('abort', onAbort);
          resolve({ status, headers, rawHeaders, setCookies, bytes, truncated });
        },
        onResponseError(_controller, error) {
          if (onAbort) signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      pool.dispatch(
        {
          method: options.method as Dispatcher.HttpMethod,
          path: this.#basePath + options.path,
          headers: options.headers,
          body: options.body ?? null,
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
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
