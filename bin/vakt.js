#!/usr/bin/env node
// The `vakt` command. Kept to syntax every Node since 14 parses, so that an older Node
// gets one line naming the version needed rather than a syntax error or a stack trace.
import { existsSync } from 'node:fs';
import module from 'node:module';

// undici 8, which the probe and the Kubernetes client send requests with, needs 22.19;
// package.json's engines says the same.
const NEEDED = [22, 19];
const version = process.versions.node;
const [major, minor] = version.split('.').map(Number);
if (major < NEEDED[0] || (major === NEEDED[0] && minor < NEEDED[1])) {
  process.stderr.write(
    `vakt needs Node.js ${NEEDED.join('.')} or newer (this is v${version}); install a current release from https://nodejs.org\n`,
  );
  process.exit(1);
}

// Node keeps what it compiled (and, for a checkout, the types it stripped) in a cache in
// the temporary directory, keyed by each file's contents: a second start skips that work,
// which was most of a start-up. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.();

// A checkout runs its TypeScript sources (Node strips the types); the installed package,
// which ships no src/, runs the build in dist/cli/ (Node does not strip types from files
// under node_modules). Sources first, so a checkout never runs a stale build.
const sources = new URL('../src/cli/main.ts', import.meta.url);
const entry = existsSync(sources) ? sources : new URL('../dist/cli/main.js', import.meta.url);
const cli = await import(entry.href);
process.exitCode = await cli.main(process.argv.slice(2));
