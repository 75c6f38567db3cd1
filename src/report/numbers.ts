/**
 * How every report, job summary and annotation writes a number for people, so that the
 * terminal, the Markdown report and the Action say "3,000 sent" and "0.0998%" alike:
 *
 * - counts: whole, with thousands separators: `3,000`
 * - rates (leak rates, error rates, confidence): percentages to three significant
 *   digits, trailing zeros dropped: `0.0998%`, `12.5%`, `95%`
 * - durations: with their unit: `0.8 ms` (one decimal under 10 ms), `850 ms`, `1.2 s`
 *
 * Machine-readable outputs (JSON reports, step outputs) keep the raw numbers.
 */

/** `3000` as `3,000`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  return `${sign}${group(Math.round(Math.abs(n)).toFixed(0))}`;
}

/**
 * A fraction as a percentage: `0.000998` as `0.0998%`. An upper bound is rounded up
 * (`'up'`): "below 0.0998%" must stay true of the bound it stands for.
 */
export function formatRate(rate: number, rounding: 'nearest' | 'up' = 'nearest'): string {
  const percent = rate * 100;
  if (percent <= 0 || !Number.isFinite(percent)) return `${formatCount(percent)}%`;
  let shown = Number(percent.toPrecision(SIGNIFICANT));
  // The tolerance keeps float noise (0.000998 * 100 = 0.09980000000000001) from rounding up.
  if (rounding === 'up' && shown < percent * (1 - 1e-9)) {
    shown = Number((shown + 10 ** (magnitude(shown) - SIGNIFICANT + 1)).toPrecision(SIGNIFICANT));
  }
  const decimals = Math.max(0, SIGNIFICANT - 1 - magnitude(shown));
  const [whole = '0', fraction = ''] = shown.toFixed(decimals).split('.');
  const digits = fraction.replace(/0+$/, '');
  return `${group(whole)}${digits ? `.${digits}` : ''}%`;
}

/** Milliseconds with a unit that reads at a glance: `0.8 ms`, `850 ms`, `1.2 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms} ms`;
  if (ms < 9.95) return `${ms.toFixed(1)} ms`;
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const [whole = '0', fraction = '0'] = (ms / 1000).toFixed(1).split('.');
  return `${group(whole)}.${fraction} s`;
}

const SIGNIFICANT = 3;

function magnitude(x: number): number {
  return Math.floor(Math.log10(Math.abs(x)));
}

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
