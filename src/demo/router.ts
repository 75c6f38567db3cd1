import { randomBytes } from 'node:crypto';
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A loopback reverse proxy standing in for a canary-capable ingress. Real-user traffic
 * always goes to the stable release. Requests carrying the probe header (with the router's
 * own random value, so nobody reaches the canary by accident) go to the candidate when there
 * is one, else to stable, as header-based canary routing in an ingress does.
 *
 * Every proxied response gets an `x-vakt-route: LABEL/N` header naming where the router
 * sent the request, and the router remembers when it last sent a request to each release:
 * the two facts that show a withdrawal took effect. A withdrawn release is rejected for
 * good: it cannot come back as a candidate.
 */

export interface Upstream {
  /** The release, e.g. v1. */
  label: string;
  url: string;
}

export interface RouteCounts {
  real: number;
  probe: number;
}

export interface Withdrawal {
  label: string;
  /** performance.now() when the candidate was taken out of the routing table. */
  at: number;
}

/** Thrown when a withdrawn release is offered as a candidate again. */
export class WithdrawnError extends Error {
  override name = 'WithdrawnError';
}

export interface Router {
  url: string;
  /** The header the probe must send to reach the candidate. */
  probeHeader: { name: string; value: string };
  stable(): string;
  candidate(): string | undefined;
  /** Routes probe traffic to a new candidate from the next request on; never a withdrawn one. */
  setCandidate(upstream: Upstream): void;
  /** Takes the candidate out at once (synchronous): the next request no longer reaches it. */
  withdraw(): Withdrawal | undefined;
  /** The candidate becomes stable; returns the former stable upstream. */
  promote(): Upstream;
  /** Requests routed to a release, real users and probes apart. */
  counts(label: string): RouteCounts;
  /** performance.now() when the router last sent a request to the release. */
  lastRoutedAt(label: string): number | undefined;
  /** performance.now() of every real-user request the router sent to the release, in order. */
  realRoutedAt(label: string): number[];
  /** Resolves once no request is in flight to the release. */
  drained(label: string): Promise<void>;
  close(): Promise<void>;
}

export const ROUTE_HEADER = 'x-vakt-route';
const PROBE_HEADER = 'x-vakt-probe';

/** Hop-by-hop headers: they describe one connection and are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  }
  return out;
}

interface Route {
  upstream: Upstream;
  agent: Agent;
  url: URL;
}

export async function startRouter(stable: Upstream): Promise<Router> {
  const probeHeader = { name: PROBE_HEADER, value: randomBytes(9).toString('base64url') };
  const route = (upstream: Upstream): Route => ({
    upstream,
    agent: new Agent({ keepAlive: true }),
    url: new URL(upstream.url),
  });
  let current = route(stable);
  let canary: Route | undefined;
  let sequence = 0;
  const counts = new Map<string, RouteCounts>();
  const inFlight = new Map<string, number>();
  const waiting = new Map<string, (() => void)[]>();
  const lastRouted = new Map<string, number>();
  // One number per real-user request (a few hundred in a demo run): what the report's
  // traffic chart is drawn from.
  const realTimes = new Map<string, number[]>();
  const withdrawn = new Set<string>();
  const retired: Route[] = [];

  const countOf = (label: string): RouteCounts => {
    let entry = counts.get(label);
    if (!entry) {
      entry = { real: 0, probe: 0 };
      counts.set(label, entry);
    }
    return entry;
  };
  const settle = (label: string): void => {
    const left = (inFlight.get(label) ?? 1) - 1;
    inFlight.set(label, left);
    if (left > 0) return;
    for (const wake of waiting.get(label) ?? []) wake();
    waiting.delete(label);
  };

  function proxy(req: IncomingMessage, res: ServerResponse): void {
    const isProbe = req.headers[PROBE_HEADER] === probeHeader.value;
    // Chosen when the request arrives: a withdrawal applies from the next request on.
    const target = isProbe && canary ? canary : current;
    const label = target.upstream.label;
    const now = performance.now();
    lastRouted.set(label, now);
    countOf(label)[isProbe ? 'probe' : 'real']++;
    if (!isProbe) {
      const times = realTimes.get(label) ?? [];
      times.push(now);
      realTimes.set(label, times);
    }
    inFlight.set(label, (inFlight.get(label) ?? 0) + 1);
    const routeId = `${label}/${++sequence}`;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      settle(label);
    };

    const headers = forwardable(req.headers);
    delete headers[PROBE_HEADER];
    const upstreamReq = request({
      host: target.url.hostname,
      port: target.url.port,
      method: req.method,
      path: req.url,
      headers,
      agent: target.agent,
    });
    upstreamReq.on('response', (upstreamRes) => {
      const out = forwardable(upstreamRes.headers);
      out[ROUTE_HEADER] = routeId;
      if (res.destroyed) {
        upstreamRes.destroy();
        return;
      }
      res.writeHead(upstreamRes.statusCode ?? 502, out);
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
    });
    upstreamReq.on('error', () => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(502, { 'content-type': 'application/json', [ROUTE_HEADER]: routeId });
        res.end(JSON.stringify({ error: `release ${label} did not answer` }));
      } else res.destroy();
      finish();
    });
    // A client that leaves mid-request must be seen to leave by the upstream, too: that is
    // what sets off flaws such as a reply left behind on a cancelled request.
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
      finish();
    });
    req.pipe(upstreamReq);
  }

  const server = createServer(proxy);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    probeHeader,
    stable: () => current.upstream.label,
    candidate: () => canary?.upstream.label,
    setCandidate(upstream) {
      if (withdrawn.has(upstream.label))
        throw new WithdrawnError(`${upstream.label} was withdrawn and is not routed to again`);
      if (canary) retired.push(canary);
      canary = route(upstream);
    },
    withdraw() {
      if (!canary) return undefined;
      const out = canary;
      canary = undefined;
      withdrawn.add(out.upstream.label);
      retired.push(out);
      return { label: out.upstream.label, at: performance.now() };
    },
    promote() {
      if (!canary) throw new Error('no candidate to promote');
      const former = current;
      current = canary;
      canary = undefined;
      retired.push(former);
      return former.upstream;
    },
    counts: (label) => ({ ...countOf(label) }),
    lastRoutedAt: (label) => lastRouted.get(label),
    realRoutedAt: (label) => [...(realTimes.get(label) ?? [])],
    drained(label) {
      if ((inFlight.get(label) ?? 0) <= 0) return Promise.resolve();
      return new Promise((resolve) => {
        waiting.set(label, [...(waiting.get(label) ?? []), resolve]);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const r of [current, canary, ...retired]) r?.agent.destroy();
      }),
  };
}
