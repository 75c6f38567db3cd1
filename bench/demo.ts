// The demo's figures: for every flaw, 5 runs of the story up to the revert.
// Runs alone too: node bench/demo.ts [RUNS]
import { fileURLToPath } from 'node:url';
import { runStory } from '../src/demo/story.ts';
import { FLAW_NAMES } from '../src/shop/index.ts';

interface Row {
  flaw: string;
  reactionMedian: number;
  reactionMax: number;
  probeRequestsMedian: number;
  realToLeaking: number;
  missed: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Reaction: milliseconds from the leaking response passing the router (on its way from the
 * candidate to the probe) to the router withdrawing the candidate; target median < 100 ms.
 * Probe requests: requests the probe sent up to the one that found the leak. Real-user
 * requests to the leaking candidate: the router's count plus the candidate's own; must be 0.
 */
export async function benchDemo(runs = 5): Promise<void> {
  const rows: Row[] = [];
  for (const flaw of FLAW_NAMES) {
    const reactions: number[] = [];
    const requests: number[] = [];
    let realToLeaking = 0;
    let missed = 0;
    for (let i = 0; i < runs; i++) {
      const result = await runStory({ flaw, untilRevert: true, warmupMs: 100 });
      const v2 = result.canaries[0];
      if (v2) realToLeaking += v2.routed.real + v2.realUsersSeenByCandidate;
      if (!v2?.revert) {
        missed++;
        continue;
      }
      reactions.push(v2.revert.reactionMs);
      requests.push(v2.revert.probeRequests);
    }
    rows.push({
      flaw,
      reactionMedian: median(reactions),
      reactionMax: Math.max(...reactions),
      probeRequestsMedian: median(requests),
      realToLeaking,
      missed,
    });
  }
  const header = [
    'flaw',
    'reaction median ms',
    'reaction max ms',
    'probe requests (median)',
    'real-user requests to leaking candidate',
    'missed',
  ];
  const table = rows.map((r) => [
    r.flaw,
    r.reactionMedian.toFixed(2),
    r.reactionMax.toFixed(2),
    String(r.probeRequestsMedian),
    String(r.realToLeaking),
    String(r.missed),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...table.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    `${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}\n`;
  process.stdout.write(
    `demo: ${runs} runs per flaw, up to the revert (target: median reaction < 100 ms, real-user requests 0)\n`,
  );
  process.stdout.write(line(header));
  for (const row of table) process.stdout.write(line(row));
  const all = rows.map((r) => r.reactionMedian);
  process.stdout.write(
    `worst median reaction ${Math.max(...all).toFixed(2)} ms; real-user requests to a leaking candidate, all runs: ${rows.reduce((n, r) => n + r.realToLeaking, 0)}\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchDemo(Number(process.argv[2] ?? 5));
}
