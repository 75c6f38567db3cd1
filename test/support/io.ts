import type { Io } from '../../src/cli/command.ts';

/** An Io that records what a command printed. */
export function captureIo(env: Record<string, string | undefined> = {}, cwd = process.cwd()) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: { PATH: process.env.PATH, ...env },
    cwd,
    isTTY: false,
  };
  return {
    io,
    get stdout() {
      return out.join('');
    },
    get stderr() {
      return err.join('');
    },
  };
}
