import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { runProbe } from '../src/probe/run.ts';
import {
  aliceAndBob,
  config,
  ID,
  jsonLogin,
  readBody,
  Targets,
  who,
} from './support/probe-target.ts';

/**
 * Targets that never finish: every run must end within duration + timeout, whatever the
 * target does. The bound is asserted with a wide margin for a busy machine: what it
 * guards against is a run that goes on for many times its budget, or forever.
 */

const targets = new Targets();
afterEach(() => targets.closeAll());

const DURATION_MS = 1_500;
const TIMEOUT_MS = 1_000;
/** Slack for a loaded 2-core machine: scheduling, not the target, may take this long. */
const MARGIN_MS = 5_000;

async function timedRun(endpoint: string, target: string) {
  const started = performance.now();
  const verdict = await runProbe(
    config(target, aliceAndBob(), [endpoint], 1_000_000, {
      durationMs: DURATION_MS,
      timeoutMs: TIMEOUT_MS,
      maxBodyBytes: 256 * 1024,
    }),
  );
  return { verdict, ms: performance.now() - started };
}

/** /me answers at once; `path` is hostile. */
function hostile(path: string, misbehave: (res: import('node:http').ServerResponse) => void) {
  return targets.serve((req, res) => {
    res.setHeader('cache-control', 'private');
    if (req.url === path) return misbehave(res);
    res.end(JSON.stringify({ id: ID[who(req)] }));
  });
}

describe('hostile targets', () => {
  it('a server that drips one byte every 200 ms: ends on time, never a pass', async () => {
    const timers = new Set<NodeJS.Timeout>();
    const target = await hostile('/drip', (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 200);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
    });
    const { verdict, ms } = await timedRun('/drip', target);
    for (const t of timers) clearInterval(t);
    expect(ms).toBeLessThan(DURATION_MS + TIMEOUT_MS + MARGIN_MS);
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.warnings.some((w) => w.kind === 'deadline-body' && w.path === '/drip')).toBe(
      true,
    );
  });

  it('an endless chunked body: cut at maxBodyBytes, not drained, and ends on time', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const target = await hostile('/endless', (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {}
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const { verdict, ms } = await timedRun('/endless', target);
    expect(ms).toBeLessThan(DURATION_MS + TIMEOUT_MS + MARGIN_MS);
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.warnings.some((w) => w.kind === 'capped-body')).toBe(true);
    // Each endless response is abandoned at the cap: the scan never reads past it.
    const endless = verdict.counters.unchecked;
    expect(endless).toBeGreaterThan(0);
    expect(verdict.counters.bytesScanned).toBeLessThanOrEqual(
      (verdict.counters.checked + endless) * 256 * 1024,
    );
  });

  it('a server that never answers: each request ends at its deadline', async () => {
    const target = await hostile('/silent', () => undefined);
    const { verdict, ms } = await timedRun('/silent', target);
    expect(ms).toBeLessThan(DURATION_MS + TIMEOUT_MS + MARGIN_MS);
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.failures.some((f) => /deadline/.test(f.reason))).toBe(true);
  });
});

describe('values issued at run time', () => {
  it('are kept out of evidence like static secrets', async () => {
    const issued = new Map<string, string>();
    let n = 0;
    const target = await targets.serve((req, res) => {
      if (req.url === '/login') {
        void readBody(req).then((body) => {
          const { user } = JSON.parse(body) as { user: string };
          const token = `issued-${user}-${++n}-0123456789`;
          issued.set(token, user);
          res.end(JSON.stringify({ token }));
        });
        return;
      }
      const token = (req.headers.authorization ?? '').replace('Bearer ', '');
      const user = issued.get(token) ?? '';
      // Echoes the caller's session in a debug header, and tells alice she is bob.
      res.setHeader('x-debug-session', token);
      res.setHeader('cache-control', 'private');
      res.end(JSON.stringify({ id: user === 'alice' ? ID.bob : ID[user] }));
    });
    const tenants = aliceAndBob().map((t) => ({
      ...t,
      auth: jsonLogin(t.name, '/token'),
      secrets: [],
    }));
    const verdict = await runProbe(config(target, tenants, []));
    expect(verdict.outcome).toBe('leak');
    expect(verdict.leak?.headers['x-debug-session']).toBe('[redacted]');
    const text = JSON.stringify(verdict);
    for (const token of issued.keys()) expect(text).not.toContain(token);
  });
});
