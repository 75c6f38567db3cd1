import { closest } from '../policy/issues.ts';
import { policyJsonSchemaText } from '../policy/json-schema.ts';
import { formatProblem, readPolicyText } from '../policy/load.ts';
import { type Command, EXIT, type Io, parseFlags, UsageError } from './command.ts';
import { checkPolicyFileText } from './policy-manifest.ts';

const HELP = `vakt policy: check policy files and print their JSON Schema

Usage:
  vakt policy check FILE...   validate policy files and ReleaseGuard manifests
  vakt policy schema          print the JSON Schema of policy files

check prints "FILE: ok" for each valid file. Otherwise it prints every problem as
FILE:LINE:COL path: message on stderr and exits 2. Warnings (a valid policy with a blind
spot, such as a credential kind only one tenant uses) go to stderr the same way and do
not change the exit code. Secret references are checked for
their form only: the environment variables and files they name need not exist yet.

A FILE may also hold Kubernetes manifests, one or many YAML documents as kubectl apply -f
takes them: each ReleaseGuard is checked as the operator checks it, spec and inline
policy, and printed as "ok: FILE: ReleaseGuard NAME (namespace NS)"; other kinds are
skipped. A policy in a ConfigMap (spec.policy.configMapRef) is not checked offline: a
note says so.

schema prints the JSON Schema (draft 2020-12) that editors use for completion and
inline errors; the same file ships as policies/vakt-policy.schema.json.

Options:
  -h, --help   this text

Exit codes: 0 every file is valid, 2 a problem in a file or on the command line.

Example:
  vakt policy check policies/example.yaml policies/sample-shop.yaml
  vakt policy check deploy/shop.yaml   # Deployment, Service and ReleaseGuard documents
  vakt policy schema > vakt-policy.schema.json
  # then, on the first line of a policy file:
  # yaml-language-server: $schema=./vakt-policy.schema.json
`;

const SUBCOMMANDS = ['check', 'schema'];
const FLAGS = { help: { type: 'boolean', short: 'h' } } as const;

async function check(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(argv, FLAGS, true);
  if (values.help) return help(io);
  if (positionals.length === 0) {
    throw new UsageError('check needs at least one policy file (vakt policy check FILE...)');
  }
  let status: number = EXIT.ok;
  for (const file of positionals) {
    const read = await readPolicyText(file, io.cwd);
    const result = read.ok
      ? checkPolicyFileText(read.text, file)
      : { ok: [], problems: read.problems, notes: [] };
    for (const note of result.notes) io.stderr(`${formatProblem(note)}\n`);
    for (const line of result.ok) io.stdout(`${line}\n`);
    if (result.problems.length > 0) status = EXIT.badInput;
    for (const problem of result.problems) io.stderr(`${formatProblem(problem)}\n`);
  }
  return status;
}

function schema(argv: string[], io: Io): number {
  const { values, positionals } = parseFlags(argv, FLAGS, true);
  if (values.help) return help(io);
  if (positionals.length > 0) {
    throw new UsageError(`schema takes no arguments, got "${positionals.join(' ')}"`);
  }
  io.stdout(policyJsonSchemaText());
  return EXIT.ok;
}

function help(io: Io): number {
  io.stdout(HELP);
  return EXIT.ok;
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === undefined) return help(io);
  if (subcommand === 'check') return check(rest, io);
  if (subcommand === 'schema') return schema(rest, io);
  if (subcommand.startsWith('-')) {
    // Only --help is valid before a subcommand; parseFlags names any other flag.
    const { values } = parseFlags(argv, FLAGS);
    if (values.help) return help(io);
  }
  const guess = closest(subcommand, SUBCOMMANDS);
  const hint = guess ? `did you mean "${guess}"?` : `expected ${SUBCOMMANDS.join(' or ')}`;
  throw new UsageError(`unknown subcommand "${subcommand}": ${hint} (see vakt policy --help)`);
}

export const policyCommand: Command = {
  name: 'policy',
  help: HELP,
  async run(argv, io) {
    try {
      return await dispatch(argv, io);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      io.stderr(`vakt policy: ${error.message}\n`);
      return EXIT.badInput;
    }
  },
};
