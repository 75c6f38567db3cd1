import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { runTargets } from '../src/operator/probe-run.ts';
import { Policy } from '../src/policy/schema.ts';
import { resolveProbe } from '../src/policy/secrets.ts';
import { probeConfig } from '../src/probe/config.ts';
import { runProbe } from '../src/probe/run.ts';
import { leakStatus } from '../src/release/context.ts';
import type { ProbeReport } from '../src/release/state.ts';
import { ID, readBody, Targets } from './support/probe-target.ts';

/**
 * What the operator writes about a leak (status.lastLeak, and the Event built from it)
 * never carries a value issued at run time: a session token a login handed out and the
 * service echoed back in a header.
 */

const targets = new Targets();
afterEach(() => targets.closeAll());

const POLICY = Policy.parse({
  apiVersion: 'vakt.dev/v1alpha1',
  kind: 'Policy',
  probe: {
    tenants: ['alice', 'bob'].map((name) => ({
      name,
      identity: ID[name],
      auth: {
        login: {
          path: '/login',
          json: { user: name, password: { env: `${name.toUpperCase()}_PASSWORD` } },
          token: { jsonPointer: '/token' },
        },
      },
    })),
    identity: { path: '/me', jsonPointer: '/id' },
  },
});

describe('a leak as the operator records it', () => {
  it('carries no session token issued during the run', async () => {
    const issued = new Map<string, string>();
    const target = await targets.serve((req, res) => {
      if (req.url === '/login') {
        void readBody(req).then((body) => {
          const { user } = JSON.parse(body) as { user: string };
          const token = `sess-${user}-${issued.size}-9f8e7d6c5b4a`;
          issued.set(token, user);
          res.end(JSON.stringify({ token }));
        });
        return;
      }
      const token = (req.headers.authorization ?? '').replace('Bearer ', '');
      const user = issued.get(token);
      res.setHeader('x-session-echo', token);
      res.setHeader('cache-control', 'private');
      // bob is told he is alice.
      res.end(JSON.stringify({ id: user === 'bob' ? ID.alice : user && ID[user] }));
    });
    const probe = POLICY.probe;
    if (!probe) throw new Error('no probe');
    // In a ReleaseGuard, { env: KEY } names a key of the tenants Secret.
    const resolved = resolveProbe(probe, {
      env: { ALICE_PASSWORD: 'pw-alice-123456', BOB_PASSWORD: 'pw-bob-123456' },
      baseDir: '/',
    });
    const reports: ProbeReport[] = [];
    await runTargets({
      base: {
        kind: 'probe',
        target: 'candidate',
        mode: 'canary',
        templateHash: 'h',
        runId: 'r',
        maxLeakRate: 0.001,
      },
      targets: [{ url: target, config: probeConfig(probe, resolved, { target }) }],
      confidence: 0.95,
      runner: runProbe,
      log: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      deliver: (report) => reports.push(report),
      onRequests: () => undefined,
    });
    const leak = reports.find((r) => r.outcome === 'leak');
    expect(leak?.leak?.kind).toBe('identity-mismatch');
    const status = leakStatus(leak as ProbeReport, '2026-12-02T00:00:00Z');
    expect(status.headers['x-session-echo']).toBe('[redacted]');
    const written = JSON.stringify({ status, reports });
    expect(issued.size).toBeGreaterThan(0);
    for (const token of issued.keys()) expect(written).not.toContain(token);
    expect(written).not.toContain('pw-alice-123456');
  });
});
