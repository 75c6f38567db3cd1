import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A module hook, registered before the program runs, that prints every URL Node loads. */
const HOOK = [
  "import { registerHooks } from 'node:module';",
  "import { writeSync } from 'node:fs';",
  'const seen = [];',
  'registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });',
  "process.on('exit', () => writeSync(2, '\\nLOADED ' + JSON.stringify(seen) + '\\n'));",
].join('\n');

/** The module URLs `node <script> ...args` loads (ESM and require() alike), once it exits 0. */
export async function modulesLoaded(
  script: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string[]> {
  const { stderr } = await run(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(HOOK)}`, script, ...args],
    options,
  );
  const line = stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`no module list: ${stderr}`);
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}
