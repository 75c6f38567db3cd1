import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import type { ProbeVerdict } from '../src/probe/types.ts';
import { type Shop, startShop } from '../src/shop/index.ts';
import { captureIo } from './support/io.ts';
import { SAMPLE_POLICY, shopEnv, shopSecrets } from './support/shop-probe.ts';

/**
 * The revert command at a leak: when it fails or runs past --on-leak-timeout the leaking
 * release may still serve, and the exit code (4) says so apart from a leak taken back (1).
 */

let shop: Shop | undefined;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vakt-revert-'));
  shop = await startShop({ flaw: 'cache-without-user' });
});
afterEach(async () => {
  await shop?.close();
  shop = undefined;
});

async function probeWithRevert(extra: string[]) {
  const cap = captureIo(shopEnv(), dir);
  const args = [
    'probe',
    '--policy',
    SAMPLE_POLICY,
    '--target',
    shop?.url ?? '',
    '--json',
    'p.json',
  ];
  const code = await main([...args, ...extra], cap.io);
  const verdict = JSON.parse(await readFile(join(dir, 'p.json'), 'utf8')) as ProbeVerdict;
  return { code, verdict, cap };
}

/** Whether `pid` still runs: a zombie (killed, not yet reaped by its new parent) does not. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, { encoding: 'utf8', flag: 'r' });
  return !/^\d+ \(.*\) Z/.test(stat);
}

/** Waits for `pid` to stop, up to a generous limit; whether it did. */
async function stops(pid: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('the revert command', () => {
  it('has its exit code in vakt probe --help', async () => {
    const cap = captureIo();
    expect(await main(['probe', '--help'], cap.io)).toBe(0);
    expect(cap.stdout).toMatch(/^ {2}4 {2}leak, and the --on-leak command failed or timed out/m);
    expect(cap.stdout).toMatch(/--on-leak-timeout D .*\(default 5m\)/);
  });

  it('succeeding leaves the leak at exit 1', async () => {
    const { code, verdict, cap } = await probeWithRevert(['--on-leak', 'echo reverted']);
    expect(code).toBe(1);
    expect(verdict.onLeak).toMatchObject({ exitCode: 0, signal: null });
    expect(verdict.onLeak?.timedOut).toBeUndefined();
    expect(cap.stdout).toMatch(
      /^ {2}on-leak {4}echo reverted -> exited 0 after (\d+(\.\d)? ms|[\d,]+\.\d s)$/m,
    );
  });

  it('failing is exit 4, and the report says how it ended', async () => {
    const { code, verdict, cap } = await probeWithRevert(['--on-leak', 'echo trying; exit 7']);
    expect(code).toBe(4);
    expect(verdict.outcome).toBe('leak');
    expect(verdict.onLeak).toMatchObject({ exitCode: 7, signal: null });
    expect(cap.stdout).toMatch(/-> exited 7 after/);
    expect(cap.stderr).toContain('trying');
  });

  it('that cannot finish in --on-leak-timeout is stopped, with all it started: exit 4', async () => {
    const pidFile = join(dir, 'sleep.pid');
    // A shell that waits on a child: stopping the shell alone would leave the child running.
    const command = `sleep 120 >/dev/null 2>&1 & echo $! > ${pidFile}; wait; echo finished`;
    const { code, verdict, cap } = await probeWithRevert([
      '--on-leak',
      command,
      '--on-leak-timeout',
      '300ms',
    ]);
    expect(code).toBe(4);
    expect(verdict.onLeak).toMatchObject({ timedOut: true, timeoutMs: 300, signal: 'SIGTERM' });
    expect(cap.stdout).toMatch(
      /-> timed out after 300ms and was stopped with SIGTERM after (\d+(\.\d)? ms|[\d,]+\.\d s)/,
    );
    expect(cap.stderr).not.toContain('finished');
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(await stops(pid)).toBe(true);
  });

  it('with --quiet still says the revert failed', async () => {
    const { code, cap } = await probeWithRevert(['--on-leak', 'exit 3', '--quiet']);
    expect(code).toBe(4);
    expect(cap.stdout).toMatch(
      /^vakt probe: LEAK {2}.*\nvakt probe: the --on-leak command exited 3\n$/,
    );
  });

  it('never sees a credential, nor puts one in the report', async () => {
    const { verdict, cap } = await probeWithRevert(['--on-leak', 'env; exit 1']);
    const json = JSON.stringify(verdict);
    for (const secret of shopSecrets()) {
      for (const text of [cap.stdout, cap.stderr, json]) expect(text).not.toContain(secret);
    }
  });
});
