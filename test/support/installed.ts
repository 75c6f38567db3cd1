import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = dirname(dirname(import.meta.dirname));

/** The environment to run an installed bin in: its `#!/usr/bin/env node` finds this Node. */
export const INSTALLED_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
  NO_COLOR: '1',
};

export interface Installed {
  /** A scratch folder holding the tarball and the prefix; the caller removes it. */
  scratch: string;
  /** node_modules/vakt of the prefix. */
  dir: string;
  /** node_modules/.bin/vakt of the prefix, what `npm i` puts on PATH. */
  bin: string;
}

/**
 * vakt as users get it: `npm pack` of the checkout (its prepack builds dist/cli/), the
 * tarball installed with its production dependencies into a fresh prefix, as `npm i vakt`
 * does, taking packages from the npm cache where it has them.
 */
export async function packAndInstall(): Promise<Installed> {
  const scratch = await mkdtemp(join(tmpdir(), 'vakt-installed-'));
  const env = INSTALLED_ENV;
  const packed = await run('npm', ['pack', '--pack-destination', scratch, '--loglevel=error'], {
    cwd: ROOT,
    env,
  });
  const tarball = join(scratch, packed.stdout.trim().split('\n').at(-1) ?? '');
  const prefix = join(scratch, 'prefix');
  await run(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      tarball,
      '--omit=dev',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    { cwd: scratch, env },
  );
  return {
    scratch,
    dir: join(prefix, 'node_modules/vakt'),
    bin: join(prefix, 'node_modules/.bin/vakt'),
  };
}
