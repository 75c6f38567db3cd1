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
  /** vakt's leaking response to withdrawal; undefined when nothing leaked or it was not caught. */
  vaktMs?: number;
  /** How many times faster, rounded. */
  factor?: number;
  /** Real-user requests that reached the leaking release. */
  realExposed?: number;
}

export function comparison(r: Pick<DemoResult, 'canaries'>): Comparison {
  const leaking = r.canaries.find((c) => c.revert !== undefined);
  if (!leaking?.revert) return { klarnaMs: KLARNA_2021.ms };
  const vaktMs = leaking.revert.reactionMs;
  return {
    klarnaMs: KLARNA_2021.ms,
    vaktMs,
    factor: Math.round(KLARNA_2021.ms / Math.max(vaktMs, 0.01)),
    realExposed: leaking.routed.real + leaking.realUsersSeenByCandidate,
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
  leak: 31,
  withdraw: 33,
  stop: 33,
  pass: 32,
  promote: 32,
  bake: 32,
  problem: 31,
};

/** One event as a terminal line (and its detail lines), for progress as the story runs. */
export function eventText(e: TimelineEvent, colour = false): string {
  const paint = (code: number | undefined, s: string) =>
    colour && code ? `\x1b[${code}m${s}\x1b[0m` : s;
  const code = e.ok === false ? 31 : COLOUR[e.kind];
  const at = `${e.atMs.toFixed(0).padStart(6)} ms`;
  const head = `${paint(2, at)}  ${paint(code, e.kind.padEnd(8))} ${e.title}`;
  const detail = (e.detail ?? []).map((line) => `${' '.repeat(19)}${line}`);
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

/** Sentences setting the run against Klarna's 31 minutes. */
export function comparisonLines(r: Pick<DemoResult, 'canaries'>): string[] {
  const c = comparison(r);
  const k = KLARNA_2021;
  const klarna = `Klarna, ${k.when}: fault at ${k.faultAt}, disabled at ${k.disabledAt}: 31 minutes (${formatMs(k.ms)}), customers saw other customers' data throughout.`;
  if (c.vaktMs === undefined) return [klarna, 'vakt: no leaking release in this run.'];
  return [
    klarna,
    `vakt: leaking response to withdrawal in ${formatMs(c.vaktMs)}, about ${c.factor?.toLocaleString('en-GB')} times sooner; real-user requests that reached the leaking release: ${c.realExposed}.`,
  ];
}
