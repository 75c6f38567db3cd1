import type { RunHooks } from '../probe/run.ts';
import { intervalTicker } from '../probe/ticker.ts';
import type { ProbeCounters } from '../probe/types.ts';
import { formatCount as count } from '../report/numbers.ts';
import type { Io } from './command.ts';

/**
 * How far a probe run has got, on stderr. On a terminal one line is redrawn in place a few
 * times a second; anywhere else (a CI log) a line every few seconds, since a log cannot
 * redraw and a long run that prints nothing looks hung.
 */

/** A CI log gets a line this often. */
export const LOG_EVERY_MS = 5_000;
/** A terminal's line is redrawn this often. */
const TERMINAL_EVERY_MS = 250;

/** `1,200 of 3,000 requests, 0 leaks, 12 s`: checked samples against the budget. */
export function progressLine(counters: ProbeCounters, budget: number, elapsedMs: number): string {
  const failed = counters.failed > 0 ? `, ${count(counters.failed)} failed` : '';
  return `${count(counters.checked)} of ${count(budget)} requests, 0 leaks${failed}, ${Math.floor(elapsedMs / 1000)} s`;
}

export interface Progress {
  hooks: Pick<RunHooks, 'onProgress' | 'progressEveryMs' | 'ticker'>;
  /** Clears the terminal's line before the summary; nothing to clear in a log. */
  end(): void;
}

export function probeProgress(io: Io, budget: number): Progress {
  const ticker = io.ticker ?? intervalTicker;
  if (io.isTTY) {
    return {
      hooks: {
        ticker,
        progressEveryMs: TERMINAL_EVERY_MS,
        onProgress: (c, ms) => io.stderr(`\rvakt: ${progressLine(c, budget, ms)}\x1b[K`),
      },
      end: () => io.stderr('\r\x1b[K'),
    };
  }
  return {
    hooks: {
      ticker,
      progressEveryMs: LOG_EVERY_MS,
      onProgress: (c, ms) => io.stderr(`vakt: ${progressLine(c, budget, ms)}\n`),
    },
    end: () => {},
  };
}
