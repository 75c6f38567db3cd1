// Builds the installed CLI, dist/cli/, from src/cli/main.ts: `npm pack` and `npm publish`
// run it (prepack), because Node does not strip types from files under node_modules.
// Usage: node scripts/build-cli.ts          write dist/cli/
//        node scripts/build-cli.ts --clean  remove dist/cli/ (postpack: a checkout runs src/)
//
// Dependencies stay external: npm installs them beside vakt as usual, so users get their
// fixes within the ranges package.json allows, and the build needs none of the bundling
// workarounds (CommonJS require(), pino's worker transports). Code splitting keeps each
// command in its own chunk, loaded only when that command runs.
import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
export const CLI_DIST = join(root, 'dist/cli');

/**
 * Files the sources find next to themselves with `new URL(path, import.meta.url)`. Every
 * chunk sits in dist/cli/, two folders below the package root as src/<area>/ is, so
 * `../../policies/...` still names the package's policies/; what a module keeps beside
 * itself is copied beside the chunks.
 */
const BESIDE = [{ from: 'src/demo/fixtures', to: 'dist/cli/fixtures' }];

export async function buildCli(): Promise<void> {
  await rm(CLI_DIST, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    outdir: CLI_DIST,
    bundle: true,
    splitting: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node22',
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const { from, to } of BESIDE)
    await cp(join(root, from), join(root, to), { recursive: true });
  const missing = await unresolvedFiles();
  if (missing.length > 0) {
    throw new Error(`dist/cli/ refers to files the package lacks: ${missing.join(', ')}`);
  }
}

/**
 * Every `new URL('<path>', import.meta.url)` in dist/cli/ whose file does not exist, and
 * every other use of import.meta, which this check cannot follow.
 */
export async function unresolvedFiles(): Promise<string[]> {
  const missing: string[] = [];
  for (const name of await readdir(CLI_DIST)) {
    if (!name.endsWith('.js')) continue;
    const text = await readFile(join(CLI_DIST, name), 'utf8');
    const urls = [...text.matchAll(/new URL\(\s*(["'`])([^"'`]+)\1,\s*import\.meta\.url\s*\)/g)];
    const uses = text.match(/import\.meta/g)?.length ?? 0;
    if (uses !== urls.length)
      missing.push(`${name}: import.meta used other than new URL('<path>', import.meta.url)`);
    for (const match of urls) {
      const target = resolve(CLI_DIST, match[2] ?? '');
      const found = await readFile(target).then(
        () => true,
        () => false,
      );
      if (!found) missing.push(`${name}: ${relative(root, target)}`);
    }
  }
  return missing;
}

if (import.meta.main) {
  if (process.argv.includes('--clean')) {
    await rm(CLI_DIST, { recursive: true, force: true });
  } else {
    await buildCli();
    process.stdout.write('wrote dist/cli/\n');
  }
}
