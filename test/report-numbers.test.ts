import { describe, expect, it } from 'vitest';
import { leakRateUpperBound } from '../src/probe/stats.ts';
import { formatCount, formatDuration, formatRate } from '../src/report/numbers.ts';

describe('formatCount', () => {
  it.each([
    [0, '0'],
    [7, '7'],
    [999, '999'],
    [1000, '1,000'],
    [3100, '3,100'],
    [1234567, '1,234,567'],
    [-2500, '-2,500'],
  ])('%d is %s', (n, text) => {
    expect(formatCount(n)).toBe(text);
  });
});

describe('formatRate', () => {
  it.each([
    [0, '0%'],
    [0.001, '0.1%'],
    [0.000998, '0.0998%'],
    [0.0323, '3.23%'],
    [0.01, '1%'],
    [0.125, '12.5%'],
    [0.95, '95%'],
    [0.999, '99.9%'],
    [1, '100%'],
    [1e-7, '0.00001%'],
  ])('%d is %s', (rate, text) => {
    expect(formatRate(rate)).toBe(text);
  });

  it('rounds an upper bound up, so "below" stays true', () => {
    expect(formatRate(0.00099809, 'up')).toBe('0.0999%');
    expect(formatRate(0.00099809)).toBe('0.0998%');
    // Float noise (0.000998 * 100 is 0.09980000000000001) is no reason to round up.
    expect(formatRate(0.000998, 'up')).toBe('0.0998%');
    expect(formatRate(0.0029906, 'up')).toBe('0.3%');
    for (const n of [300, 2995, 3000, 12345, 1_000_000]) {
      const bound = leakRateUpperBound(n, 0.95);
      expect(Number.parseFloat(formatRate(bound, 'up')) / 100).toBeGreaterThanOrEqual(bound);
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0.0 ms'],
    [0.83, '0.8 ms'],
    [9.94, '9.9 ms'],
    [9.96, '10 ms'],
    [850, '850 ms'],
    [999.4, '999 ms'],
    [999.6, '1.0 s'],
    [1234, '1.2 s'],
    [61_000, '61.0 s'],
    [1_234_567, '1,234.6 s'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
