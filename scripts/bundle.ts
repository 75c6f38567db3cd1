// Builds the GitHub Action's single file, dist/action.js, from src/action/main.ts.
// Usage: node scripts/bundle.ts          write dist/action.js
//        node scripts/bundle.ts --check  exit 1 when dist/action.js is out of date
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
export const ACTION_BUNDLE = `${root}dist/action.js`;

/** esbuild settings shared by this script, the drift test and the benchmarks. */
export const NODE_BUNDLE: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  legalComments: 'none',
  logLevel: 'warning',
  // Some dependencies are CommonJS and call require(); ESM output has none of its own.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
};

/** The Action's bundle as text, built in memory. */
export async function actionBundle(): Promise<string> {
  const result = await build({
    ...NODE_BUNDLE,
    absWorkingDir: root,
    entryPoints: ['src/action/main.ts'],
    write: false,
    outfile: ACTION_BUNDLE,
  });
  const [file] = result.outputFiles ?? [];
  if (!file) throw new Error('esbuild produced no output');
  return file.text;
}

if (import.meta.main) {
  const text = await actionBundle();
  if (process.argv.includes('--check')) {
    const committed = await readFile(ACTION_BUNDLE, 'utf8').catch(() => '');
    if (committed !== text) {
      process.stderr.write('dist/action.js is out of date: run npm run bundle and commit it\n');
      process.exit(1);
    }
  } else {
    await writeFile(ACTION_BUNDLE, text);
    process.stdout.write(`wrote dist/action.js (${Math.round(text.length / 1024)} KiB)\n`);
  }
}
