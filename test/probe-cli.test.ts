import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { type Shop, startShop } from '../src/shop/index.ts';
import { captureIo } from './support/io.ts';
import { SAMPLE_POLICY, shopEnv, shopSecrets } from './support/shop-probe.ts';

const run = promisify(execFile);
const VAKT = resolve(import.meta.dirname, '../bin/vakt.js');

let shop: Shop | undefined;
/** A `vakt shop` process a test started: stopped even when the test fails. */
let child: ChildProcess | undefined;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vakt-cli-'));
});
afterEach(async () => {
  child?.kill('SIGTERM');
  child = undefined;
  await shop?.close();
  shop = undefined;
});

/** Runs the real executable, as a user would. */
async function vakt(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [VAKT, ...args], {
      env: { PATH: process.env.PATH, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('vakt executable', () => {
  it('prints help, version and per-command help with an example', async () => {
    const help = await vakt(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Commands:[\s\S]*probe[\s\S]*gate[\s\S]*policy[\s\S]*shop/);
    const version = await vakt(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    for (const command of ['probe', 'gate', 'policy', 'shop']) {
      const out = await vakt([command, '--help']);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/Example:\n\s+.*vakt/);
    }
  });

  it.each([
    [['nosuch'], /unknown command "nosuch"/],
    [['probe', '--polcy', 'x.yaml'], /Unknown option '--polcy': did you mean --policy\?/],
    [
      ['probe', '--policy', SAMPLE_POLICY, '--verbos'],
      /Unknown option '--verbos': did you mean --verbose\?/,
    ],
    [['shop', '--flow', 'x'], /Unknown option '--flow': did you mean --flaw\?/],
    [['probe'], /--policy FILE is required/],
    [
      ['probe', '--policy', SAMPLE_POLICY, '--requests', 'many'],
      /--requests expects a whole number/,
    ],
    [
      ['probe', '--policy', SAMPLE_POLICY, '--target', 'ftp://x'],
      /--target expects an http\(s\) URL/,
    ],
    [['probe', '--policy', SAMPLE_POLICY, '--duration', 'soon'], /--duration expects a duration/],
    [
      ['probe', '--policy', SAMPLE_POLICY, '--duration', '30'],
      /^vakt probe: --duration needs a unit: 30s, for example, got "30"\n$/,
    ],
    [
      ['probe', '--policy', SAMPLE_POLICY, '--on-leak', 'true', '--on-leak-timeout', '30'],
      /^vakt probe: --on-leak-timeout needs a unit: 30s, for example, got "30"\n$/,
    ],
    [
      ['probe', '--policy', SAMPLE_POLICY, '--on-leak', 'true', '--on-leak-timeout', 'later'],
      /^vakt probe: --on-leak-timeout expects a duration such as 30s or 2m, got "later"\n$/,
    ],
    [
      ['probe', '--policy', SAMPLE_POLICY, '--on-leak-timeout', '30s'],
      /^vakt probe: --on-leak-timeout needs --on-leak: it times the revert command\n$/,
    ],
    [
      ['probe', '--policy', SAMPLE_POLICY, '--requests', '-5'],
      /^vakt probe: --requests expects a whole number >= 1, got "-5"\n$/,
    ],
    [
      ['probe', '--policy', SAMPLE_POLICY, '--target', '--json', 'x.json'],
      /^vakt probe: --target needs a value, got another flag/,
    ],
    [['probe', '--policy', '/nonexistent/policy.yaml'], /policy\.yaml:1:1.*no such file/],
    [['shop', '--flaw', 'nosuch'], /--flaw expects one of cache-without-user/],
  ])(
    'rejects bad input %j with exit 2 and one clear line, no stack trace',
    async (args, message) => {
      const out = await vakt(args);
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(message);
      expect(out.stderr).not.toMatch(/\n\s+at /);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
    },
  );

  it('names the tenant and variable of a missing secret, never a value', async () => {
    const { ALICE_TOKEN } = shopEnv();
    const out = await vakt(['probe', '--policy', SAMPLE_POLICY, '--target', 'http://127.0.0.1:9'], {
      ALICE_TOKEN: ALICE_TOKEN ?? '',
    });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/bob.*BOB_PASSWORD/);
    expect(out.stderr).toMatch(/carol.*CAROL_PASSWORD/);
    expect(out.stderr).not.toContain(ALICE_TOKEN);
  });

  it('vakt shop prints the export lines the sample policy reads, as the README shows', async () => {
    const started = spawn(process.execPath, [VAKT, 'shop', '--port', '0'], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = started;
    let output = '';
    await new Promise<void>((done, fail) => {
      started.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/^then: vakt probe .*\n/m.test(output)) done();
      });
      started.once('exit', (code) => fail(new Error(`vakt shop exited ${code}: ${output}`)));
    });
    const exports = output.match(/^export \w+=\S+$/gm) ?? [];
    const env = Object.fromEntries(
      exports.map((line) => line.slice('export '.length).split('=') as [string, string]),
    );
    const policyReads = [...(await readFile(SAMPLE_POLICY, 'utf8')).matchAll(/env: (\w+)/g)];
    expect(Object.keys(env).sort()).toEqual(policyReads.map((m) => m[1]).sort());
    const readme = await readFile(resolve(import.meta.dirname, '../README.md'), 'utf8');
    for (const line of exports) expect(readme).toContain(`\n${line}\n`);

    // Pasted into a shell, they are all the probe needs.
    shop = await startShop();
    const probe = await vakt(
      ['probe', '--policy', SAMPLE_POLICY, '--target', shop.url, '--requests', '3000'],
      env,
    );
    expect(probe.stdout).toMatch(/vakt probe: PASS/);
    expect(probe.code).toBe(0);
  });

  it('exits 0 on a clean shop and 1 on a leaking one', async () => {
    shop = await startShop();
    const clean = await vakt(
      ['probe', '--policy', SAMPLE_POLICY, '--target', shop.url, '--requests', '3000'],
      shopEnv(),
    );
    expect(clean.stdout).toMatch(/vakt probe: PASS/);
    expect(clean.code).toBe(0);
    await shop.close();
    shop = await startShop({ flaw: 'cache-without-user' });
    const leak = await vakt(['probe', '--policy', SAMPLE_POLICY, '--target', shop.url], shopEnv());
    expect(leak.stdout).toMatch(/vakt probe: LEAK/);
    expect(leak.code).toBe(1);
  });
});

