import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ShopOptions } from '../src/shop/index.ts';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export function print(figures: Figure[]): void {
  for (const f of figures) {
    const value = Number.isInteger(f.value)
      ? String(f.value)
      : f.value.toFixed(f.value < 10 ? 3 : 1);
    process.stdout.write(`${f.name}: ${value} ${f.unit}${f.note ? `  (${f.note})` : ''}\n`);
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export interface ShopProcess {
  url: string;
  stop(): Promise<void>;
}

/** Starts the sample shop in a child process. */
export async function spawnShop(options: ShopOptions = {}): Promise<ShopProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [resolve(import.meta.dirname, 'shop-process.ts'), JSON.stringify(options)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // A benchmark that dies must not leave its shop running.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    async stop() {
      process.removeListener('exit', reap);
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
