// The demo's figures: for every flaw, 5 runs of the story up to the revert.
// Runs alone too: node bench/demo.ts [RUNS]
import { fileURLToPath } from 'node:url';
import { realExposed } from '../src/demo/exposure.ts';
import { runStory } from '../src/demo/story.ts';
import { FLAW_NAMES } from '../src/shop/index.ts';
import type { Figure } from './support.ts';

interface Row {
  flaw: string;
  reactionMedian: number;
  reactionMax: number;
  windowMedian: number;
  probeRequestsMedian: number;
  realToLeaking: number;
  /** Runs whose reaction had to be measured from the probe: the candidate kept no record. */
  fromProbe: number;
  missed: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Reaction: milliseconds from the candidate writing its first response with another
 * account's data (the shop's own record, taken as it writes) to the router withdrawing the
 * candidate; target median < 100 ms. Reachable: from the canary start (the router first
 * sending it traffic) to the withdrawal. Probe requests: requests the probe sent up to the
 * one that found the leak. Real-user requests to the leaking candidate: the most any witness
 * counted (router, candidate by credential presented, customers by who answered); must be 0.
 */
export async function benchDemo(runs = 5): Promise<void> {
  const rows: Row[] = [];
  for (const flaw of FLAW_NAMES) {
    const reactions: number[] = [];
    const windows: number[] = [];
    const requests: number[] = [];
    let realToLeaking = 0;
    let fromProbe = 0;
    let missed = 0;
    for (let i = 0; i < runs; i++) {
      const result = await runStory({ flaw, untilRevert: true, warmupMs: 100 });
      const v2 = result.canaries[0];
      if (v2) realToLeaking += Math.max(realExposed(v2), result.traffic.byRelease.v2 ?? 0);
      if (!v2?.revert) {
        missed++;
        continue;
      }
      reactions.push(v2.revert.reactionMs);
      windows.push(v2.revert.windowMs);
      requests.push(v2.revert.probeRequests);
      if (v2.revert.measuredFrom === 'probe') fromProbe++;
    }
    rows.push({
      flaw,
      reactionMedian: median(reactions),
      reactionMax: Math.max(...reactions),
      windowMedian: median(windows),
      probeRequestsMedian: median(requests),
      realToLeaking,
      fromProbe,
      missed,
    });
  }
  const header = [
    'flaw',
    'first leak to withdrawal, median ms',
    'max ms',
    'reachable, median ms',
    'probe requests (median)',
    'real-user requests to leaking candidate',
    'from probe',
    'missed',
  ];
  const table = rows.map((r) => [
    r.flaw,
    r.reactionMedian.toFixed(2),
    r.reactionMax.toFixed(2),
    r.windowMedian.toFixed(1),
    String(r.probeRequestsMedian),
    String(r.realToLeaking),
    String(r.fromProbe),
    String(r.missed),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...table.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    `${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}\n`;
  process.stdout.write(
    `demo: ${runs} runs per flaw, up to the revert (target: median from the candidate's first leaking response to withdrawal < 100 ms; real-user requests 0)\n`,
  );
  process.stdout.write(line(header));
  for (const row of table) process.stdout.write(line(row));
  const all = rows.map((r) => r.reactionMedian);
  process.stdout.write(
    `worst median, first leaking response to withdrawal: ${Math.max(...all).toFixed(2)} ms; real-user requests to a leaking candidate, all runs: ${rows.reduce((n, r) => n + r.realToLeaking, 0)}\n` +
      "'reachable': canary start to withdrawal; 'from probe': runs measured from the probe finding the leak, as the candidate kept no record of writing it\n",
  );
}

/**
 * Whether every flaw is caught every time on a busy machine: `runs` stories per flaw up to
 * the revert (the caller runs CPU hogs beside it); a story that ends without a revert of the
 * leaking v2 is a miss.
 */
export async function benchDemoUnderLoad(runs = 10): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const flaw of FLAW_NAMES) {
    let caught = 0;
    const requests: number[] = [];
    for (let i = 0; i < runs; i++) {
      const result = await runStory({ flaw, untilRevert: true, warmupMs: 100 });
      const revert = result.canaries[0]?.revert;
      if (!revert) continue;
      caught++;
      requests.push(revert.probeRequests);
    }
    figures.push({
      name: `demo ${flaw} caught beside two CPU hogs`,
      value: caught,
      unit: `of ${runs}`,
      note: `probe requests to detection, median ${median(requests)}, max ${Math.max(0, ...requests)}; target ${runs} of ${runs}`,
    });
  }
  return figures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchDemo(Number(process.argv[2] ?? 5));
}