describe('vakt probe reports', () => {
  it('writes JSON and Markdown evidence, runs the on-leak command, and never shows a credential', async () => {
    shop = await startShop({ flaw: 'header-leak' });
    const env = shopEnv();
    const marker = join(dir, 'on-leak.env');
    const cmd = `env > ${marker}; echo reverting; exit 7`;
    const cap = captureIo(env, dir);
    const code = await main(
      [
        'probe',
        '--policy',
        SAMPLE_POLICY,
        '--target',
        shop.url,
        '--json',
        'out/probe.json',
        '--markdown',
        'out/probe.md',
        '--on-leak',
        cmd,
        '--verbose',
      ],
      cap.io,
    );
    // The leak was found, and the revert command failed: exit 4, not 1.
    expect(code).toBe(4);
    const json = await readFile(join(dir, 'out/probe.json'), 'utf8');
    const markdown = await readFile(join(dir, 'out/probe.md'), 'utf8');
    const verdict = JSON.parse(json);
    expect(verdict.outcome).toBe('leak');
    expect(verdict.leak).toMatchObject({
      kind: 'foreign-marker',
      match: { where: 'header', header: 'x-last-customer' },
    });
    expect(verdict.leak.request).toMatchObject({ method: 'GET' });
    expect(verdict.onLeak).toMatchObject({ command: cmd, exitCode: 7 });
    expect(markdown).toMatch(/## 🛑 vakt probe: LEAK/);
    expect(markdown).toMatch(/x-last-customer/);
    expect(cap.stdout).toMatch(/on-leak .* -> exited 7 after (\d+(\.\d)? ms|[\d,]+\.\d s)/);
    expect(cap.stderr).toMatch(/reverting/);
    // --verbose logs the run as JSON lines, the leak among them.
    const logs = cap.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['probe run starting', 'login', 'leak found: stopping the run']),
    );

    const childEnv = await readFile(marker, 'utf8');
    expect(childEnv).toMatch(/^VAKT_LEAK_KIND=foreign-marker$/m);
    expect(childEnv).toMatch(/^VAKT_LEAK_TENANT=\w+$/m);
    expect(childEnv).toMatch(/^VAKT_LEAK_OWNER=\w+$/m);
    expect(childEnv).toMatch(/^VAKT_TARGET=http:\/\/127\.0\.0\.1:\d+$/m);

    // No credential reaches any output: the static ones, nor any token the shop issued.
    const outputs = { stdout: cap.stdout, stderr: cap.stderr, json, markdown, childEnv };
    for (const [name, text] of Object.entries(outputs)) {
      for (const secret of shopSecrets())
        expect(text, `${name} shows a secret`).not.toContain(secret);
      expect(text, `${name} shows a token`).not.toMatch(/shop_tok_/);
    }
  });

  it('reports a leak of another tenant’s session cookie without printing it', async () => {
    shop = await startShop({ flaw: 'cache-without-user' });
    const cap = captureIo(shopEnv(), dir);
    const code = await main(
      ['probe', '--policy', SAMPLE_POLICY, '--target', shop.url, '--json', 'p.json'],
      cap.io,
    );
    expect(code).toBe(1);
    const json = await readFile(join(dir, 'p.json'), 'utf8');
    for (const text of [json, cap.stdout, cap.stderr]) {
      for (const secret of shopSecrets()) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/shop_tok_|sid=(?!\[redacted\])/);
    }
  });

  it('writes a report on stdout for -, the summary on stderr, and never a file named -', async () => {
    shop = await startShop({ flaw: 'cache-without-user' });
    for (const flag of ['--json', '--markdown']) {
      const cap = captureIo(shopEnv(), dir);
      const args = ['probe', '--policy', SAMPLE_POLICY, '--target', shop.url, flag, '-'];
      expect(await main(args, cap.io)).toBe(1);
      expect(cap.stderr).toMatch(/^vakt probe: LEAK/);
      if (flag === '--json') expect(JSON.parse(cap.stdout).outcome).toBe('leak');
      else expect(cap.stdout).toMatch(/^## 🛑 vakt probe: LEAK/);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('prints only the verdict line with --quiet, and nothing on a pass', async () => {
    shop = await startShop({ flaw: 'cache-without-user' });
    const leak = captureIo(shopEnv(), dir);
    const args = ['probe', '--policy', SAMPLE_POLICY, '--quiet'];
    expect(await main([...args, '--target', shop.url], leak.io)).toBe(1);
    expect(leak.stdout).toMatch(/^vakt probe: LEAK {2}\S.*\n$/);
    const undecided = captureIo(shopEnv(), dir);
    expect(await main([...args, '--target', 'http://127.0.0.1:9'], undecided.io)).toBe(3);
    expect(undecided.stdout).toMatch(/^vakt probe: INCONCLUSIVE {2}\S.*\n$/);
    await shop.close();
    shop = await startShop();
    const pass = captureIo(shopEnv(), dir);
    expect(await main([...args, '--target', shop.url, '--requests', '3000'], pass.io)).toBe(0);
    expect(pass.stdout).toBe('');
  });

  it('reports a policy with problems as FILE:LINE:COL lines and exit 2', async () => {
    const file = join(dir, 'bad.yaml');
    const text = (await readFile(SAMPLE_POLICY, 'utf8')).replace(
      'concurrency: 16',
      'concurency: 16',
    );
    await writeFile(file, text);
    const cap = captureIo(shopEnv(), dir);
    expect(await main(['probe', '--policy', file], cap.io)).toBe(2);
    expect(cap.stderr).toMatch(/bad\.yaml:\d+:\d+ probe\.load.*concurency/);
  });
});
