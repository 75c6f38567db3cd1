import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registeredMetrics } from './support/registered-metrics.ts';

/**
 * docs/operator.md's metrics table lists exactly what the operator registers, each with
 * its type and labels: a metric added, renamed or relabelled in code fails here until the
 * table says so.
 */

const DOC = readFileSync(resolve(import.meta.dirname, '../docs/operator.md'), 'utf8');
const HEADER = '| metric | type | labels | what it says |';

interface Row {
  name: string;
  type: string;
  labels: string[];
  meaning: string;
}

function metricsTable(): Row[] {
  const lines = DOC.split('\n');
  const start = lines.indexOf(HEADER);
  expect(start, `docs/operator.md has a table headed ${HEADER}`).toBeGreaterThan(0);
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    expect(cells, line).toHaveLength(4);
    const [name = '', type = '', labels = '', meaning = ''] = cells;
    rows.push({
      name: name.replace(/`/g, ''),
      type,
      labels: [...labels.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string),
      meaning,
    });
  }
  return rows;
}

describe('the metrics table in docs/operator.md', () => {
  const rows = metricsTable();
  const registered = registeredMetrics();

  it('names every registered metric once, and nothing else', () => {
    const names = rows.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(registered.map((m) => m.name).sort());
  });

  it("gives each one's type and labels as registered, and what it means", () => {
    for (const metric of registered) {
      const row = rows.find((r) => r.name === metric.name);
      expect(row?.type, metric.name).toBe(metric.type);
      expect([...(row?.labels ?? [])].sort(), metric.name).toEqual([...metric.labels].sort());
      expect(row?.meaning.length, metric.name).toBeGreaterThan(10);
    }
  });
});
