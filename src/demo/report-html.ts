import { FLAWS } from '../shop/index.ts';
import { esc } from './escape.ts';
import { FRAME } from './scale.ts';
import { comparison, comparisonLines, formatMs, KLARNA_2021 } from './timeline.ts';
import { eventColour, layoutTimeline, timelineSvg } from './timeline-drawing.ts';
import { layoutTrafficChart, trafficChartSvg } from './traffic-chart.ts';
import { trafficMarkers, trafficRows, trafficSeries } from './traffic-series.ts';
import type { DemoResult } from './types.ts';

/**
 * vakt-demo-report.html: one self-contained page (inline CSS and SVG, no scripts, no external
 * assets): Klarna's 31 minutes beside vakt's reaction on a log scale, real-user traffic by
 * release with the leak and the withdrawal marked, and the timeline drawn at two scales.
 * Every piece of text is escaped. Pure.
 */

export { esc };

/** Buckets in the chart: enough to show the handover, few enough for steady rates. */
const CHART_BUCKETS = 24;

const WIDTH = FRAME.width;
const PAD = 40;

/**
 * Klarna's 31 minutes beside this run's two figures, as bars on a log scale from 0.1 ms to
 * 1 hour: how long the leaking release was reachable (the fair comparison), and how long
 * from its first leaking response to the withdrawal.
 */
