import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Processes that burn a core each, beside a benchmark: the busy 2-core machines vakt runs
 * on in CI. Each spins until killed; they are killed however the work ends.
 */
export async function withCpuHogs<T>(count: number, work: () => Promise<T>): Promise<T> {
  const hogs: ChildProcess[] = Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  try {
    return await work();
  } finally {
    for (const hog of hogs) hog.kill('SIGKILL');
  }
}
