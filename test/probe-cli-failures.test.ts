import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import type { ProbeVerdict } from '../src/probe/types.ts';
import { type Shop, startShop } from '../src/shop/index.ts';
import { captureIo } from './support/io.ts';
import {
  ALICE_TOKEN,
  BOB_PASSWORD,
  startLoginRun,
  startLoginTarget,
  writeLoginPolicy,
} from './support/login-target.ts';
import { Targets } from './support/probe-target.ts';
import { SAMPLE_POLICY, shopEnv, shopSecrets } from './support/shop-probe.ts';

/**
 * What `vakt probe` says when it could not look properly: the counts add up, lines that
 * would carry nothing are left out, each failure is said once, and a refused login names
 * the tenant and where its secret comes from, never the secret.
 */

const targets = new Targets();
let shop: Shop | undefined;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vakt-failures-'));
});
afterEach(async () => {
  await targets.closeAll();
  await shop?.close();
  shop = undefined;
});

/** A loopback port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const num = (text: string) => Number(text.replaceAll(',', ''));

/** The terms of the report's `N sent = A checked + B ... + C cancelled` line. */
function requestsSum(text: string): { sent: number; terms: Record<string, number> } {
  const line = /^ {2}requests {3}(.*)$/m.exec(text)?.[1];
  if (!line) throw new Error(`no requests line in:\n${text}`);
  const [sent, sum] = line.replace(/ \(.*\)$/, '').split(' sent = ') as [string, string];
  const terms = Object.fromEntries(
    sum.split(' + ').map((term) => {
      const [n, ...name] = term.split(' ');
      return [name.join(' '), num(n ?? '')];
    }),
  );
  return { sent: num(sent), terms };
}

/** The failure lines of a text report: the first carries the label, the rest are indented. */
function failureLines(text: string): string[] {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.startsWith('  failures   '));
  if (first < 0) return [];
  const out = [lines[first]?.slice(13) ?? ''];
  for (const line of lines.slice(first + 1)) {
    if (!line.startsWith(' '.repeat(13))) break;
    out.push(line.slice(13));
  }
  return out;
}

/** Every request sent ends in exactly one count. */
function accountedFor(v: ProbeVerdict): number {
  const c = v.counters;
  return c.checked + c.loginsAccepted + c.failed + c.cancelled + c.unchecked + (v.leak ? 1 : 0);
}

describe('the report of an unreachable target', () => {
  it('adds up, drops the empty bound and latency, and says the failure once', async () => {
    const target = `http://127.0.0.1:${await closedPort()}`;
    const cap = captureIo(shopEnv(), dir);
    const args = ['probe', '--policy', SAMPLE_POLICY, '--target', target];
    expect(await main([...args, '--json', 'p.json', '--markdown', 'p.md'], cap.io)).toBe(3);
    const text = cap.stdout;
    const verdict = JSON.parse(await readFile(join(dir, 'p.json'), 'utf8')) as ProbeVerdict;

    const { sent, terms } = requestsSum(text);
    expect(Object.keys(terms)).toEqual(['checked', 'failed', 'cancelled']);
    expect(sent).toBe((terms.checked ?? 0) + (terms.failed ?? 0) + (terms.cancelled ?? 0));
    expect(sent).toBe(verdict.counters.sent);
    expect(terms.failed).toBeGreaterThan(20);
    expect(accountedFor(verdict)).toBe(verdict.counters.sent);
    // The sample policy logs two tenants in: their logins are among the requests sent.
    expect(text).toMatch(/\(\d+ logins, \d+ with no credentials\)/);

    // Nothing checked: no bound of 1, no percentiles of nothing.
    expect(text).not.toMatch(/leak rate below|p50|p99|latency/);
    expect(text).toMatch(/^ {2}time {7}(\d+\.\d ms|\d+ ms|[\d,]+\.\d s)$/m);
    const markdown = await readFile(join(dir, 'p.md'), 'utf8');
    expect(markdown).not.toMatch(/leak-rate bound|p99/);

    // One failure, said once with its count: no "login:" copy, no "login failed for bob".
    expect(failureLines(text)).toEqual([`ECONNREFUSED (x${terms.failed})`]);
    expect(verdict.failures).toEqual([{ reason: 'ECONNREFUSED', count: terms.failed }]);
    expect(text).not.toMatch(/login failed for/);
  });

  it('adds up in a run that passes and in one that leaks too', async () => {
    shop = await startShop();
    const clean = captureIo(shopEnv(), dir);
    const base = ['probe', '--policy', SAMPLE_POLICY, '--json', 'p.json'];
    expect(await main([...base, '--target', shop.url, '--requests', '3000'], clean.io)).toBe(0);
    const passed = JSON.parse(await readFile(join(dir, 'p.json'), 'utf8')) as ProbeVerdict;
    expect(accountedFor(passed)).toBe(passed.counters.sent);
    const sum = requestsSum(clean.stdout);
    expect(sum.terms['logged in']).toBe(passed.counters.loginsAccepted);
    expect(Object.values(sum.terms).reduce((a, b) => a + b, 0)).toBe(sum.sent);
    expect(clean.stdout).toMatch(/^ {2}bound {6}leak rate below /m);

    await shop.close();
    shop = await startShop({ flaw: 'cache-without-user' });
    const leaking = captureIo(shopEnv(), dir);
    expect(await main([...base, '--target', shop.url], leaking.io)).toBe(1);
    const leaked = JSON.parse(await readFile(join(dir, 'p.json'), 'utf8')) as ProbeVerdict;
    expect(accountedFor(leaked)).toBe(leaked.counters.sent);
    const leakSum = requestsSum(leaking.stdout);
    expect(leakSum.terms.leaking).toBe(1);
    expect(Object.values(leakSum.terms).reduce((a, b) => a + b, 0)).toBe(leakSum.sent);
  });
});

