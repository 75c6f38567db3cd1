import type { ProbeVerdict } from '../probe/types.ts';
import { formatCount, formatDuration } from './numbers.ts';
import {
  boundLine,
  countsLine,
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
  row('patterns', patternsLine(v));
  const protocol = protocolLine(v);
  if (protocol) row('protocol', protocol);
  row('bound', boundLine(v));
  row('latency', `${latencyLine(v)}, ${formatDuration(v.durationMs)} in all`);
  for (const f of v.failures) row('failures', `${f.reason} (x${formatCount(f.count)})`);
  for (const w of v.warnings) {
    row('warning', `${w.kind} ${w.path}: ${w.detail} (x${formatCount(w.count)})`);
  }
  if (v.onLeak) row('on-leak', `${v.onLeak.command} -> ${onLeakLine(v.onLeak)}`);
  return `${lines.join('\n')}\n`;
}
