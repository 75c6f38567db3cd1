import { esc } from './escape.ts';
import { type Box, type Placed, placeInLanes, textWidth } from './lanes.ts';
import { FRAME, linear, niceCeil, ticks } from './scale.ts';
import { BOX_H, f, type TextBox, textAt, textSvg } from './svg-text.ts';
import { formatMs } from './timeline.ts';
import { type Marker, ratePerSecond, type TrafficSeries } from './traffic-series.ts';

/**
 * The traffic chart: real-user requests per second by release over the run, one stepped
 * line per release (each its own colour and dash, so colour is never the only key), with
 * the leak, the withdrawal and promotions marked by labelled vertical lines. The layout is
 * computed first, as plain boxes and points, then written out as SVG. Pure.
 */

export interface ChartLine {
  release: string;
  total: number;
  colour: string;
  dash: string;
  /** The stepped line, in px. */
  points: [number, number][];
  /** The buckets the line is drawn over, with the figures it shows. */
  drawn: { startMs: number; endMs: number; count: number; rate: number }[];
}

export interface ChartMarker extends Marker {
  x: number;
  lane: number;
  colour: string;
  dash: string;
  box: Box;
}

export interface ChartLayout {
  width: number;
  height: number;
  plot: Box;
  spanMs: number;
  yMax: number;
  xTicks: { x: number; label: TextBox }[];
  yTicks: { y: number; label: TextBox }[];
  lines: ChartLine[];
  markers: ChartMarker[];
  legend: { release: string; swatchY: number; swatchX: number; texts: TextBox[] }[];
  xTitle: TextBox;
  /** Drawn turned a quarter anticlockwise; its box is the turned one. */
  yTitle: TextBox;
}

const LANE_H = 18;
const PLOT_H = 200;

/** By release, in order; none red, which the leak marker has to itself. */
const STYLES = [
  { colour: '#2563eb', dash: '' },
  { colour: '#c026d3', dash: '7 4' },
  { colour: '#16a34a', dash: '9 3 2 3' },
  { colour: '#0891b2', dash: '2 3' },
];

const MARKER_STYLE: Record<Marker['kind'], { colour: string; dash: string }> = {
  leak: { colour: '#dc2626', dash: '4 3' },
  withdraw: { colour: '#b45309', dash: '' },
  promote: { colour: '#374151', dash: '2 3' },
};

export function layoutTrafficChart(series: TrafficSeries, markers: readonly Marker[]): ChartLayout {
  const { plotLeft, plotRight, width } = FRAME;
  const x = linear(0, series.spanMs, plotLeft, plotRight);
  const placed: Placed[] = placeInLanes(
    markers.map((m) => ({ anchor: x(m.atMs), text: m.text })),
    { left: plotLeft, right: width - 8 },
  );
  const lanes = placed.reduce((n, p) => Math.max(n, p.lane + 1), 0);
  const plotTop = 12 + lanes * LANE_H + 6;
  const plotBottom = plotTop + PLOT_H;
  const plot = { x: plotLeft, y: plotTop, width: plotRight - plotLeft, height: PLOT_H };

  const rates = series.buckets.flatMap((b) =>
    series.series.map((s) => ratePerSecond(b, s.release)),
  );
  const yMax = niceCeil(Math.max(...rates, 1) * 1.05, 5);
  const y = linear(0, yMax, plotBottom, plotTop);

  const lines = series.series.flatMap((s, i): ChartLine[] => {
    if (s.first === undefined || s.last === undefined) return [];
    const style = STYLES[i % STYLES.length] ?? { colour: '#111827', dash: '' };
    const drawn = series.buckets.slice(s.first, s.last + 1).map((b) => ({
      startMs: b.startMs,
      endMs: b.endMs,
      count: b.counts[s.release] ?? 0,
      rate: ratePerSecond(b, s.release),
    }));
    // A bucket without requests at either end of the line is drawn only where the release
    // ran: a canary's zero starts at its canary start, not at the start of its bucket. At
    // zero the width changes nothing the line adds up to.
    const first = drawn[0];
    const last = drawn.at(-1);
    if (first && first.count === 0) first.startMs = Math.max(first.startMs, s.fromMs ?? 0);
    if (last && last.count === 0) last.endMs = Math.min(last.endMs, s.toMs ?? last.endMs);
    const points = drawn.flatMap((b): [number, number][] => [
      [x(b.startMs), y(b.rate)],
      [x(b.endMs), y(b.rate)],
    ]);
    return [{ release: s.release, total: s.total, ...style, points, drawn }];
  });

  const chartMarkers = markers.map((m, i): ChartMarker => {
    const p = placed[i] as Placed;
    const baseline = plotTop - 6 - p.lane * LANE_H - 3;
    return {
      ...m,
      x: p.anchor,
      lane: p.lane,
      ...MARKER_STYLE[m.kind],
      box: { x: p.x, y: baseline - 11, width: p.width, height: BOX_H },
    };
  });

  const xTicks = ticks(0, series.spanMs / 1000, 8).map((s) => ({
    x: x(s * 1000),
    label: textAt(`${s} s`, x(s * 1000), plotBottom + 19, 'middle'),
  }));
  const yTicks = ticks(0, yMax, 5).map((v) => ({
    y: y(v),
    label: textAt(String(v), plotLeft - 6, y(v) + 4, 'end'),
  }));
  const xTitle = textAt(
    `seconds since the demo started (buckets of ${formatMs(series.bucketMs)})`,
    (plotLeft + plotRight) / 2,
    plotBottom + 38,
    'middle',
  );
  const yTitleText = 'requests/s';
  const yTitleWidth = textWidth(yTitleText);
  const yTitle: TextBox = {
    text: yTitleText,
    anchor: 'middle',
    box: { x: 6, y: plotTop + PLOT_H / 2 - yTitleWidth / 2, width: BOX_H, height: yTitleWidth },
  };

  const legendX = plotRight + 16;
  const legend = lines.map((line, i) => {
    const top = plotTop + i * 40;
    return {
      release: line.release,
      swatchX: legendX,
      swatchY: top + 7,
      texts: [
        textAt(line.release, legendX + 30, top + 11, 'start'),
        textAt(
          `${line.total} request${line.total === 1 ? '' : 's'}`,
          legendX + 30,
          top + 27,
          'start',
        ),
      ],
    };
  });

  return {
    width,
    height: plotBottom + 50,
    plot,
    spanMs: series.spanMs,
    yMax,
    xTicks,
    yTicks,
    lines,
    markers: chartMarkers,
    legend,
    xTitle,
    yTitle,
  };
}

