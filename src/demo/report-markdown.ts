import { gateMarkdown } from '../report/gate-markdown.ts';
import { cell } from '../report/markdown-cell.ts';
import { probeMarkdown } from '../report/probe-markdown.ts';
import { FLAWS } from '../shop/index.ts';
import { comparison, comparisonLines, formatMs, KLARNA_2021 } from './timeline.ts';
import { trafficMarkers, trafficRows, trafficSeries } from './traffic-series.ts';
import type { CanaryOutcome, DemoResult } from './types.ts';

/** Rows in the Markdown traffic table: a glance, where the HTML chart has the detail. */
const TABLE_BUCKETS = 10;

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
    `| the leaking release serving, start to withdrawal | ${KLARNA_2021.faultAt} to ${KLARNA_2021.disabledAt}: ${formatMs(KLARNA_2021.ms)} | ${c.windowMs === undefined ? 'no leak' : `${formatMs(c.windowMs)} (canary start to withdrawal, probe traffic only)`} |`,
    `| first leaking response to withdrawal | up to ${formatMs(KLARNA_2021.ms)} (leaks began after the ${KLARNA_2021.faultAt} fault) | ${c.reactionMs === undefined ? 'no leak' : `${formatMs(c.reactionMs)}${c.measuredFrom === 'probe' ? ' (from the probe finding it)' : ''}`} |`,
    `| real users served by the leaking release | up to 9,500 | ${c.realExposed ?? 'none: no leaking release'} |`,
    '',
    ...trafficSection(r),
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
  const leaking = r.canaries.find((x) => x.revert);
  if (leaking?.revert) out.push(...revertSection(leaking));
  out.push(
    '## Gate decisions',
    '',
    'Recorded pull-request facts (src/demo/fixtures), judged by the same rules as `vakt gate`.',
    '',
    nestUnder(2, gateMarkdown(r.gate.oneApproval)),
    nestUnder(2, gateMarkdown(r.gate.twoApprovals)),
    '## Probe runs',
    '',
  );
  for (const canary of r.canaries) {
    out.push(`### Canary ${canary.release}`, '', nestUnder(3, probeMarkdown(canary.verdict)));
  }
  if (r.bake) out.push(`### Bake on ${r.promoted ?? ''}`, '', nestUnder(3, probeMarkdown(r.bake)));
  return `${out.join('\n').trimEnd()}\n`;
}

/** Requests per second by release and time bucket, with the leak and the withdrawal marked. */
function trafficSection(r: DemoResult): string[] {
  const series = trafficSeries(r, TABLE_BUCKETS);
  const rows = trafficRows(series, trafficMarkers(r));
  const releases = series.series.map((s) => s.release);
  return [
    '## Real-user traffic by release',
    '',
    `Requests per second the router sent to each release (requests in brackets), from its record of every real-user request, in buckets of ${formatMs(series.bucketMs)}; – where the release was not running. In all: ${series.series.map((s) => `${s.release} ${s.total}`).join(', ')}.`,
    '',
    `| seconds | ${releases.map((name) => `${cell(name)} req/s`).join(' | ')} | marked |`,
    `|---|${releases.map(() => '---:|').join('')}---|`,
    ...rows.map(
      (row) =>
        `| ${row.seconds} | ${row.rates
          .map((rate, i) => (rate === null ? '–' : `${Math.round(rate)} (${row.counts[i]})`))
          .join(' | ')} | ${cell(row.marks.join('; '))} |`,
    ),
    '',
  ];
}

/** What the revert took, and what was seen afterwards that shows it took effect. */
function revertSection(leaking: CanaryOutcome): string[] {
  const revert = leaking.revert;
  if (!revert) return [];
  const { release, exposure } = leaking;
  const { confirmed } = revert;
  const after = confirmed.probeAfterwards;
  const lastRouted = confirmed.lastRoutedBeforeWithdrawalMs;
  return [
    '## The revert',
    '',
    `- reachable: ${formatMs(revert.windowMs)} from the router first sending ${release} traffic (the canary start) to the router withdrawing it`,
    revert.measuredFrom === 'candidate'
      ? `- reaction: ${formatMs(revert.reactionMs)} from ${release} writing its first response with another account's data (its own record) to the withdrawal`
      : `- reaction: ${formatMs(revert.reactionMs)} from the probe finding the leak to the withdrawal (${release} kept no record of writing it)`,
    `- probe finding the leak to withdrawal: ${formatMs(revert.detectToWithdrawMs)}`,
    `- withdrawal to ${release} stopped: ${formatMs(revert.stopMs)}`,
    `- probe requests until detection: ${revert.probeRequests}`,
    `- afterwards: a probe-marked request was routed to ${after.routedTo || 'nowhere'} and answered by ${after.answeredBy}; the router last sent ${release} a request ${lastRouted === null ? 'never' : `${formatMs(Math.abs(lastRouted))} ${lastRouted >= 0 ? 'before' : 'after'} the withdrawal`}; ${confirmed.address} ${confirmed.portRefused ? 'refused' : 'accepted'} a connection`,
    `- real-user requests that reached ${release}: router ${exposure.router}, ${release}'s count by credential presented ${exposure.candidate}, customers' record of who answered them ${exposure.customers}`,
    `- responses ${release} wrote with another account's data: ${leaking.leaking.sent}, to real customers ${leaking.leaking.toRealCustomers}`,
    '',
  ];
}

/**
 * An embedded report's headings moved below a section at `level`: its top heading becomes
 * level + 1 and the rest keep their distance, so the page outline stays right.
 */
export function nestUnder(level: number, markdown: string): string {
  const lines = markdown.split('\n');
  let fenced = false;
  const levels: number[] = [];
  const heading = lines.map((line) => {
    if (/^(```|~~~)/.test(line)) fenced = !fenced;
    const hashes = fenced ? undefined : /^(#{1,6}) /.exec(line)?.[1]?.length;
    if (hashes !== undefined) levels.push(hashes);
    return hashes;
  });
  if (levels.length === 0) return markdown;
  const shift = level + 1 - Math.min(...levels);
  return lines
    .map((line, i) => {
      const hashes = heading[i];
      if (hashes === undefined) return line;
      return `${'#'.repeat(Math.min(6, hashes + shift))}${line.slice(hashes)}`;
    })
    .join('\n');
}
