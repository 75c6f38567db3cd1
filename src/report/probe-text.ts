import type { ProbeVerdict } from '../probe/types.ts';
import { formatCount, formatDuration } from './numbers.ts';
import {
  anyChecked,
  boundLine,
  countsLine,
  failureLines,
  identityLine,
  latencyLine,
  matchLine,
  OUTCOME_LABEL,
  onLeakLine,
  patternsLine,
  protocolLine,
  requestLine,
} from './probe-facts.ts';

/** The terminal summary of a probe run. Colour only when asked (a TTY without NO_COLOR). */
export function probeText(v: ProbeVerdict, colour = false): string {
  const paint = (code: number, s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const label = OUTCOME_LABEL[v.outcome];
  const head =
    v.outcome === 'pass'
      ? paint(32, label)
      : v.outcome === 'leak'
        ? paint(31, label)
        : paint(33, label);
  const lines = [`vakt probe: ${head}  ${v.reason}`];
  const row = (name: string, value: string) => lines.push(`  ${name.padEnd(10)} ${value}`);
  /** Rows of one kind share one label, on the first. */
  const rows = (name: string, values: string[]) => {
    for (const [i, value] of values.entries()) row(i === 0 ? name : '', value);
  };
  row('target', `${v.target} (${formatCount(v.tenants.length)} tenants: ${v.tenants.join(', ')})`);
  if (v.leak) {
    row('evidence', requestLine(v.leak));
    const identity = identityLine(v.leak);
    if (identity) row('', identity);
    const match = matchLine(v.leak);
    if (match) row('', match);
    const headers = Object.entries(v.leak.headers).map(([k, val]) => `${k}: ${val}`);
    if (headers.length > 0) row('headers', headers.join('; '));
  }
  row('requests', countsLine(v));
  const patterns = patternsLine(v);
  if (patterns) row('patterns', patterns);
  const protocol = protocolLine(v);
  if (protocol) row('protocol', protocol);
  const seconds = formatDuration(v.durationMs);
  if (anyChecked(v)) {
    row('bound', boundLine(v));
    row('latency', `${latencyLine(v)}, ${seconds} in all`);
  } else row('time', seconds);
  rows('failures', failureLines(v));
  rows(
    'warnings',
    v.warnings.map((w) => `${w.kind} ${w.path}: ${w.detail} (x${formatCount(w.count)})`),
  );
  if (v.onLeak) row('on-leak', `${v.onLeak.command} -> ${onLeakLine(v.onLeak)}`);
  return `${lines.join('\n')}\n`;
}