describe('a refused login', () => {
  it.each([401, 403])(
    'answered %i names the tenant and the variable, not the password',
    async (status) => {
      const { policy, cap } = await startLoginRun(targets, dir, { loginStatus: status });
      const args = ['probe', '--policy', policy, '--json', 'p.json', '--markdown', 'p.md'];
      expect(await main(args, cap.io)).toBe(3);
      const refused = `login for tenant bob refused (${status}): check BOB_PASSWORD`;
      const [head] = cap.stdout.split('\n');
      expect(head).toContain(refused);
      expect(head).not.toMatch(/unreachable/);
      // Said once, with its count: every failed request was a refused login of bob's.
      const { failed } = requestsSum(cap.stdout).terms;
      expect(failureLines(cap.stdout)).toEqual([`${refused} (x${failed})`]);
      const json = await readFile(join(dir, 'p.json'), 'utf8');
      const markdown = await readFile(join(dir, 'p.md'), 'utf8');
      for (const text of [cap.stdout, cap.stderr, json, markdown]) {
        expect(text).not.toContain(BOB_PASSWORD);
        expect(text).not.toContain(ALICE_TOKEN);
      }
    },
  );

  it('names the secret file a password comes from', async () => {
    const target = await startLoginTarget(targets);
    await writeFile(join(dir, 'bob.pw'), 'not-the-password\n');
    const policy = await writeLoginPolicy(dir, target.url, { password: '{ file: bob.pw }' });
    const cap = captureIo({ ALICE_TOKEN }, dir);
    expect(await main(['probe', '--policy', policy], cap.io)).toBe(3);
    expect(cap.stdout).toContain(
      `login for tenant bob refused (401): check secret file ${join(dir, 'bob.pw')}`,
    );
    expect(cap.stdout).not.toContain('not-the-password');
  });

  it('names the static token a refused tenant sends, once for all its requests', async () => {
    const target = await startLoginTarget(targets);
    const policy = await writeLoginPolicy(dir, target.url);
    const cap = captureIo({ ALICE_TOKEN: 'tok-expired', BOB_PASSWORD }, dir);
    expect(await main(['probe', '--policy', policy], cap.io)).toBe(3);
    expect(cap.stdout.split('\n')[0]).toContain(
      'requests for tenant alice refused (401): check ALICE_TOKEN',
    );
    expect(failureLines(cap.stdout)).toHaveLength(1);
    expect(cap.stdout).not.toContain('tok-expired');
  });

  it('a working sample shop with one wrong password says which', async () => {
    shop = await startShop();
    const cap = captureIo({ ...shopEnv(), CAROL_PASSWORD: 'wrong-carol' }, dir);
    const args = ['probe', '--policy', SAMPLE_POLICY, '--target', shop.url];
    expect(await main(args, cap.io)).toBe(3);
    expect(cap.stdout.split('\n')[0]).toContain(
      'login for tenant carol refused (401): check CAROL_PASSWORD',
    );
    for (const secret of [...shopSecrets(), 'wrong-carol']) {
      expect(cap.stdout).not.toContain(secret);
    }
  });
});
