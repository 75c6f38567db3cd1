import { describe, expect, it } from 'vitest';
import { placeInLanes } from '../src/demo/lanes.ts';
import { FRAME, linear, niceCeil, ticks } from '../src/demo/scale.ts';
import { f } from '../src/demo/svg-text.ts';
import {
  crowdedRun,
  layoutTimeline,
  shortLabel,
  timelineSvg,
} from '../src/demo/timeline-drawing.ts';
import { layoutTrafficChart, trafficChartSvg } from '../src/demo/traffic-chart.ts';
import {
  bucketEdges,
  bucketWidth,
  ratePerSecond,
  trafficMarkers,
  trafficRows,
  trafficSeries,
} from '../src/demo/traffic-series.ts';
import type { TimelineEvent } from '../src/demo/types.ts';
import { demoResult, storyEvents } from './support/demo-result.ts';
import { clashes, crossedByLeaders, expectReadable, inside } from './support/drawing-checks.ts';
import { seededRandom } from './support/random.ts';

/**
 * The report's drawings are laid out as boxes and points before they become SVG, so these
 * tests read the layout: no label covers another, no leader runs through a label, every
 * event is drawn once at its own time, and the traffic chart adds up to the router's counts.
 */

describe('labels in lanes', () => {
  it('never overlap, stay in bounds, and keep leaders clear of other labels', () => {
    const random = seededRandom(14);
    const bounds = { left: 64, right: 872 };
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(random() * 14);
      // Clusters and exact ties are the point: anchors drawn from a few spots.
      const spots = Array.from({ length: 1 + Math.floor(random() * 4) }, () => 64 + random() * 648);
      const requests = Array.from({ length: n }, (_, i) => ({
        anchor:
          (spots[Math.floor(random() * spots.length)] ?? 64) + (random() < 0.5 ? 0 : random() * 30),
        text: `${i + 1} ${'x'.repeat(2 + Math.floor(random() * 16))}`,
      })).sort((a, b) => a.anchor - b.anchor);
      const placed = placeInLanes(requests, bounds);
      const boxes = placed.map((p) => ({
        name: p.text,
        box: { x: p.x, y: -p.lane * 18, width: p.width, height: 14 },
      }));
      expect(clashes(boxes), `round ${round}`).toEqual([]);
      for (const p of placed) {
        expect(p.x).toBeGreaterThanOrEqual(bounds.left);
        expect(p.x + p.width).toBeLessThanOrEqual(bounds.right);
      }
      // A label pushed left by the right edge may stand over an earlier leader; any other
      // label keeps every leader out of it.
      for (const p of placed) {
        if (p.x < p.anchor) continue;
        for (const q of placed) {
          if (q === p || q.lane <= p.lane) continue;
          expect(q.anchor > p.x && q.anchor < p.x + p.width, `${q.text} through ${p.text}`).toBe(
            false,
          );
        }
      }
    }
  });

  it('set a tie as a comb: one leader, the labels stepping down to the axis in time order', () => {
    const placed = placeInLanes(
      [
        { anchor: 300, text: '6 v2 leak caught' },
        { anchor: 300, text: '7 v2 withdrawn' },
      ],
      { left: 64, right: 872 },
    );
    expect(placed.map((p) => p.lane)).toEqual([1, 0]);
    expect(placed.every((p) => p.x > 300)).toBe(true);
  });
});

