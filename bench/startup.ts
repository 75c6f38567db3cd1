// Start-up of the CLI: wall time of `vakt --version`, `vakt probe --help` and
// `vakt policy check <sample>` as ratios to `node -e 0`, all in the same rounds (so a busy
// machine slows each alike), for the checkout (bin/vakt.js on src/) and for the package as
// npm installs it (dist/cli/). BENCH_STARTUP_RUNS sets the rounds (default 15). The bin
// turns on Node's compile cache; `--version` is also timed without it, as a first start
// (or NODE_DISABLE_COMPILE_CACHE=1) pays.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { INSTALLED_ENV, packAndInstall } from '../test/support/installed.ts';
import { type Figure, median } from './support.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');

interface Case {
  name: string;
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

async function timed({ file, args, env = INSTALLED_ENV }: Case): Promise<number> {
  const start = performance.now();
  // policy check exits 0 with warnings on stderr; any other exit is a broken case.
  await run(file, args, { cwd: ROOT, env });
  return performance.now() - start;
}

function commands(where: string, bin: string[], policy: string): Case[] {
  const [file = '', ...pre] = bin;
  return [
    { name: `${where}: vakt --version`, file, args: [...pre, '--version'] },
    { name: `${where}: vakt probe --help`, file, args: [...pre, 'probe', '--help'] },
    { name: `${where}: vakt policy check`, file, args: [...pre, 'policy', 'check', policy] },
    {
      name: `${where}: vakt --version, no compile cache`,
      file,
      args: [...pre, '--version'],
      env: { ...INSTALLED_ENV, NODE_DISABLE_COMPILE_CACHE: '1' },
    },
  ];
}

export async function benchStartup(rounds = Number(process.env.BENCH_STARTUP_RUNS ?? 15)) {
  const installed = await packAndInstall();
  try {
    const policy = join(ROOT, 'policies/sample-shop.yaml');
    const baseline: Case = { name: 'node -e 0', file: process.execPath, args: ['-e', '0'] };
    const cases = [
      baseline,
      ...commands('checkout', [process.execPath, join(ROOT, 'bin/vakt.js')], policy),
      ...commands('installed', [installed.bin], policy),
    ];
    const times = new Map(cases.map((c) => [c, [] as number[]]));
    // One warm-up round: the first run of anything pays for a cold file cache.
    for (const c of cases) await timed(c);
    for (let i = 0; i < rounds; i++) {
      for (const c of cases) times.get(c)?.push(await timed(c));
    }
    const base = median(times.get(baseline) ?? []);
    const figures: Figure[] = [
      { name: baseline.name, value: base, unit: 'ms', note: `median of ${rounds}` },
    ];
    for (const c of cases.slice(1)) {
      const ms = median(times.get(c) ?? []);
      figures.push({
        name: c.name,
        value: ms / base,
        unit: 'x node -e 0',
        note: `${ms.toFixed(0)} ms`,
      });
    }
    return figures;
  } finally {
    await rm(installed.scratch, { recursive: true, force: true });
  }
}
