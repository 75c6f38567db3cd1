import { type Command, EXIT, type Io, UsageError } from './command.ts';

/** Errors that mean "your input is wrong": one clear line and exit 2, never a stack trace. */
const BAD_INPUT = new Set(['UsageError', 'SecretError', 'ConfigError', 'KubeConfigError']);

/**
 * Runs one command the way every face does (the CLI, the Action): its help on --help,
 * bad input as one line and exit 2, any other failure as one line and exit 3.
 * Kept apart from the command registry so a face can bundle only the commands it runs.
 */
export async function runCommand(command: Command, argv: string[], io: Io): Promise<number> {
  // Every command documents itself; --help before or among its flags prints that.
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(argv, io);
  } catch (error) {
    if (error instanceof Error && (error instanceof UsageError || BAD_INPUT.has(error.name))) {
      io.stderr(`vakt ${command.name}: ${error.message}\n`);
      return EXIT.badInput;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`vakt ${command.name}: could not finish: ${message}\n`);
    if (io.env.VAKT_DEBUG && error instanceof Error) io.stderr(`${error.stack}\n`);
    return EXIT.undecided;
  }
}
