import { request } from 'node:http';
import { connect } from 'node:net';
import { ROUTE_HEADER } from './router.ts';

/**
 * Facts that show a revert took effect, observed from outside rather than taken on trust:
 * where the router sends a probe-marked request now, and whether the stopped candidate's
 * address still accepts connections.
 */

export interface RouteAnswer {
  /** The release the router sent the request to (its x-vakt-route tag), or '' if untagged. */
  routedTo: string;
  /** The release that answered (X-Shop-Version), or 'nobody'. */
  answeredBy: string;
  status: number;
}

/** Sends one request marked as probe traffic through the router and says who handled it. */
export function askAsProbe(
  routerUrl: string,
  probeHeader: { name: string; value: string },
): Promise<RouteAnswer> {
  const url = new URL('/healthz', routerUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { headers: { [probeHeader.name]: probeHeader.value }, agent: false, timeout: 5_000 },
      (res) => {
        res.resume();
        res.on('end', () => {
          const route = String(res.headers[ROUTE_HEADER] ?? '');
          const version = res.headers['x-shop-version'];
          resolve({
            routedTo: route.slice(0, route.lastIndexOf('/')),
            answeredBy: typeof version === 'string' ? version : 'nobody',
            status: res.statusCode ?? 0,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url.origin} did not answer in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Whether a connection to the address is refused: true once nothing listens there. */
export function refusesConnections(address: string): Promise<boolean> {
  const url = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    socket.setTimeout(2_000, () => socket.destroy(new Error(`no answer from ${url.host}`)));
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve(true);
      else reject(error);
    });
  });
}