function comparisonSvg(r: DemoResult): string {
  const c = comparison(r);
  const lo = -1;
  const hi = Math.log10(3_600_000);
  const left = 230;
  const x = (ms: number) =>
    left + ((Math.log10(Math.max(ms, 0.1)) - lo) / (hi - lo)) * (WIDTH - left - PAD);
  const ticks: [number, string][] = [
    [1, '1 ms'],
    [10, '10 ms'],
    [100, '100 ms'],
    [1_000, '1 s'],
    [10_000, '10 s'],
    [60_000, '1 min'],
    [600_000, '10 min'],
    [3_600_000, '1 h'],
  ];
  const bottom = 135;
  const parts: string[] = [];
  for (const [ms, label] of ticks) {
    parts.push(
      `<line x1="${x(ms).toFixed(1)}" y1="10" x2="${x(ms).toFixed(1)}" y2="${bottom}" stroke="#e5e7eb"/>`,
      `<text x="${x(ms).toFixed(1)}" y="${bottom + 17}" text-anchor="middle" class="tick">${esc(label)}</text>`,
    );
  }
  const bar = (y: number, label: string, ms: number | undefined, colour: string, note: string) => {
    parts.push(
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end" class="label">${esc(label)}</text>`,
    );
    if (ms === undefined) {
      parts.push(`<text x="${left + 4}" y="${y + 15}" class="label">${esc(note)}</text>`);
      return;
    }
    const w = Math.max(2, x(ms) - x(0.1));
    parts.push(
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="22" fill="${colour}" rx="3"/>`,
      // A long bar carries its note inside, a short one beside it.
      left + w + 220 > WIDTH
        ? `<text x="${(left + w - 8).toFixed(1)}" y="${y + 15}" text-anchor="end" class="label" fill="#fff" style="fill:#fff">${esc(note)}</text>`
        : `<text x="${(left + w + 6).toFixed(1)}" y="${y + 15}" class="label">${esc(note)}</text>`,
    );
  };
  const none = 'no leaking release in this run';
  bar(
    18,
    'Klarna, May 2021',
    KLARNA_2021.ms,
    '#dc2626',
    `${KLARNA_2021.faultAt} to ${KLARNA_2021.disabledAt}: 31 min`,
  );
  bar(
    58,
    'vakt: canary start to withdrawal',
    c.windowMs,
    '#16a34a',
    c.windowMs === undefined ? none : formatMs(c.windowMs),
  );
  bar(
    98,
    c.measuredFrom === 'probe'
      ? 'vakt: leak found to withdrawal'
      : 'vakt: first leak to withdrawal',
    c.reactionMs,
    '#15803d',
    c.reactionMs === undefined ? none : formatMs(c.reactionMs),
  );
  return `<svg viewBox="0 0 ${WIDTH} ${bottom + 25}" role="img" aria-label="exposure against Klarna, log scale">${parts.join('')}</svg>`;
}

const CSS = `
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#111827}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
.ok{color:#15803d}.fail{color:#b91c1c}
table{border-collapse:collapse;width:100%;font-size:14px}
td,th{border-bottom:1px solid #e5e7eb;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.ms{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.dot{display:inline-block;width:1.4em;height:1.4em;border-radius:50%;color:#fff;text-align:center;font-size:12px;line-height:1.4em}
svg{width:100%;height:auto}.tick{font-size:11px;fill:#6b7280}.label{font-size:13px;fill:#111827}
.detail{color:#4b5563;font-size:13px}
.mark{font:12px ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;fill:#111827}.strong{font-weight:700}.axis{font-size:13px;fill:#374151}
details{margin:.5rem 0}summary{cursor:pointer;color:#374151}td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f3f4f6;padding:.5rem;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere}
`;

export function demoHtml(r: DemoResult): string {
  const verdict = r.ok ? 'the story went as it must' : 'the story did not go as it must';
  const rows = r.events
    .map((e, i) => {
      const colour = eventColour(e);
      const detail = (e.detail ?? []).length
        ? `<pre class="detail">${esc((e.detail ?? []).join('\n'))}</pre>`
        : '';
      return `<tr><td><span class="dot" style="background:${colour}">${i + 1}</span></td><td class="ms">${esc(formatMs(e.atMs))}</td><td>${esc(e.release ?? '')}</td><td>${esc(e.title)}${detail}</td></tr>`;
    })
    .join('\n');
  const checks = r.checks
    .map(
      (c) =>
        `<tr><td class="${c.ok ? 'ok' : 'fail'}">${c.ok ? 'ok' : 'FAIL'}</td><td>${esc(c.name)}</td><td>${esc(c.detail)}</td></tr>`,
    )
    .join('\n');
  const flaw = r.flaw
    ? `Release v2 shipped the flaw <code>${esc(r.flaw)}</code>: ${esc(FLAWS[r.flaw].summary)}`
    : 'Release v2 was clean.';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vakt demo: ${esc(verdict)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>vakt demo: <span class="${r.ok ? 'ok' : 'fail'}">${esc(verdict)}</span></h1>
<p>${flaw}</p>
<p>Started ${esc(r.startedAt)}, ran ${esc(formatMs(r.durationMs))}, all on this machine.</p>
<h2>Exposure against Klarna (log scale)</h2>
${comparisonSvg(r)}
<ul>${comparisonLines(r)
    .map((l) => `<li>${esc(l)}</li>`)
    .join('')}</ul>
${trafficSection(r)}
<h2>Timeline (ms since start)</h2>
<p>Each label starts with the event's number in the table below, which tells every event in words.</p>
${timelineSvg(layoutTimeline(r.events, r.durationMs), timelineDescription(r))}
<table>
<tr><th></th><th>ms</th><th>release</th><th>event</th></tr>
${rows}
</table>
<h2>Checks</h2>
<table>
${checks}
</table>
</body>
</html>
`;
}

/** The traffic chart, what it is drawn from, and its figures as a table. */
function trafficSection(r: DemoResult): string {
  const series = trafficSeries(r, CHART_BUCKETS);
  const markers = trafficMarkers(r);
  const rows = trafficRows(series, markers);
  const head = series.series.map((s) => `<th>${esc(s.release)} req/s</th>`).join('');
  const body = rows
    .map((row) => {
      const cells = row.rates
        .map((rate, i) => {
          const count = row.counts[i];
          return `<td class="n">${rate === null ? '–' : `${Math.round(rate)} <span class="detail">(${count})</span>`}</td>`;
        })
        .join('');
      return `<tr><td class="ms">${esc(row.seconds)} s</td>${cells}<td>${esc(row.marks.join('; '))}</td></tr>`;
    })
    .join('\n');
  const totals = series.series.map((s) => `${s.release} ${s.total}`).join(', ');
  return `<h2>Real-user traffic by release</h2>
<p>Requests per second the router sent to each release, from its record of every real-user request (${esc(totals)}), in buckets of ${esc(formatMs(series.bucketMs))}. A canary gets probe traffic only, so its line stays at zero until it is promoted.</p>
${trafficChartSvg(layoutTrafficChart(series, markers))}
<details><summary>The chart's figures: requests per second (requests) by release and bucket; – where the release was not running</summary>
<table>
<tr><th>seconds</th>${head}<th>marked</th></tr>
${body}
</table>
</details>`;
}

function timelineDescription(r: DemoResult): string {
  return `timeline of ${r.events.length} events over ${formatMs(r.durationMs)}, listed in the table below`;
}
