import { pino } from 'pino';
import pretty from 'pino-pretty';

/**
 * The one place logging is configured. Redaction lives here, on the root logger, because
 * a child logger given its own `redact` replaces the parent's and leaks what it hid.
 * Children are made with `logger.child({ ... })` and never get their own redaction.
 */
export const REDACT_PATHS = [
  'token',
  'password',
  'secret',
  'authorization',
  'cookie',
  '*.token',
  '*.password',
  '*.secret',
  '*.authorization',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
];

export type Logger = pino.Logger;

export interface LoggerOptions {
  level?: string;
  /** Readable lines for people at a terminal; JSON for machines. */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const config = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  const destination = options.destination ?? process.stderr;
  // In-process pretty stream: transports run in worker threads and do not survive bundling.
  if (options.pretty) return pino(config, pretty({ destination, colorize: false, sync: true }));
  return pino(config, destination as pino.DestinationStream);
}
