/**
 * Labels set out in lanes so that none covers another and no leader line runs through a
 * label. Each label hangs off a vertical leader at its anchor (the moment it marks): the
 * text starts just right of the leader, and lanes stack away from the axis. Pure, so the
 * layouts built on it can be checked box by box.
 */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Label text size in px; labels are set in a monospace font so their width is known. */
export const LABEL_PX = 12;

/**
 * Width of a label in a monospace font: most advance 0.6 em per character; a little more
 * here keeps a box true for the widest of them.
 */
export function textWidth(text: string, px = LABEL_PX): number {
  return [...text].length * px * 0.62;
}

export interface LaneRequest {
  /** Where the leader stands (px). */
  anchor: number;
  text: string;
}

export interface Placed extends LaneRequest {
  /** 0 is next to the axis. */
  lane: number;
  /** Left edge and width of the text (px). */
  x: number;
  width: number;
}

export interface LaneBounds {
  /** Nothing may start left of this or end right of it (px). */
  left: number;
  right: number;
  /** Clear space kept between labels, and between a label and a leader (px). */
  gap?: number;
  /** Space between a leader and the start of its text (px). */
  indent?: number;
}

/**
 * Places labels in the fewest lanes it can, latest first: a label goes into the lane
 * nearest the axis where (a) it overlaps no label of that lane, (b) its own leader, which
 * runs through every lane nearer the axis, crosses no label there, and (c) no leader of a
 * label further out runs through it. Later labels start right of earlier leaders, so a tie
 * becomes a comb: one leader, its labels stepping down towards the axis in time order.
 */
export function placeInLanes(requests: readonly LaneRequest[], bounds: LaneBounds): Placed[] {
  const gap = bounds.gap ?? 6;
  const indent = bounds.indent ?? 3;
  const placed: Placed[] = [];
  const order = requests
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.anchor - a.r.anchor || b.i - a.i);
  const out: Placed[] = new Array(requests.length);
  for (const { r, i } of order) {
    const width = textWidth(r.text);
    const x = Math.max(bounds.left, Math.min(r.anchor + indent, bounds.right - width));
    const covers = (p: { x: number; width: number }, at: number) =>
      at > p.x - gap / 2 && at < p.x + p.width + gap / 2;
    const fits = (lane: number) =>
      placed.every((p) => {
        if (p.lane === lane) return x + width + gap <= p.x || p.x + p.width + gap <= x;
        if (p.lane < lane) return !covers(p, r.anchor);
        return !covers({ x, width }, p.anchor);
      });
    let lane = 0;
    const outermost = placed.reduce((m, p) => Math.max(m, p.lane), -1);
    while (lane <= outermost && !fits(lane)) lane++;
    // Past the outermost lane only (b) can fail, and only for a label pushed left by the
    // right edge over an earlier leader: it takes a fresh lane, its own lane clear.
    const label: Placed = { ...r, lane, x, width };
    placed.push(label);
    out[i] = label;
  }
  return out;
}

/** Whether two boxes share any area. */
export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
