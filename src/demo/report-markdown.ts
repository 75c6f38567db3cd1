import { gateMarkdown } from '../report/gate-markdown.ts';
import { cell } from '../report/markdown-cell.ts';
import { probeMarkdown } from '../report/probe-markdown.ts';
import { FLAWS } from '../shop/index.ts';
import { comparison, comparisonLines, formatMs, KLARNA_2021 } from './timeline.ts';
import type { DemoResult } from './types.ts';

/** vakt-demo-report.md: the run's story, its timeline against Klarna's, and the evidence. Pure. */
export function demoMarkdown(r: DemoResult): string {
  const c = comparison(r);
  const out = [
    `# ${r.ok ? '✅' : '🛑'} vakt demo: ${r.ok ? 'the story went as it must' : 'the story did not go as it must'}`,
    '',
    r.flaw
      ? `Release v2 shipped the flaw \`${r.flaw}\`: ${cell(FLAWS[r.flaw].summary)}`
      : 'Release v2 was clean.',
    '',
    `Started ${r.startedAt}, ran ${formatMs(r.durationMs)}. Everything ran on this machine: the sample shop, a router, simulated customers and the probe.`,
    '',
    '## Against Klarna, May 2021',
    '',
    ...comparisonLines(r).map((l) => `- ${cell(l)}`),
    '',
    '| | Klarna, May 2021 | this run |',
    '|---|---|---|',
    `| leak to withdrawal | ${KLARNA_2021.faultAt} to ${KLARNA_2021.disabledAt}: ${formatMs(KLARNA_2021.ms)} | ${c.vaktMs === undefined ? 'no leak' : formatMs(c.vaktMs)} |`,
    `| real users served by the leaking release | customers throughout | ${c.realExposed ?? 'none: no leaking release'} |`,
    '',
    '## Timeline',
    '',
    '| ms since start | release | event |',
    '|---:|---|---|',
    ...r.events.map(
      (e) =>
        `| ${formatMs(e.atMs)} | ${cell(e.release ?? '')} | ${cell(e.title)}${(e.detail ?? [])
          .filter((d) => !d.startsWith('  ') && !d.startsWith('vakt gate'))
          .map((d) => `<br>${cell(d)}`)
          .join('')} |`,
    ),
    '',
    '## Checks',
    '',
    '| | check | detail |',
    '|---|---|---|',
    ...r.checks.map((k) => `| ${k.ok ? '✅' : '🛑'} | ${cell(k.name)} | ${cell(k.detail)} |`),
    '',
  ];
  const revert = r.canaries.find((x) => x.revert)?.revert;
  if (revert) {
    out.push(
      '## The revert',
      '',
      `- reaction: ${formatMs(revert.reactionMs)} from the leaking response passing the router (on its way from the candidate to the probe) to the router withdrawing the candidate${revert.measuredFrom === 'probe' ? ' (measured from the probe finding the leak)' : ''}`,
      `- probe finding the leak to withdrawal: ${formatMs(revert.detectToWithdrawMs)}`,
      `- withdrawal to the candidate stopped: ${formatMs(revert.stopMs)}`,
      `- probe requests until detection: ${revert.probeRequests}`,
      '',
    );
  }
  out.push(
    '## Gate decisions',
    '',
    'Recorded pull-request facts (src/demo/fixtures), judged by the same rules as `vakt gate`.',
    '',
    gateMarkdown(r.gate.oneApproval),
    gateMarkdown(r.gate.twoApprovals),
    '## Probe runs',
    '',
  );
  for (const canary of r.canaries) {
    out.push(`### Canary ${canary.release}`, '', probeMarkdown(canary.verdict));
  }
  if (r.bake) out.push(`### Bake on ${r.promoted ?? ''}`, '', probeMarkdown(r.bake));
  return `${out.join('\n').trimEnd()}\n`;
}