/** What the chart shows, in words, for those who cannot see it. */
export function trafficChartSummary(layout: ChartLayout): string {
  const lines = layout.lines.map(
    (l) =>
      `${l.release}: ${l.total} real-user requests, at most ${Math.round(Math.max(0, ...l.drawn.map((d) => d.rate)))} per second`,
  );
  const marks = layout.markers.map((m) => m.text);
  return [...lines, ...marks].join('; ');
}

export function trafficChartSvg(layout: ChartLayout): string {
  const { plot } = layout;
  const bottom = plot.y + plot.height;
  const parts: string[] = [];
  for (const t of layout.yTicks) {
    parts.push(
      `<line x1="${f(plot.x)}" y1="${f(t.y)}" x2="${f(plot.x + plot.width)}" y2="${f(t.y)}" stroke="#e5e7eb"/>`,
      textSvg(t.label, 'tick'),
    );
  }
  for (const t of layout.xTicks) {
    parts.push(
      `<line x1="${f(t.x)}" y1="${f(bottom)}" x2="${f(t.x)}" y2="${f(bottom + 5)}" stroke="#9ca3af"/>`,
      textSvg(t.label, 'tick'),
    );
  }
  parts.push(
    `<line x1="${f(plot.x)}" y1="${f(bottom)}" x2="${f(plot.x + plot.width)}" y2="${f(bottom)}" stroke="#6b7280"/>`,
    `<line x1="${f(plot.x)}" y1="${f(plot.y)}" x2="${f(plot.x)}" y2="${f(bottom)}" stroke="#6b7280"/>`,
    textSvg(layout.xTitle, 'axis'),
  );
  const yt = layout.yTitle.box;
  const cx = yt.x + yt.width / 2 + 4;
  const cy = yt.y + yt.height / 2;
  parts.push(
    `<text x="${f(cx)}" y="${f(cy)}" text-anchor="middle" class="axis" transform="rotate(-90 ${f(cx)} ${f(cy)})">${esc(layout.yTitle.text)}</text>`,
  );
  for (const line of layout.lines) {
    const points = line.points.map(([px, py]) => `${f(px)},${f(py)}`).join(' ');
    parts.push(
      `<polyline data-release="${esc(line.release)}" points="${points}" fill="none" stroke="${line.colour}" stroke-width="2.5"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''}/>`,
    );
  }
  for (const m of layout.markers) {
    parts.push(
      `<g data-marker="${m.kind}"><line x1="${f(m.x)}" y1="${f(m.box.y + m.box.height)}" x2="${f(m.x)}" y2="${f(bottom)}" stroke="${m.colour}" stroke-width="1.5"${m.dash ? ` stroke-dasharray="${m.dash}"` : ''}/>`,
      `${textSvg({ text: m.text, anchor: 'start', box: m.box }, 'mark')}</g>`,
    );
  }
  for (const entry of layout.legend) {
    const line = layout.lines.find((l) => l.release === entry.release);
    if (!line) continue;
    parts.push(
      `<line x1="${f(entry.swatchX)}" y1="${f(entry.swatchY)}" x2="${f(entry.swatchX + 24)}" y2="${f(entry.swatchY)}" stroke="${line.colour}" stroke-width="2.5"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''}/>`,
      ...entry.texts.map((t, i) => textSvg(t, i === 0 ? 'mark strong' : 'mark')),
    );
  }
  const summary = trafficChartSummary(layout);
  return `<svg viewBox="0 0 ${layout.width} ${f(layout.height)}" role="img" aria-label="${esc(`real-user requests per second by release: ${summary}`)}">${parts.join('')}</svg>`;
}
