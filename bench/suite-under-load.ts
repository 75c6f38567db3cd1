// npm run bench:suite: the test suite, N runs in a row (default 5), idle and then beside
// two CPU-burning processes, as on a busy 2-core CI machine. Prints each run's outcome and
// wall time, and how many runs passed. No test may depend on machine speed: a failure
// beside the hogs is a bug in that test. RUNS=N, HOGS_ONLY=1 to skip the idle runs.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { withCpuHogs } from './hogs.ts';

const RUNS = Number(process.env.RUNS ?? 5);

function suite(): Promise<{ ok: boolean; seconds: number; failed: string[] }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    child.on('close', (code) => {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: vitest colours its output
      const plain = out.replace(/\u001b\[[0-9;]*m/g, '');
      const failed = plain
        .split('\n')
        .filter((line) => line.includes(' FAIL '))
        .map((line) => line.trim());
      resolve({ ok: code === 0, seconds: (performance.now() - started) / 1000, failed });
    });
  });
}

async function series(label: string): Promise<void> {
  let passed = 0;
  const times: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const result = await suite();
    times.push(result.seconds);
    if (result.ok) passed++;
    console.log(
      `${label} run ${run}/${RUNS}: ${result.ok ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(0)} s`,
    );
    for (const line of result.failed) console.log(`  ${line}`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(`${label}: ${passed}/${RUNS} passed, median ${median.toFixed(0)} s`);
}

if (!process.env.HOGS_ONLY) await series('idle');
await withCpuHogs(2, () => series('beside 2 CPU hogs'));
