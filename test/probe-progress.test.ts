import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { LOG_EVERY_MS, progressLine } from '../src/cli/probe-progress.ts';
import type { ProbeCounters } from '../src/probe/types.ts';
import { startLoginRun } from './support/login-target.ts';
import { Targets } from './support/probe-target.ts';

/**
 * Progress of a long run on stderr. Its pace comes from a ticker the test holds: the test
 * ticks when the target has answered a given number of requests, never after a wait.
 */

const targets = new Targets();
afterEach(() => targets.closeAll());

/** A ticker that ticks only when told to, and records what it was asked for. */
function handTicker() {
  const state = { everyMs: [] as number[], ticks: [] as (() => void)[], stopped: 0 };
  const ticker = (everyMs: number, tick: () => void) => {
    state.everyMs.push(everyMs);
    state.ticks.push(tick);
    return () => {
      state.stopped++;
    };
  };
  return { ticker, state, tick: () => state.ticks.at(-1)?.() };
}

async function runWithProgress(options: { isTTY: boolean; extra?: string[] }) {
  const hand = handTicker();
  const dir = await mkdtemp(join(tmpdir(), 'vakt-progress-'));
  const { policy, cap } = await startLoginRun(targets, dir, {
    requests: 400,
    // Ticks at fixed points of the run, however fast it goes.
    onRequest: (n) => {
      if (n === 100 || n === 200) hand.tick();
    },
  });
  cap.io.isTTY = options.isTTY;
  cap.io.ticker = hand.ticker;
  await main(['probe', '--policy', policy, ...(options.extra ?? [])], cap.io);
  return { cap, hand };
}

const counters = (c: Partial<ProbeCounters>) => ({ checked: 0, failed: 0, ...c }) as ProbeCounters;

describe('progressLine', () => {
  it('counts checked requests against the budget, with failures only when there are any', () => {
    expect(progressLine(counters({ checked: 1200 }), 3000, 12_400)).toBe(
      '1,200 of 3,000 requests, 0 leaks, 12 s',
    );
    expect(progressLine(counters({ checked: 2985, failed: 3 }), 3000, 59_999)).toBe(
      '2,985 of 3,000 requests, 0 leaks, 3 failed, 59 s',
    );
  });
});

describe('vakt probe progress', () => {
  it('without a terminal prints a line on stderr every few seconds', async () => {
    const { cap, hand } = await runWithProgress({ isTTY: false });
    expect(hand.state.everyMs).toEqual([LOG_EVERY_MS]);
    expect(LOG_EVERY_MS).toBeGreaterThanOrEqual(2_000);
    const lines = cap.stderr.split('\n').filter((l) => l.startsWith('vakt: '));
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(line).toMatch(/^vakt: [\d,]+ of 400 requests, 0 leaks, \d+ s$/);
    // Progress stays off stdout, and stops with the run.
    expect(cap.stdout).not.toMatch(/of 400 requests/);
    expect(cap.stderr).not.toContain('\r');
    expect(hand.state.stopped).toBe(1);
  });

  it('on a terminal redraws one line in place, and clears it before the summary', async () => {
    const { cap, hand } = await runWithProgress({ isTTY: true });
    expect(hand.state.everyMs[0]).toBeLessThan(LOG_EVERY_MS);
    const ESC = '\u001b';
    const draws = cap.stderr.split('\r').slice(1);
    expect(draws).toHaveLength(3);
    for (const draw of draws.slice(0, 2))
      expect(draw).toMatch(
        new RegExp(`^vakt: [\\d,]+ of 400 requests, 0 leaks, \\d+ s${ESC}\\[K$`),
      );
    expect(draws[2]).toBe(`${ESC}[K`);
  });

  it('is off with --quiet', async () => {
    const { cap, hand } = await runWithProgress({ isTTY: false, extra: ['--quiet'] });
    expect(hand.state.everyMs).toEqual([]);
    expect(cap.stderr).toBe('');
  });
});
