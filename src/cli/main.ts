import { readFileSync } from 'node:fs';
import { EXIT, type Io } from './command.ts';
import { COMMANDS } from './commands.ts';
import { runCommand } from './run-command.ts';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `vakt ${version()}: release safety gate

Stops a release that shows one user another user's data: two-person approval,
cross-tenant canary probes, automatic revert.

Usage:
  vakt <command> [options]

Commands:
${list}

Options:
  -h, --help     this text (vakt <command> --help for a command)
  -v, --version  print the version

Example:
  vakt policy check policies/sample-shop.yaml
  vakt probe --policy policies/sample-shop.yaml --target http://127.0.0.1:8080
`;
}

export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout(help());
    return EXIT.ok;
  }
  if (name === '-v' || name === '--version') {
    io.stdout(`${version()}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(
      `vakt: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see vakt --help)\n`,
    );
    return EXIT.badInput;
  }
  return runCommand(await entry.load(), rest, io);
}
