import { expect } from 'vitest';
import { type Box, overlaps } from '../../src/demo/lanes.ts';
import { FRAME, linear } from '../../src/demo/scale.ts';
import type { Panel, TimelineDrawing } from '../../src/demo/timeline-drawing.ts';
import type { TimelineEvent } from '../../src/demo/types.ts';

/** Checks on the report's drawings, read from their layouts (boxes and points). */

/** Pairs of boxes that share area, by name. */
export function clashes(named: { name: string; box: Box }[]): string[] {
  const out: string[] = [];
  named.forEach((a, i) => {
    for (const b of named.slice(i + 1))
      if (overlaps(a.box, b.box)) out.push(`${a.name} / ${b.name}`);
  });
  return out;
}

export function inside(box: Box, width: number, height: number): boolean {
  return box.x >= 0 && box.y >= 0 && box.x + box.width <= width && box.y + box.height <= height;
}

/** Labels whose leader (a vertical line from the axis up to the label) passes through another label. */
export function crossedByLeaders(panel: Panel): string[] {
  const out: string[] = [];
  const all = [
    ...panel.labels,
    ...(panel.zoomed ? [{ x: panel.zoomed.anchor, ...panel.zoomed.label }] : []),
  ];
  for (const l of all) {
    for (const other of all) {
      if (other === l) continue;
      const b = other.box;
      const spans = b.y < panel.axisY && b.y + b.height > l.box.y + l.box.height;
      if (spans && l.x > b.x && l.x < b.x + b.width) out.push(`${l.text} through ${other.text}`);
    }
  }
  return out;
}

export function panelBoxes(panel: Panel) {
  return [
    { name: `title ${panel.title.text}`, box: panel.title.box },
    ...panel.labels.map((l) => ({ name: l.text, box: l.box })),
    ...(panel.zoomed ? [{ name: panel.zoomed.label.text, box: panel.zoomed.label.box }] : []),
  ];
}

export function expectReadable(drawing: TimelineDrawing, events: readonly TimelineEvent[]) {
  const labelled = drawing.panels
    .flatMap((p) => p.labels.map((l) => l.index))
    .sort((a, b) => a - b);
  expect(labelled, 'every event labelled exactly once').toEqual(events.map((_, i) => i));
  drawing.panels.forEach((panel, i) => {
    expect(clashes(panelBoxes(panel)), `panel ${i}`).toEqual([]);
    for (const { name, box } of panelBoxes(panel))
      expect(inside(box, drawing.width, drawing.height), name).toBe(true);
    for (const t of panel.ticks)
      expect(inside(t.label.box, drawing.width, drawing.height)).toBe(true);
    expect(clashes(panel.ticks.map((t) => ({ name: t.label.text, box: t.label.box })))).toEqual([]);
    // Labels sit above the axis, ticks below it, the next panel below those.
    for (const l of panel.labels) expect(l.box.y + l.box.height).toBeLessThan(panel.axisY);
    const next = drawing.panels[i + 1];
    if (next) expect(panel.bottom).toBeLessThanOrEqual(next.top);
    // Each leader stands at the event's own time on this panel's axis.
    const x = linear(panel.fromMs, panel.toMs, FRAME.plotLeft, FRAME.plotRight);
    for (const l of panel.labels) {
      expect(l.x).toBeCloseTo(x(events[l.index]?.atMs ?? Number.NaN), 6);
      expect(l.atMs).toBe(events[l.index]?.atMs);
    }
  });
}
