import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../src/policy/load.ts';
import { resolveProbe } from '../src/policy/secrets.ts';
import { probeConfig } from '../src/probe/config.ts';
import { runProbe } from '../src/probe/run.ts';
import { probeText } from '../src/report/probe-text.ts';

/** An HTTPS edge with a private CA, speaking h2 to whoever offers it (as edges do). */

const TLS = resolve(import.meta.dirname, 'fixtures/tls');
const ID: Record<string, string> = { 'Bearer tok-a': 'u-1', 'Bearer tok-b': 'u-2' };

let server: Http2SecureServer | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function edge(): Promise<number> {
  server = createSecureServer(
    {
      cert: readFileSync(resolve(TLS, 'server.pem')),
      key: readFileSync(resolve(TLS, 'server-key.pem')),
      allowHTTP1: true,
    },
    (req, res) => {
      res.setHeader('cache-control', 'private');
      res.end(JSON.stringify({ id: ID[String(req.headers.authorization)] ?? null }));
    },
  );
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

function policy(tls: string): string {
  return `apiVersion: vakt.dev/v1alpha1
kind: Policy
probe:
${tls}
  tenants:
    - { name: alice, identity: u-1, auth: { bearer: { value: tok-a } } }
    - { name: bob, identity: u-2, auth: { bearer: { value: tok-b } } }
  identity: { path: /me, jsonPointer: /id }
  load: { requests: 200, duration: 20s }
  pass: { maxLeakRate: 0.02 }
`;
}

async function probe(target: string, tls: string) {
  const loaded = parsePolicy(policy(tls), resolve(TLS, 'policy.yaml'));
  if (!loaded.ok || !loaded.policy.probe) throw new Error(JSON.stringify(loaded));
  const resolved = resolveProbe(loaded.policy.probe, { env: {}, baseDir: TLS });
  return runProbe(probeConfig(loaded.policy.probe, resolved, { target }));
}

describe('HTTPS targets', () => {
  it('trust a private CA from probe.tls.ca, speak h2, and say so in the report', async () => {
    const port = await edge();
    const verdict = await probe(`https://127.0.0.1:${port}`, '  tls: { ca: { file: ca.pem } }');
    expect(verdict.outcome).toBe('pass');
    expect(verdict.protocols).toEqual(['h2']);
    expect(probeText(verdict, false)).toMatch(/protocol\s+h2/);
  });

  it('check the certificate against probe.tls.serverName', async () => {
    const port = await edge();
    const ok = await probe(
      `https://127.0.0.1:${port}`,
      '  tls: { ca: { file: ca.pem }, serverName: shop.test }',
    );
    expect(ok.outcome).toBe('pass');
    const wrong = await probe(
      `https://127.0.0.1:${port}`,
      '  tls: { ca: { file: ca.pem }, serverName: other.test }',
    );
    expect(wrong.outcome).toBe('inconclusive');
    expect(wrong.failures[0]?.reason).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('refuse a certificate nobody said to trust: inconclusive, never a pass', async () => {
    const port = await edge();
    const verdict = await probe(`https://127.0.0.1:${port}`, '');
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.counters.checked).toBe(0);
    expect(verdict.failures[0]?.reason).toMatch(/CERT|SELF_SIGNED|VERIFY/);
  });
});
