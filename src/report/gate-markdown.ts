import type { ApprovalVerdict } from '../approval/verdict.ts';
import { countedLine, GATE_LABEL, headline, pullRequestLine } from './gate-facts.ts';
import { cell } from './markdown-cell.ts';

const ICON = { approved: '✅', denied: '⛔', undecided: '⚠️' } as const;

/** A gate decision as Markdown, for a job summary or a pull request comment. */
export function gateMarkdown(v: ApprovalVerdict): string {
  const out = [
    `## ${ICON[v.outcome]} vakt gate: ${GATE_LABEL[v.outcome]}`,
    '',
    cell(headline(v)),
    '',
    `Pull request: ${cell(pullRequestLine(v))}`,
    '',
  ];
  if (v.counted.length + v.notCounted.length > 0) {
    out.push('| Reviewer | Counted | Why |', '| --- | --- | --- |');
    for (const c of v.counted) {
      out.push(`| @${cell(c.login)} | yes | ${cell(countedLine(c).replace(/^@\S+ /, ''))} |`);
    }
    for (const n of v.notCounted) out.push(`| @${cell(n.login)} | no | ${cell(n.reason)} |`);
    out.push('');
  }
  if (v.missing.length > 0) {
    out.push('### Missing', '', ...v.missing.map((m) => `- ${cell(m)}`), '');
  }
  if (v.reasons.length > 1) {
    out.push('### Reasons', '', ...v.reasons.map((r) => `- ${cell(r)}`), '');
  }
  return `${out.join('\n')}`;
}
