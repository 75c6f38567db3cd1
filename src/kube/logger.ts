import { pino } from 'pino';
import type { Logger } from '../log.ts';

export type { Logger };

/** For callers that pass no logger (tests, tools): the adapter must not write to stderr then. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
