import { Agent, request } from 'node:http';
import { ALL_USERS, type ShopUser } from '../shop/users.ts';

/**
 * Simulated real customers using the shop through the router at a steady rate. Each request
 * is checked the way the customer would: is this my own data, and nobody else's?
 */

export interface TrafficStats {
  sent: number;
  /** Answered with the customer's own data and nobody else's. */
  ok: number;
  /** Answered with another account's data: a leak a real customer saw. */
  wrongData: number;
  /** No answer, or not a 200. */
  failed: number;
  byCustomer: Record<string, number>;
  /** Responses by the release that served them (X-Shop-Version). */
  byRelease: Record<string, number>;
}

export interface TrafficOptions {
  target: string;
  customers: readonly ShopUser[];
  /** Requests per second, all customers together. */
  ratePerSecond: number;
}

export interface Traffic {
  stats: TrafficStats;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<TrafficStats>;
}

const PATHS = ['/api/me', '/api/orders', '/api/profile'];

/** Whether a body is the customer's own: their e-mail in it, and no other account's. Pure. */
export function ownDataOnly(body: string, customer: ShopUser, everyone: readonly ShopUser[]) {
  if (!body.includes(customer.email)) return false;
  return everyone.every((other) => other.id === customer.id || !body.includes(other.email));
}

export function startTraffic(options: TrafficOptions): Traffic {
  const url = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const stats: TrafficStats = {
    sent: 0,
    ok: 0,
    wrongData: 0,
    failed: 0,
    byCustomer: {},
    byRelease: {},
  };
  const pending = new Set<Promise<void>>();
  let n = 0;

  function one(customer: ShopUser, path: string): Promise<void> {
    stats.sent++;
    stats.byCustomer[customer.name] = (stats.byCustomer[customer.name] ?? 0) + 1;
    return new Promise<void>((resolve) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path,
          agent,
          headers: { authorization: `Bearer ${customer.token}` },
          timeout: 5_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const release = res.headers['x-shop-version'];
            if (typeof release === 'string')
              stats.byRelease[release] = (stats.byRelease[release] ?? 0) + 1;
            const body = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) stats.failed++;
            else if (ownDataOnly(body, customer, ALL_USERS)) stats.ok++;
            else stats.wrongData++;
            resolve();
          });
          res.on('error', () => {
            stats.failed++;
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        stats.failed++;
        resolve();
      });
      req.end();
    });
  }

  const tick = () => {
    const customer = options.customers[n % options.customers.length];
    const path = PATHS[Math.floor(n / options.customers.length) % PATHS.length] ?? '/api/me';
    n++;
    if (!customer) return;
    const sent = one(customer, path);
    pending.add(sent);
    void sent.then(() => pending.delete(sent));
  };
  tick();
  const timer = setInterval(tick, Math.max(1, 1000 / options.ratePerSecond));

  return {
    stats,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      agent.destroy();
      return stats;
    },
  };
}
