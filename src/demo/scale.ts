/** Linear scales and round tick steps for the report's drawings. Pure. */

export type Scale = (value: number) => number;

/** Maps [d0, d1] onto [r0, r1]; a zero-width domain maps everything to r0. */
export function linear(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0;
  return (v) => (span === 0 ? r0 : r0 + ((v - d0) / span) * (r1 - r0));
}

/** The smallest 1, 2 or 5 times a power of ten that splits `span` into at most `most` steps. */
export function niceStep(span: number, most: number): number {
  if (!(span > 0)) return 1;
  const rough = span / Math.max(1, most);
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 5, 10]) if (m * power >= rough) return m * power;
  return 10 * power;
}

/** Multiples of a round step from lo to hi (both included when they fall on a step). */
export function ticks(lo: number, hi: number, most: number): number[] {
  const step = niceStep(hi - lo, most);
  const out: number[] = [];
  // Multiplying instead of adding keeps 0.1 + 0.2 out of the labels.
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) {
    out.push(Number((i * step).toPrecision(12)));
  }
  return out;
}

/** Up from `value` to the next tick of a round step, so a chart's top is a labelled tick. */
export function niceCeil(value: number, most: number): number {
  if (!(value > 0)) return 1;
  const step = niceStep(value, most);
  return Math.ceil(value / step - 1e-9) * step;
}

/**
 * The frame every drawing in the report shares, in viewBox px: the traffic chart and the
 * timeline put the same moment at the same x, and keep a column on the right for a legend
 * and for labels of the last moments.
 */
export const FRAME = { width: 880, plotLeft: 64, plotRight: 712 } as const;
