import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseDuration } from '../policy/duration.ts';
import { closest } from '../policy/issues.ts';
import type { PolicyProblem } from '../policy/load.ts';
import type { Ticker } from '../probe/ticker.ts';

/**
 * Exit codes shared by every command (DESIGN.md "Conventions"), and one of the probe's
 * own: a leak whose revert command failed or timed out, so a pipeline can tell a leak
 * taken back from one that may still be serving.
 */
export const EXIT = { ok: 0, fail: 1, badInput: 2, undecided: 3, revertFailed: 4 } as const;

/** What a command may touch of the outside world; tests pass their own. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Colours and progress only on a terminal. */
  isTTY: boolean;
  /**
   * The problems found in the policy file a command runs on, as data: a face that points
   * at them itself (the Action, as annotations on the file) takes them here. Errors are
   * printed on stderr too, as FILE:LINE:COL lines; warnings only `vakt policy check` prints.
   */
  policyProblems?(found: PolicyFindings): void;
  /** What paces progress output; tests pass their own to tick when they choose. */
  ticker?: Ticker;
}

export interface PolicyFindings {
  /** The policy cannot be used: the command exits 2. */
  errors: readonly PolicyProblem[];
  /** Blind spots of a valid policy, in the section the command uses. */
  warnings: readonly PolicyProblem[];
}

export interface Command {
  name: string;
  /** Full --help text: usage, options, an example. */
  help: string;
  run(argv: string[], io: Io): Promise<number>;
}

/** Bad input from the user: reported as one clear line and exit 2, never a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Strict flag parsing: an unknown flag (with the one it most likely meant) or a missing
 * value is a UsageError naming it, on one line.
 */
export function parseFlags<T extends Options>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args: joinNegatives(argv, options),
      options,
      strict: true,
      allowPositionals,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    const unknown = /^Unknown option '--([^'=]+)'/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      const guess = closest(unknown, Object.keys(options));
      if (guess) throw new UsageError(`Unknown option '--${unknown}': did you mean --${guess}?`);
    }
    const ambiguous = /^Option '--([^']+)' argument is ambiguous/.exec(message)?.[1];
    if (ambiguous) {
      throw new UsageError(
        `--${ambiguous} needs a value, got another flag (for a value starting with -, write --${ambiguous}=VALUE)`,
      );
    }
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

/**
 * `--requests -5` as `--requests=-5`: the parser takes a value starting with a dash for a
 * flag and answers in its own words; joined, the flag's own check names what it expects.
 */
function joinNegatives(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (arg === '--') return [...out, ...argv.slice(i)];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** Parses a whole number flag, or throws a UsageError naming the flag. */
export function intFlag(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} expects a whole number >= ${min}, got "${value}"`);
  }
  return n;
}

/**
 * Parses a duration flag (250ms, 30s, 2m, 1h), or throws a UsageError naming the flag.
 * A policy may give bare seconds; on the command line "30" reads as seconds or as
 * requests alike, so a flag wants its unit.
 */
export function durationFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) {
    throw new UsageError(`--${name} needs a unit: ${value.trim()}s, for example, got "${value}"`);
  }
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`--${name} expects a duration such as 30s or 2m, got "${value}"`);
  return ms;
}

/** A stream onto the command's stderr, for loggers that want one. */
export function ioStream(io: Io): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      io.stderr(chunk.toString());
      done();
    },
  });
}

/** The report file name that means stdout, as with most tools: never a file named `-`. */
export const STDOUT = '-';

/**
 * The report flag (of `flags`) that writes to stdout, if any. Only one can: two documents
 * on one stream could not be told apart. A command with one there prints its summary on
 * stderr instead, so stdout stays a document a pipe can parse.
 */
export function stdoutReport(
  values: Record<string, unknown>,
  flags: readonly string[],
): string | undefined {
  const onStdout = flags.filter((flag) => values[flag] === STDOUT);
  if (onStdout.length > 1) {
    throw new UsageError(
      `only one report can go to stdout, got ${onStdout.map((f) => `--${f} -`).join(' and ')}`,
    );
  }
  return onStdout[0];
}

/**
 * Writes a report to stdout (`-`) or to a file relative to the working directory,
 * creating its folder: `--json out/probe.json` should just work.
 */
export async function writeReport(io: Io, file: string, text: string): Promise<void> {
  if (file === STDOUT) {
    io.stdout(text);
    return;
  }
  const path = resolve(io.cwd, file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
