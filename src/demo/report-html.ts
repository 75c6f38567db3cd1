import { FLAWS } from '../shop/index.ts';
import { comparison, comparisonLines, formatMs, KLARNA_2021 } from './timeline.ts';
import type { DemoResult, TimelineEvent } from './types.ts';

/**
 * vakt-demo-report.html: one self-contained page (inline CSS and SVG, no scripts, no external
 * assets) with the timeline drawn, and Klarna's 31 minutes beside vakt's reaction on a log
 * scale. Every piece of text is escaped. Pure.
 */

export function esc(text: string | number): string {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

const KIND_COLOUR: Record<TimelineEvent['kind'], string> = {
  start: '#6b7280',
  traffic: '#6b7280',
  gate: '#0e7490',
  canary: '#7c3aed',
  'leak-sent': '#dc2626',
  leak: '#dc2626',
  withdraw: '#d97706',
  stop: '#d97706',
  exposure: '#059669',
  pass: '#16a34a',
  promote: '#16a34a',
  bake: '#16a34a',
  problem: '#dc2626',
  end: '#374151',
};

const WIDTH = 880;
const PAD = 40;

/** The demo's events along one axis of milliseconds, numbered to match the table below it. */
function timelineSvg(r: DemoResult): string {
  const span = Math.max(r.durationMs, ...r.events.map((e) => e.atMs), 1);
  const x = (ms: number) => PAD + (ms / span) * (WIDTH - 2 * PAD);
  const axisY = 70;
  const parts: string[] = [
    `<line x1="${PAD}" y1="${axisY}" x2="${WIDTH - PAD}" y2="${axisY}" stroke="#9ca3af"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const ms = (span * i) / 5;
    parts.push(
      `<line x1="${x(ms).toFixed(1)}" y1="${axisY}" x2="${x(ms).toFixed(1)}" y2="${axisY + 5}" stroke="#9ca3af"/>`,
      `<text x="${x(ms).toFixed(1)}" y="${axisY + 20}" text-anchor="middle" class="tick">${esc(formatMs(ms))}</text>`,
    );
  }
  // Events milliseconds apart would hide each other: each marker sits at least one marker
  // width from its neighbours (pushed right, then back left at the edge), and a leader
  // line points to its true time.
  const GAP = 18;
  const marks: number[] = [];
  for (const e of r.events) marks.push(Math.max(x(e.atMs), (marks.at(-1) ?? -Infinity) + GAP));
  let limit = WIDTH - 10;
  for (let i = marks.length - 1; i >= 0; i--) {
    marks[i] = Math.min(marks[i] ?? 0, limit);
    limit = (marks[i] ?? 0) - GAP;
  }
  const y = axisY - 28;
  r.events.forEach((e, i) => {
    const ex = x(e.atMs);
    const mx = marks[i] ?? ex;
    const colour = e.ok === false ? KIND_COLOUR.problem : KIND_COLOUR[e.kind];
    parts.push(
      `<g><title>${esc(`${formatMs(e.atMs)}: ${e.title}`)}</title>`,
      `<line x1="${mx.toFixed(1)}" y1="${y + 8}" x2="${ex.toFixed(1)}" y2="${axisY}" stroke="${colour}" stroke-width="1"/>`,
      `<circle cx="${mx.toFixed(1)}" cy="${y}" r="8" fill="${colour}"/>`,
      `<text x="${mx.toFixed(1)}" y="${y + 4}" text-anchor="middle" class="num">${i + 1}</text></g>`,
    );
  });
  return `<svg viewBox="0 0 ${WIDTH} 100" role="img" aria-label="timeline of the demo in milliseconds">${parts.join('')}</svg>`;
}

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
svg{width:100%;height:auto}.tick{font-size:11px;fill:#6b7280}.num{font-size:10px;fill:#fff;font-weight:600}.label{font-size:13px;fill:#111827}
.detail{color:#4b5563;font-size:13px}
pre{background:#f3f4f6;padding:.5rem;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere}
`;

export function demoHtml(r: DemoResult): string {
  const verdict = r.ok ? 'the story went as it must' : 'the story did not go as it must';
  const rows = r.events
    .map((e, i) => {
      const colour = e.ok === false ? KIND_COLOUR.problem : KIND_COLOUR[e.kind];
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
<h2>Timeline (ms since start)</h2>
${timelineSvg(r)}
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
