import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server that is listening: where to reach it, and how to stop it. */
export interface Listening {
  url: string;
  /** Resolves once the server is closed; open connections, kept-alive ones too, end at once. */
  close(): Promise<void>;
}

/**
 * Starts `server` on `host`:`port` (port 0: any free one), failing if it cannot bind.
 * The url names loopback for a server on every interface, so tests and probes on this
 * machine can use it as it is.
 */
export async function listen(server: Server, port: number, host: string): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
