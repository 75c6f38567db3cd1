import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALLED_ENV, packAndInstall } from './support/installed.ts';
import { modulesLoaded } from './support/loaded-modules.ts';
import { shopEnv } from './support/shop-probe.ts';

/**
 * The CLI as users get it: `npm pack` (which builds dist/cli/ at prepack), the tarball
 * installed with its production dependencies into a scratch prefix, and its bin run from
 * there. Node does not strip types under node_modules, so this fails whenever the package
 * depends on src/*.ts, or ships without a file a command reads.
 */

const run = promisify(execFile);
const root = dirname(import.meta.dirname);
const env = INSTALLED_ENV;
let scratch: string;
let installed: string;
let bin: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ({ scratch, dir: installed, bin } = await packAndInstall());
}, 300_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(scratch, { recursive: true, force: true });
});

function vakt(args: string[], extra: Record<string, string> = {}) {
  return run(bin, args, { cwd: scratch, env: { ...env, ...extra } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

/** Starts `vakt shop` from the installed copy and waits for the URL it prints. */
async function installedShop(flaw?: string): Promise<{ url: string; child: ChildProcess }> {
  const args = ['shop', '--port', '0', ...(flaw ? ['--flaw', flaw] : [])];
  const child = spawn(bin, args, { cwd: scratch, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening on (http:\/\/\S+);/.exec(output);
      if (found?.[1]) resolveUrl(found[1]);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`vakt shop exited ${code}: ${output}`)));
  });
  return { url, child };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  return code as number | null;
}

describe('the installed package', () => {
  it('ships the built CLI, the policies and the demo fixtures, and neither sources nor tests', async () => {
    const entries = await readdir(installed);
    expect(entries.sort()).toEqual(
      ['LICENSE', 'README.md', 'bin', 'dist', 'package.json', 'policies'].sort(),
    );
    expect(await readdir(join(installed, 'dist'))).toEqual(['cli']);
    expect(existsSync(join(installed, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist/cli/fixtures/approval-policy.yaml'))).toBe(true);
  });

  it('prints its version', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = await vakt(['--version']);
    expect(result).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('loads no dependency for --version', async () => {
    const urls = await modulesLoaded(join(installed, 'bin/vakt.js'), ['--version'], { env });
    expect(urls.some((url) => url.endsWith('/node_modules/vakt/dist/cli/main.js'))).toBe(true);
    expect(
      urls.filter((url) => !url.startsWith('node:') && !url.includes('/node_modules/vakt/')),
    ).toEqual([]);
  });

  it('checks the sample policy it ships', async () => {
    const policy = join(installed, 'policies/sample-shop.yaml');
    const result = await vakt(['policy', 'check', policy]);
    expect(result.stdout).toBe(`${policy}: ok\n`);
    expect(result.code).toBe(0);
    // Only the policy's warnings, which it carries on purpose; no error.
    expect(result.stderr).not.toMatch(/error/i);
  });

  it('probes the sample shop it runs: a pass on the clean release, a leak on a flawed one', async () => {
    const policy = join(installed, 'policies/sample-shop.yaml');
    const clean = await installedShop();
    const pass = await vakt(
      ['probe', '--policy', policy, '--target', clean.url, '--requests', '3000'],
      shopEnv(),
    );
    expect(pass.stderr).toBe('');
    expect(pass.code).toBe(0);
    expect(await stop(clean.child)).toBe(0);

    const flawed = await installedShop('cache-without-user');
    const leak = await vakt(['probe', '--policy', policy, '--target', flawed.url], shopEnv());
    expect(leak.code).toBe(1);
    expect(leak.stdout).toMatch(/leak/i);
    expect(await stop(flawed.child)).toBe(0);
  }, 120_000);

  it('runs the demo, which reads the sample policy and the recorded GitHub answers', async () => {
    const out = join(scratch, 'demo');
    const result = await vakt(['demo', '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['vakt-demo-report.html', 'vakt-demo-report.md']);
  }, 120_000);
});
