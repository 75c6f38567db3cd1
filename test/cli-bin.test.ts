import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { transform } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { modulesLoaded } from './support/loaded-modules.ts';

/**
 * bin/vakt.js, the `vakt` command: on a Node too old for vakt it prints one line naming the
 * version needed and exits 1, never a stack trace; and `vakt --version` or `--help` load
 * none of the dependencies (each command loads what it needs when it runs).
 */

const run = promisify(execFile);
const root = dirname(import.meta.dirname);
const BIN = join(root, 'bin/vakt.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function node(args: string[]): Promise<Result> {
  return run(process.execPath, args, { cwd: root }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: Result) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/** The real node, made to report another version however it is asked. */
function asNode(version: string, args: string[]): Promise<Result> {
  const pretend = `Object.defineProperty(process.versions,"node",{value:"${version}"})`;
  return node(['--import', `data:text/javascript,${pretend}`, BIN, ...args]);
}

async function engines(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  return pkg.engines.node;
}

describe('bin/vakt.js on an old Node', () => {
  it.each(['20.20.2', '18.20.8', '22.18.0', '21.99.0'])(
    'v%s: one line, exit 1',
    async (version) => {
      const result = await asNode(version, ['--version']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      const lines = result.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^vakt needs Node\\.js 22\\.19 or newer \\(this is v${version.replaceAll('.', '\\.')}\\); `,
        ),
      );
    },
  );

  it.each(['22.19.0', '23.0.0', '24.1.0'])('v%s runs', async (version) => {
    const result = await asNode(version, ['--version']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('names the version package.json requires', async () => {
    expect(await engines()).toBe('>=22.19.0');
  });

  it('uses no syntax Node 18 lacks, so that it gets to say so', async () => {
    const source = await readFile(BIN, 'utf8');
    // esbuild lowers syntax a target lacks; no change means nothing was newer than Node 18.
    const options = { format: 'esm', minifyWhitespace: true } as const;
    const forNode18 = await transform(source, { ...options, target: 'node18' });
    const latest = await transform(source, { ...options, target: 'esnext' });
    expect(forNode18.code).toBe(latest.code);
    expect(forNode18.warnings).toEqual([]);
  });
});

async function loaded(args: string[]): Promise<string[]> {
  const urls = await modulesLoaded(BIN, args, { cwd: root });
  // The hook saw the run, so an empty list below means something.
  expect(urls.some((url) => url.endsWith('/src/cli/main.ts'))).toBe(true);
  return urls;
}

describe('start-up', () => {
  it.each(['--version', '--help', 'probe --help', 'gate --help', 'operator --help', 'app --help'])(
    'vakt %s loads no dependency',
    async (args) => {
      const urls = await loaded(args.split(' '));
      expect(urls.filter((url) => url.includes('/node_modules/'))).toEqual([]);
    },
  );
});
