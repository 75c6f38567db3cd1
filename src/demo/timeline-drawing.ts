import { esc } from './escape.ts';
import { type Box, placeInLanes } from './lanes.ts';
import { FRAME, linear, type Scale, ticks } from './scale.ts';
import { BOX_H, f, type TextBox, textAt, textSvg } from './svg-text.ts';
import { formatMs } from './timeline.ts';
import type { TimelineEvent } from './types.ts';

/**
 * The timeline drawn at both scales: the whole run on one axis and, where events crowd
 * together (the first second holds most of the story), a zoomed panel for them. On each
 * axis a label hangs off a leader at the event's true time, in lanes that keep labels
 * apart (see lanes.ts). Every label starts with the event's number in the table below the
 * drawing, which says everything again in words. Layout first, as boxes, then SVG. Pure.
 */

export const KIND_COLOUR: Record<TimelineEvent['kind'], string> = {
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

const KIND_WORDS: Record<TimelineEvent['kind'], string> = {
  start: 'start',
  traffic: 'traffic',
  gate: 'gate',
  canary: 'canary',
  'leak-sent': 'leak written',
  leak: 'leak caught',
  withdraw: 'withdrawn',
  stop: 'stopped',
  exposure: 'exposure',
  pass: 'passes',
  promote: 'promoted',
  bake: 'bake',
  problem: 'problem',
  end: 'end',
};

export function eventColour(e: TimelineEvent): string {
  return e.ok === false ? KIND_COLOUR.problem : KIND_COLOUR[e.kind];
}

/** "6 v2 leak caught": the event's number, release and kind; a step that failed says so. */
export function shortLabel(e: TimelineEvent, index: number): string {
  let what = KIND_WORDS[e.kind];
  // The gate's two decisions differ only in their outcome, which the title carries.
  const outcome = e.kind === 'gate' ? /\bgate ([A-Z]+)/.exec(e.title)?.[1] : undefined;
  if (outcome) what += ` ${outcome.toLowerCase()}`;
  if (e.ok === false) what += ' FAILED';
  return [String(index + 1), e.release, what].filter(Boolean).join(' ');
}

export interface EventLabel {
  /** The event's index in the timeline (its number is index + 1). */
  index: number;
  atMs: number;
  text: string;
  /** The event's whole title, shown on hover. */
  title: string;
  colour: string;
  /** The leader's x: the event's true time on this panel's axis. */
  x: number;
  lane: number;
  box: Box;
}

export interface Panel {
  title: TextBox;
  fromMs: number;
  toMs: number;
  /** The panel's extent, for its background. */
  top: number;
  bottom: number;
  axisY: number;
  ticks: { x: number; label: TextBox }[];
  /** A dot on the axis for every event in the panel's range, labelled or not. */
  dots: { index: number; x: number; colour: string }[];
  labels: EventLabel[];
  /** On the whole-run axis: the stretch shown zoomed below, and its label. */
  zoomed?: { x1: number; x2: number; label: TextBox; anchor: number; lane: number };
}

export interface TimelineDrawing {
  width: number;
  height: number;
  panels: Panel[];
  /** The shaded band joining the zoomed stretch to its panel. */
  connector?: [number, number][];
}

const LANE_H = 18;
/** Events closer than this on the whole-run axis (px) count as crowded. */
const CROWDED_PX = 16;

/**
 * The longest run of events each within CROWDED_PX of the one before on the whole-run
 * axis, if it has at least three events spread over some time (a zoom cannot part a tie;
 * lanes do that). Indexes into `events`, first and last.
 */
export function crowdedRun(
  events: readonly TimelineEvent[],
  x: Scale,
): { first: number; last: number } | undefined {
  let best: { first: number; last: number } | undefined;
  let first = 0;
  for (let i = 1; i <= events.length; i++) {
    const prev = events[i - 1];
    const cur = events[i];
    const joined = prev && cur && x(cur.atMs) - x(prev.atMs) < CROWDED_PX;
    if (joined) continue;
    const last = i - 1;
    if (!best || last - first > best.last - best.first) best = { first, last };
    first = i;
  }
  if (!best || best.last - best.first < 2) return undefined;
  const span = (events[best.last]?.atMs ?? 0) - (events[best.first]?.atMs ?? 0);
  return span > 0 ? best : undefined;
}

interface PanelInput {
  top: number;
  title: string;
  fromMs: number;
  toMs: number;
  events: readonly TimelineEvent[];
  /** Indexes of the events this panel labels. */
  labelled: readonly number[];
  tickText: (ms: number) => string;
  zoom?: { fromMs: number; toMs: number; text: string };
}

function layoutPanel(p: PanelInput): Panel {
  const { plotLeft, plotRight, width } = FRAME;
  const x = linear(p.fromMs, p.toMs, plotLeft, plotRight);
  const requests = p.labelled.map((i) => {
    const e = p.events[i] as TimelineEvent;
    return { anchor: x(e.atMs), text: shortLabel(e, i) };
  });
  const zoomX = p.zoom && {
    x1: x(p.zoom.fromMs),
    x2: Math.max(x(p.zoom.toMs), x(p.zoom.fromMs) + 4),
  };
  if (p.zoom && zoomX) requests.push({ anchor: zoomX.x1, text: p.zoom.text });
  const placed = placeInLanes(requests, { left: plotLeft, right: width - 8 });
  const lanes = placed.reduce((n, l) => Math.max(n, l.lane + 1), 0);
  const title = textAt(p.title, 8, p.top + 14, 'start');
  const axisY = p.top + 24 + Math.max(1, lanes) * LANE_H + 6;
  const boxOf = (lane: number, left: number, w: number): Box => ({
    x: left,
    y: axisY - 10 - lane * LANE_H - BOX_H,
    width: w,
    height: BOX_H,
  });
  const labels = p.labelled.map((index, k): EventLabel => {
    const e = p.events[index] as TimelineEvent;
    const l = placed[k] ?? { anchor: 0, lane: 0, x: 0, width: 0, text: '' };
    return {
      index,
      atMs: e.atMs,
      text: l.text,
      title: e.title,
      colour: eventColour(e),
      x: l.anchor,
      lane: l.lane,
      box: boxOf(l.lane, l.x, l.width),
    };
  });
  const zoomPlaced = p.zoom ? placed[p.labelled.length] : undefined;
  const tickValues = ticks(p.fromMs, p.toMs, 8);
  const panel: Panel = {
    title,
    fromMs: p.fromMs,
    toMs: p.toMs,
    top: p.top,
    bottom: axisY + 26,
    axisY,
    ticks: tickValues.map((ms) => ({
      x: x(ms),
      label: textAt(p.tickText(ms), x(ms), axisY + 18, 'middle'),
    })),
    dots: p.events.flatMap((e, index) =>
      e.atMs >= p.fromMs && e.atMs <= p.toMs
        ? [{ index, x: x(e.atMs), colour: eventColour(e) }]
        : [],
    ),
    labels,
  };
  if (zoomX && zoomPlaced) {
    panel.zoomed = {
      ...zoomX,
      anchor: zoomPlaced.anchor,
      lane: zoomPlaced.lane,
      label: {
        text: zoomPlaced.text,
        anchor: 'start',
        box: boxOf(zoomPlaced.lane, zoomPlaced.x, zoomPlaced.width),
      },
    };
  }
  return panel;
}

const seconds = (ms: number) => `${Number((ms / 1000).toPrecision(6))} s`;

/** The timeline's events, in time order as the story keeps them, laid out at both scales. */
export function layoutTimeline(
  events: readonly TimelineEvent[],
  durationMs: number,
): TimelineDrawing {
  const spanMs = Math.max(durationMs, ...events.map((e) => e.atMs), 1);
  const overallX = linear(0, spanMs, FRAME.plotLeft, FRAME.plotRight);
  const crowd = crowdedRun(events, overallX);
  const all = events.map((_, i) => i);
  const inCrowd = (i: number) => crowd !== undefined && i >= crowd.first && i <= crowd.last;
  const firstMs = crowd ? (events[crowd.first]?.atMs ?? 0) : 0;
  const lastMs = crowd ? (events[crowd.last]?.atMs ?? 0) : 0;
  const pad = Math.max((lastMs - firstMs) * 0.06, 0.5);
  const zoom = crowd && {
    fromMs: Math.max(0, firstMs - pad),
    toMs: lastMs + pad,
    text: `${crowd.first + 1}–${crowd.last + 1}: zoomed below`,
  };
  const overview = layoutPanel({
    top: 0,
    title: `whole run, ${formatMs(spanMs)}`,
    fromMs: 0,
    toMs: spanMs,
    events,
    labelled: all.filter((i) => !inCrowd(i)),
    tickText: seconds,
    ...(zoom && { zoom }),
  });
  if (!zoom || !crowd) return { width: FRAME.width, height: overview.bottom, panels: [overview] };
  const top = overview.bottom + 24;
  const detail = layoutPanel({
    top,
    title: `zoom on ${formatMs(zoom.fromMs)} to ${formatMs(zoom.toMs)}: events ${crowd.first + 1} to ${crowd.last + 1}`,
    fromMs: zoom.fromMs,
    toMs: zoom.toMs,
    events,
    labelled: all.filter(inCrowd),
    tickText: (ms) => `${Number(ms.toPrecision(6)).toLocaleString('en-GB')} ms`,
  });
  const { x1, x2 } = overview.zoomed ?? { x1: 0, x2: 0 };
  const from = overview.axisY + 24;
  return {
    width: FRAME.width,
    height: detail.bottom,
    panels: [overview, detail],
    connector: [
      [x1, from],
      [x2, from],
      [FRAME.plotRight, top],
      [FRAME.plotLeft, top],
    ],
  };
}

function panelSvg(p: Panel): string {
  const { plotLeft, plotRight } = FRAME;
  const parts = [
    textSvg(p.title, 'axis'),
    `<line x1="${plotLeft}" y1="${f(p.axisY)}" x2="${plotRight}" y2="${f(p.axisY)}" stroke="#6b7280"/>`,
  ];
  for (const t of p.ticks) {
    parts.push(
      `<line x1="${f(t.x)}" y1="${f(p.axisY)}" x2="${f(t.x)}" y2="${f(p.axisY + 5)}" stroke="#6b7280"/>`,
      textSvg(t.label, 'tick'),
    );
  }
  if (p.zoomed) {
    const z = p.zoomed;
    parts.push(
      `<rect x="${f(z.x1)}" y="${f(p.axisY - 6)}" width="${f(z.x2 - z.x1)}" height="12" fill="#fde68a" stroke="#b45309"/>`,
      `<line x1="${f(z.anchor)}" y1="${f(z.label.box.y + BOX_H)}" x2="${f(z.anchor)}" y2="${f(p.axisY - 6)}" stroke="#b45309"/>`,
      textSvg(z.label, 'mark'),
    );
  }
  for (const d of p.dots) {
    parts.push(`<circle cx="${f(d.x)}" cy="${f(p.axisY)}" r="3" fill="${d.colour}"/>`);
  }
  for (const l of p.labels) {
    parts.push(
      `<g data-event="${l.index + 1}"><title>${esc(`${formatMs(l.atMs)}: ${l.title}`)}</title>`,
      `<line x1="${f(l.x)}" y1="${f(l.box.y + BOX_H)}" x2="${f(l.x)}" y2="${f(p.axisY)}" stroke="${l.colour}"/>`,
      `${textSvg({ text: l.text, anchor: 'start', box: l.box }, 'mark')}</g>`,
    );
  }
  return parts.join('');
}

export function timelineSvg(drawing: TimelineDrawing, description: string): string {
  const parts: string[] = [];
  const [overview, detail] = drawing.panels;
  if (detail && drawing.connector) {
    parts.push(
      `<polygon points="${drawing.connector.map(([x, y]) => `${f(x)},${f(y)}`).join(' ')}" fill="#fef3c7"/>`,
      `<rect x="4" y="${f(detail.top)}" width="${drawing.width - 8}" height="${f(detail.bottom - detail.top)}" fill="#fffbeb" stroke="#fcd34d"/>`,
    );
  }
  if (overview) parts.push(panelSvg(overview));
  if (detail) parts.push(panelSvg(detail));
  return `<svg viewBox="0 0 ${drawing.width} ${f(drawing.height)}" role="img" aria-label="${esc(description)}">${parts.join('')}</svg>`;
}
