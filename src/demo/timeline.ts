import { realExposed } from './exposure.ts';
import type { DemoResult, TimelineEvent } from './types.ts';

/** The demo's timeline as text, and set against Klarna's 2021 incident. Pure. */

/** Klarna, May 2021: personal responses cached; the fault at 10:49, disabled at 11:20. */
export const KLARNA_2021 = {
  when: 'May 2021',
  faultAt: '10:49',
  disabledAt: '11:20',
  ms: 31 * 60_000,
} as const;

export interface Comparison {
  klarnaMs: number;
  /**
   * From the leaking release starting to serve (the canary start) to its withdrawal: the
   * fair counterpart of Klarna's fault-to-disabled. Undefined when nothing was reverted.
   */
  windowMs?: number;
  /** From the leaking release's first leaking response being written to its withdrawal. */
  reactionMs?: number;
  /** Where reactionMs starts: the candidate's own record, or the probe finding the leak. */
  measuredFrom?: 'candidate' | 'probe';
  /** How many times shorter the window was than Klarna's 31 minutes, rounded. */
  factor?: number;
  /** Real-user requests that reached the leaking release (the most any witness counted). */
  realExposed?: number;
}

export function comparison(r: Pick<DemoResult, 'canaries'>): Comparison {
  const leaking = r.canaries.find((c) => c.revert !== undefined);
  if (!leaking?.revert) return { klarnaMs: KLARNA_2021.ms };
  const { windowMs, reactionMs, measuredFrom } = leaking.revert;
  return {
    klarnaMs: KLARNA_2021.ms,
    windowMs,
    reactionMs,
    measuredFrom,
    factor: Math.round(KLARNA_2021.ms / Math.max(windowMs, 0.01)),
    realExposed: realExposed(leaking),
  };
}

/** Thousands separated by a thin space; decimals only where they say something. */
export function formatMs(ms: number): string {
  const digits = ms < 10 ? 2 : ms < 100 ? 1 : 0;
  const [whole = '0', fraction] = ms.toFixed(digits).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${fraction ? `${grouped}.${fraction}` : grouped} ms`;
}

const COLOUR: Partial<Record<TimelineEvent['kind'], number>> = {
  gate: 36,
  'leak-sent': 31,
  leak: 31,
  withdraw: 33,
  stop: 33,
  pass: 32,
  promote: 32,
  bake: 32,
  problem: 31,
};

/** Room for the longest event kind ('leak-sent'), so titles line up. */
const KIND_WIDTH = 9;

/** One event as a terminal line (and its detail lines), for progress as the story runs. */
export function eventText(e: TimelineEvent, colour = false): string {
  const paint = (code: number | undefined, s: string) =>
    colour && code ? `\x1b[${code}m${s}\x1b[0m` : s;
  const code = e.ok === false ? 31 : COLOUR[e.kind];
  const at = `${e.atMs.toFixed(0).padStart(6)} ms`;
  const head = `${paint(2, at)}  ${paint(code, e.kind.padEnd(KIND_WIDTH))} ${e.title}`;
  const detail = (e.detail ?? []).map((line) => `${' '.repeat(at.length + 3 + KIND_WIDTH)}${line}`);
  return `${[head, ...detail].join('\n')}\n`;
}

/** The closing summary: the timeline, the comparison with Klarna and the checks. */
export function summaryText(r: DemoResult, colour = false): string {
  const paint = (code: number, s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const lines = ['', `Timeline (ms since start; flaw: ${r.flaw ?? 'none, a clean v2'})`];
  for (const e of r.events) {
    lines.push(`  ${formatMs(e.atMs).padStart(12)}  ${e.release?.padEnd(3) ?? '   '}  ${e.title}`);
  }
  lines.push('', ...comparisonLines(r).map((l) => `  ${l}`), '', 'Checks');
  for (const c of r.checks) {
    lines.push(`  ${c.ok ? paint(32, 'ok  ') : paint(31, 'FAIL')}  ${c.name}: ${c.detail}`);
  }
  const verdict = r.ok
    ? paint(32, 'the story went as it must')
    : paint(31, 'the story did not go as it must');
  lines.push('', `vakt demo: ${verdict} (${formatMs(r.durationMs)})`);
  return `${lines.join('\n')}\n`;
}

/** Sentences setting the run against Klarna's 31 minutes, each saying what it measures. */
export function comparisonLines(r: Pick<DemoResult, 'canaries'>): string[] {
  const c = comparison(r);
  const k = KLARNA_2021;
  const klarna = `Klarna, ${k.when}: fault at ${k.faultAt}, disabled at ${k.disabledAt}: 31 minutes (${formatMs(k.ms)}) in which customers could see other customers' data.`;
  if (c.windowMs === undefined || c.reactionMs === undefined)
    return [klarna, 'vakt: no leaking release in this run.'];
  const leaking = r.canaries.find((x) => x.revert)?.release ?? 'the release';
  const start =
    c.measuredFrom === 'candidate'
      ? `${leaking} writing its first response with another account's data`
      : 'the probe finding the leak';
  return [
    klarna,
    `vakt: ${leaking} was reachable for ${formatMs(c.windowMs)}, from the canary start to the router withdrawing it: about ${c.factor?.toLocaleString('en-GB')} times shorter, and by probe traffic only.`,
    `vakt: from ${start} to the withdrawal: ${formatMs(c.reactionMs)}.`,
    `Real-user requests that reached ${leaking}: ${c.realExposed}.`,
  ];
}
