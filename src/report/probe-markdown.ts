import type { ProbeVerdict } from '../probe/types.ts';
import { cell, codeCell } from './markdown-cell.ts';
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

/** Markdown for job summaries, PR comments and files: the same facts as the terminal. */
export function probeMarkdown(v: ProbeVerdict): string {
  const icon = v.outcome === 'pass' ? '✅' : v.outcome === 'leak' ? '🛑' : '⚠️';
  const out = [
    `## ${icon} vakt probe: ${OUTCOME_LABEL[v.outcome]}`,
    '',
    cell(v.reason),
    '',
    '| | |',
    '|---|---|',
  ];
  const row = (k: string, val: string) => out.push(`| ${k} | ${cell(val)} |`);
  row('target', `${v.target} (${v.tenants.join(', ')})`);
  row('requests', countsLine(v));
  const patterns = patternsLine(v);
  if (patterns) row('patterns', patterns);
  const protocol = protocolLine(v);
  if (protocol) row('protocol', protocol);
  if (anyChecked(v)) {
    row('leak-rate bound', boundLine(v));
    row('latency', latencyLine(v));
  }
  row('started', `${v.startedAt}, ran ${formatDuration(v.durationMs)}`);
  if (v.leak) {
    out.push(
      '',
      '### Evidence',
      '',
      `- kind: \`${v.leak.kind}\``,
      `- ${cell(requestLine(v.leak))}`,
    );
    const identity = identityLine(v.leak);
    if (identity) out.push(`- ${cell(identity)}`);
    const match = matchLine(v.leak);
    if (match) out.push(`- ${cell(match)}`);
    const headers = Object.entries(v.leak.headers);
    if (headers.length > 0) {
      out.push('', '| header | value |', '|---|---|');
      for (const [k, val] of headers) out.push(`| ${cell(k)} | ${cell(val)} |`);
    }
  }
  if (v.onLeak) {
    out.push(
      '',
      `On-leak command \`${codeCell(v.onLeak.command)}\`: ${cell(onLeakLine(v.onLeak))}.`,
    );
  }
  const failures = failureLines(v);
  if (failures.length > 0) {
    out.push('', '### Failures', '', ...failures.map((f) => `- ${cell(f)}`));
  }
  if (v.warnings.length > 0) {
    out.push(
      '',
      '### Warnings',
      '',
      ...v.warnings.map(
        (w) =>
          `- **${w.kind}** \`${codeCell(w.path)}\`: ${cell(w.detail)} (x${formatCount(w.count)})`,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