describe('the timeline drawing', () => {
  it('zooms in on the first half second, where ten events crowd, and overlaps nothing', () => {
    const events = storyEvents();
    const drawing = layoutTimeline(events, 4028.67);
    expect(drawing.panels).toHaveLength(2);
    const [overview, zoom] = drawing.panels;
    // Events 2 to 10 (349.86 to 410 ms) are 60 ms apart on a 4 s axis: zoomed below.
    expect(zoom?.labels.map((l) => l.index + 1)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(overview?.labels.map((l) => l.index + 1)).toEqual([1, 11, 12, 13, 14, 15]);
    expect(zoom?.fromMs).toBeLessThanOrEqual(349.86);
    expect(zoom?.toMs).toBeGreaterThanOrEqual(410);
    expect(overview?.zoomed?.label.text).toBe('2–10: zoomed below');
    expectReadable(drawing, events);
    for (const panel of drawing.panels) expect(crossedByLeaders(panel)).toEqual([]);
  });

  it('still overlaps nothing when every event happens at once, or in random bunches', () => {
    const tie = storyEvents().map((e) => ({ ...e, atMs: 100 }));
    const drawing = layoutTimeline(tie, 100);
    expect(drawing.panels).toHaveLength(1);
    expectReadable(drawing, tie);

    const random = seededRandom(5);
    for (let round = 0; round < 100; round++) {
      const span = 10 + random() * 60_000;
      const events = storyEvents()
        .slice(0, 3 + Math.floor(random() * 12))
        .map((e) => ({ ...e, atMs: Math.round(random() ** 3 * span * 100) / 100 }))
        .sort((a, b) => a.atMs - b.atMs);
      expectReadable(layoutTimeline(events, span), events);
    }
  });

  it('labels each event with its number, release and kind, and says when a step failed', () => {
    const [start, denied, approved] = storyEvents();
    expect(shortLabel(start as TimelineEvent, 0)).toBe('1 v1 start');
    expect(shortLabel(denied as TimelineEvent, 1)).toBe('2 v2 gate denied');
    expect(shortLabel(approved as TimelineEvent, 2)).toBe('3 v2 gate approved');
    expect(shortLabel({ atMs: 1, kind: 'withdraw', release: 'v2', title: 'x', ok: false }, 6)).toBe(
      '7 v2 withdrawn FAILED',
    );
  });

  it('finds no crowd to zoom on in a tie or a spread-out run', () => {
    const x = linear(0, 1000, FRAME.plotLeft, FRAME.plotRight);
    const at = (...ms: number[]) =>
      ms.map((atMs) => ({ atMs, kind: 'gate', title: '' }) as TimelineEvent);
    expect(crowdedRun(at(5, 5, 5, 5), x)).toBeUndefined();
    expect(crowdedRun(at(0, 300, 600, 900), x)).toBeUndefined();
    expect(crowdedRun(at(0, 500, 501, 502, 503, 900), x)).toEqual({ first: 1, last: 4 });
  });

  it('draws what the layout says, with every title escaped', () => {
    const events = storyEvents();
    const drawing = layoutTimeline(events, 4028.67);
    const svg = timelineSvg(drawing, 'timeline <of> "events"');
    expect(svg).toContain('aria-label="timeline &lt;of&gt; &quot;events&quot;"');
    for (const panel of drawing.panels) {
      for (const l of panel.labels) {
        const group = new RegExp(
          `<g data-event="${l.index + 1}"><title>[^<]*</title><line x1="${f(l.x)}" [^>]*y2="${f(panel.axisY)}"`,
        );
        expect(svg).toMatch(group);
      }
    }
    expect(svg.match(/<g data-event=/g)).toHaveLength(events.length);
    // The whole title on hover, escaped like every other text.
    expect(svg).toContain('<title>396 ms: leak &lt;script&gt;alert(1)&lt;/script&gt; | x</title>');
    expect(svg).not.toContain('<script>');
  });
});

describe('the traffic series', () => {
  it('adds up, bucket by bucket, to the router’s count for every release', async () => {
    const r = await demoResult();
    for (const most of [4, 10, 24, 100]) {
      const series = trafficSeries(r, most);
      expect(series.buckets.length).toBeLessThanOrEqual(most);
      for (const s of series.series) {
        const sum = series.buckets.reduce((n, b) => n + (b.counts[s.release] ?? 0), 0);
        expect(sum, `${s.release} in ${most} buckets`).toBe(r.realByRelease[s.release]);
        expect(s.total).toBe(r.realByRelease[s.release]);
      }
      // The buckets tile the time the customers sent requests: no gap, no overlap.
      expect(series.buckets[0]?.startMs).toBe(r.trafficWindowMs.fromMs);
      expect(series.buckets.at(-1)?.endMs).toBe(r.trafficWindowMs.toMs);
      series.buckets.forEach((b, i) => {
        if (i > 0) expect(b.startMs).toBe(series.buckets[i - 1]?.endMs);
      });
    }
  });

  it('gives each release a line from its start to its last request, and v2 one at zero', async () => {
    const r = await demoResult();
    const series = trafficSeries(r, 24);
    expect(series.bucketMs).toBe(200);
    const of = (release: string) => series.series.find((s) => s.release === release);
    const bucketAt = (ms: number) =>
      series.buckets.findIndex((b) => b.startMs <= ms && ms < b.endMs);
    // v1 from the start until the promotion (its last request at 1,996.5 ms).
    expect(of('v1')).toMatchObject({ total: 60, first: 0, last: bucketAt(1996.5) });
    // v2 ran from its canary start to its withdrawal with no real-user request at all.
    expect(of('v2')).toMatchObject({ total: 0, first: bucketAt(356.08), last: bucketAt(395.74) });
    expect(of('v3')).toMatchObject({ total: 40, first: bucketAt(410), last: bucketAt(3980) });
  });

  it('starts a bucket at a promotion, so neither release is drawn on the wrong side of it', () => {
    expect(bucketEdges(0, 4029, 500, [2023.92])).toEqual([
      0, 500, 1000, 1500, 2023.92, 2500, 3000, 3500,
    ]);
    // An edge far enough from the promotion stays; none is made outside the run.
    expect(bucketEdges(0, 1000, 200, [300, 5000])).toEqual([0, 200, 300, 400, 600, 800]);
    // Customers starting late: the first bucket runs from then to the next edge far enough on.
    expect(bucketEdges(120, 1000, 200, [])).toEqual([120, 400, 600, 800]);
  });

  it('folds a sliver at the end into the bucket before, so its rate is not noise', () => {
    const r = {
      realRoutedAtMs: { v1: [10, 1990, 2010] },
      trafficWindowMs: { fromMs: 0, toMs: 2010 },
      events: [],
      durationMs: 2020,
    };
    const series = trafficSeries(r, 4);
    expect(series.bucketMs).toBe(1000);
    expect(series.buckets.map((b) => [b.startMs, b.endMs])).toEqual([
      [0, 1000],
      [1000, 2010],
    ]);
    expect(ratePerSecond(series.buckets[1] as (typeof series.buckets)[0], 'v1')).toBeCloseTo(
      2 / 1.01,
      6,
    );
    expect(bucketWidth(4029, 24)).toBe(200);
    expect(bucketWidth(4029, 10)).toBe(500);
  });

  it('marks the leak caught, the withdrawal and the promotion at their recorded times', async () => {
    const r = await demoResult();
    const markers = trafficMarkers(r);
    expect(markers.map((m) => [m.kind, m.atMs])).toEqual([
      ['leak', 395.71],
      ['withdraw', r.canaries[0]?.revert?.withdrawnAtMs],
      ['promote', 2023.92],
    ]);
    expect(markers.map((m) => m.text)).toEqual([
      'leak caught in v2 at 396 ms',
      'v2 withdrawn 0.03 ms later',
      'v3 promoted at 2,024 ms',
    ]);
    const clean = await demoResult((d) => {
      d.canaries = d.canaries.slice(1);
    });
    expect(trafficMarkers(clean).map((m) => m.kind)).toEqual(['promote']);
  });

  it('gives a table row per bucket, a dash where a release was not running', async () => {
    const r = await demoResult();
    const series = trafficSeries(r, 10);
    const rows = trafficRows(series, trafficMarkers(r));
    expect(rows.map((row) => row.seconds)).toEqual([
      '0.02–0.5',
      '0.5–1',
      '1–1.5',
      '1.5–2.02',
      '2.02–2.5',
      '2.5–3',
      '3–3.5',
      '3.5–4.01',
    ]);
    expect(rows[0]?.counts).toEqual([15, 0, 0]);
    // 15 requests from the customers' start at 19.5 ms to 500 ms.
    expect(rows[0]?.rates.map((rate) => rate?.toFixed(2))).toEqual(['31.22', '0.00', '0.00']);
    expect(rows[1]?.counts).toEqual([15, null, 0]);
    expect(rows[0]?.marks).toEqual(['leak caught in v2 at 396 ms', 'v2 withdrawn 0.03 ms later']);
    expect(rows[3]?.marks).toEqual([]);
    expect(rows[4]?.marks).toEqual(['v3 promoted at 2,024 ms']);
    expect(rows.at(-1)?.counts).toEqual([null, null, 10]);
  });
});

describe('the traffic chart', () => {
  it('draws each release’s rate, adding up to its count, under markers at the recorded times', async () => {
    const r = await demoResult();
    const series = trafficSeries(r, 24);
    const markers = trafficMarkers(r);
    const chart = layoutTrafficChart(series, markers);
    const x = linear(0, series.spanMs, FRAME.plotLeft, FRAME.plotRight);
    const y = linear(0, chart.yMax, chart.plot.y + chart.plot.height, chart.plot.y);
    expect(chart.lines.map((l) => l.release)).toEqual(['v1', 'v2', 'v3']);
    for (const line of chart.lines) {
      // Read back off the drawn points: rate times bucket length, summed, is the count.
      let requests = 0;
      for (let i = 0; i < line.points.length; i += 2) {
        const [x0, y0] = line.points[i] ?? [0, 0];
        const [x1, y1] = line.points[i + 1] ?? [0, 0];
        expect(y1).toBe(y0);
        const seconds = ((x1 - x0) / (FRAME.plotRight - FRAME.plotLeft)) * (series.spanMs / 1000);
        const rate = ((chart.plot.y + chart.plot.height - y0) / chart.plot.height) * chart.yMax;
        requests += rate * seconds;
      }
      expect(requests, line.release).toBeCloseTo(r.realByRelease[line.release] ?? Number.NaN, 6);
      expect(line.drawn.reduce((n, d) => n + d.count, 0)).toBe(line.total);
    }
    // v2 had no real-user request: its line lies at zero from its canary start to its
    // withdrawal, no wider; v3's zero starts at its own canary start.
    const v2 = chart.lines.find((l) => l.release === 'v2');
    expect(v2?.points).toEqual([
      [x(356.08), y(0)],
      [x(395.74), y(0)],
    ]);
    expect(chart.lines.find((l) => l.release === 'v3')?.points[0]).toEqual([x(410), y(0)]);
    // At the promotion v1's line ends and v3's rises, both at the marker.
    const promotedAt = x(2023.92);
    expect(chart.lines.find((l) => l.release === 'v1')?.points.at(-1)?.[0]).toBe(promotedAt);
    const v3Rise = chart.lines.find((l) => l.release === 'v3')?.points.find(([, py]) => py < y(0));
    expect(v3Rise?.[0]).toBe(promotedAt);
    expect(chart.markers.map((m) => m.x)).toEqual(markers.map((m) => x(m.atMs)));
    expect(Math.max(...chart.lines.flatMap((l) => l.drawn.map((d) => d.rate)))).toBeLessThanOrEqual(
      chart.yMax,
    );
    expect(y(0)).toBe(chart.plot.y + chart.plot.height);

    const texts = [
      ...chart.markers.map((m) => ({ name: m.text, box: m.box })),
      ...chart.legend.flatMap((l) => l.texts.map((t) => ({ name: t.text, box: t.box }))),
      ...chart.xTicks.map((t) => ({ name: t.label.text, box: t.label.box })),
      ...chart.yTicks.map((t) => ({ name: t.label.text, box: t.label.box })),
      { name: chart.xTitle.text, box: chart.xTitle.box },
      { name: chart.yTitle.text, box: chart.yTitle.box },
    ];
    expect(clashes(texts)).toEqual([]);
    for (const t of texts) expect(inside(t.box, chart.width, chart.height), t.name).toBe(true);
    // Marker labels sit above the plot, clear of the lines.
    for (const m of chart.markers) expect(m.box.y + m.box.height).toBeLessThanOrEqual(chart.plot.y);
  });

  it('writes the layout out as SVG: a line per release, a marker line at each recorded time', async () => {
    const r = await demoResult();
    const chart = layoutTrafficChart(trafficSeries(r, 24), trafficMarkers(r));
    const svg = trafficChartSvg(chart);
    for (const line of chart.lines) {
      const points = line.points.map(([px, py]) => `${f(px)},${f(py)}`).join(' ');
      expect(svg).toContain(`<polyline data-release="${line.release}" points="${points}"`);
    }
    for (const m of chart.markers) {
      expect(svg).toContain(`<g data-marker="${m.kind}"><line x1="${f(m.x)}"`);
      expect(svg).toContain(`>${m.text}</text>`);
    }
    expect(svg).toMatch(
      /aria-label="real-user requests per second by release: v1: 60 real-user requests/,
    );
    expect(svg).toContain('requests/s');
    expect(svg).toContain('seconds since the demo started');
  });
});

describe('the scales', () => {
  it('step in ones, twos and fives', () => {
    expect(ticks(0, 4.029, 8)).toEqual([0, 1, 2, 3, 4]);
    expect(ticks(0, 2.5, 8)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(ticks(346.4, 413.6, 8)).toEqual([350, 360, 370, 380, 390, 400, 410]);
    expect(niceCeil(52.5, 5)).toBe(60);
    expect(linear(0, 0, 10, 20)(5)).toBe(10);
  });
});
