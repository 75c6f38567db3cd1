import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runProbe } from '../src/probe/run.ts';
import type { LeakKind } from '../src/probe/types.ts';
import { FLAW_NAMES, type FlawName, type Shop, startShop } from '../src/shop/index.ts';
import { sampleConfig } from './support/shop-probe.ts';

let shop: Shop | undefined;
afterEach(async () => {
  await shop?.close();
  shop = undefined;
});

/** Every flaw: the sample policy exercises each mechanism. */
type CaughtFlaw = FlawName;
const CAUGHT = FLAW_NAMES;

const EXPECTED: Record<
  CaughtFlaw,
  { kinds: LeakKind[]; check?: (leak: import('../src/probe/types.ts').LeakEvidence) => void }
> = {
  'cache-without-user': { kinds: ['identity-mismatch', 'foreign-marker'] },
  'token-cache-key': { kinds: ['identity-mismatch', 'foreign-marker'] },
  'await-shared-state': { kinds: ['identity-mismatch', 'foreign-marker'] },
  'pipeline-cancel': {
    kinds: ['identity-mismatch', 'foreign-marker'],
    // The opening abandons a request once written and sends the next tenant: caught there.
    check: (leak) => expect(leak.request.pattern).toBe('cancel'),
  },
  'rare-race': { kinds: ['identity-mismatch', 'foreign-marker'] },
  'header-leak': {
    kinds: ['foreign-marker'],
    check: (leak) => {
      expect(leak.match?.where).toBe('header');
      expect(leak.match?.header).toBe('x-last-customer');
    },
  },
  'secondary-endpoint': {
    kinds: ['foreign-marker'],
    check: (leak) => expect(leak.request.path).toBe('/api/profile'),
  },
  'compressing-edge': {
    kinds: ['foreign-marker'],
    // Seen only once the gzip body is decoded: /api/me stays small and correct.
    check: (leak) => expect(['/api/orders', '/api/profile']).toContain(leak.request.path),
  },
  'api-key-cache': {
    kinds: ['served-to-anyone'],
    check: (leak) => {
      expect(leak.request.tenant).toBe('(no credentials)');
      expect(leak.owner).toBe('dave');
    },
  },
  'graphql-cache': {
    kinds: ['foreign-marker'],
    check: (leak) => expect(leak.request).toMatchObject({ method: 'POST', path: '/graphql' }),
  },
  'real-customers': {
    kinds: ['unknown-identity'],
    check: (leak) => {
      // A real customer's identifier is never shown, only its fingerprint.
      expect(leak.observedIdentity).toMatch(/^sha256:[0-9a-f]{12}$/);
      expect(JSON.stringify(leak)).not.toMatch(/c-9\d{3}/);
    },
  },
};

describe('the probe against the sample shop', () => {
  it.each(CAUGHT.map((f) => [f]))('catches %s and stops at the first leak', async (flaw) => {
    shop = await startShop({ flaw });
    const verdict = await runProbe(
      await sampleConfig(shop.url, { requests: 20_000, durationMs: 30_000 }),
    );
    expect(verdict.outcome).toBe('leak');
    const leak = verdict.leak;
    if (!leak) throw new Error('no evidence');
    expect(EXPECTED[flaw].kinds).toContain(leak.kind);
    EXPECTED[flaw].check?.(leak);
    expect(leak.request.tenant).not.toBe(leak.owner);
    expect(leak.elapsedMs).toBeGreaterThan(0);
    expect(verdict.leakRateBound).toBeNull();
    // Stopping at the first leak: the run does not go on to use its budget.
    expect(verdict.counters.sent).toBeLessThan(20_000);
  });

  it('raises no leak on the clean shop over 20,000 requests and bounds the leak rate', async () => {
    shop = await startShop();
    const verdict = await runProbe(
      await sampleConfig(shop.url, { requests: 20_000, durationMs: 60_000 }),
    );
    expect(verdict.leak).toBeUndefined();
    expect(verdict.outcome, verdict.reason).toBe('pass');
    expect(verdict.counters.checked).toBeGreaterThanOrEqual(20_000);
    expect(verdict.leakRateBound).toBeLessThan(0.001);
    // Every request pattern ran: cancellations, logins, bursts, both pool kinds.
    expect(verdict.counters.cancelled).toBeGreaterThan(0);
    expect(verdict.counters.logins).toBeGreaterThan(2);
    for (const pattern of ['interleaved', 'cancel', 'burst', 'sustained', 'login'] as const) {
      expect(verdict.counters.byPattern[pattern]?.sent).toBeGreaterThan(0);
    }
    expect(verdict.counters.byPool.shared).toBeGreaterThan(0);
    expect(verdict.counters.byPool.tenant).toBeGreaterThan(0);
    // The public catalog is cached by design and is no warning; personal responses are private.
    expect(verdict.warnings.filter((w) => w.kind === 'cache-risk')).toEqual([]);
  });

  it('warns about cache risk on personal responses without calling it a leak', async () => {
    shop = await startShop({ flaw: 'cache-without-user' });
    // One tenant cannot leak to itself, but the risky headers are still seen.
    const config = await sampleConfig(shop.url, { requests: 50 });
    const verdict = await runProbe({
      ...config,
      tenants: config.tenants.slice(0, 1),
      requests: config.requests.slice(0, 1),
    });
    expect(verdict.leak).toBeUndefined();
    expect(verdict.warnings.some((w) => w.kind === 'cache-risk' && w.path === '/api/me')).toBe(
      true,
    );
  });

  it('is inconclusive, never a pass, when the target is unreachable', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const verdict = await runProbe(
      await sampleConfig(`http://127.0.0.1:${port}`, { requests: 1000 }),
    );
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(/ECONNREFUSED/);
    expect(verdict.counters.checked).toBe(0);
  });

  it('is inconclusive when the target fails', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/login') {
        res.writeHead(200, {
          'content-type': 'application/json',
          'set-cookie': `sid=${Math.random()}`,
        });
        res.end(JSON.stringify({ token: `t${Math.random()}` }));
        return;
      }
      res.writeHead(503).end('busy');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const verdict = await runProbe(
        await sampleConfig(`http://127.0.0.1:${port}`, { requests: 1000 }),
      );
      expect(verdict.outcome).toBe('inconclusive');
      expect(verdict.reason).toMatch(/HTTP 503/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('is inconclusive with too few samples for the policy bound', async () => {
    shop = await startShop();
    const verdict = await runProbe(await sampleConfig(shop.url, { requests: 200 }));
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(/needs 2,995 samples/);
  });
});
