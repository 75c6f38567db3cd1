// npm run bench: prints every figure the issues ask for. Figures, not assertions.
// BENCH_ONLY=throughput,markers,detection,memory,gate,demo picks a subset.
import { benchDemo } from './demo.ts';
import { benchDetection } from './detection.ts';
import { benchGate } from './gate.ts';
import { benchMarkers } from './markers.ts';
import { benchMemory } from './memory.ts';
import { type Figure, print } from './support.ts';
import { benchThroughput } from './throughput.ts';

const suites: Record<string, () => Promise<Figure[]>> = {
  throughput: benchThroughput,
  markers: async () => (await benchMarkers()).map((f) => ({ ...f })),
  detection: () => benchDetection(),
  memory: benchMemory,
  gate: benchGate,
  // Prints its own per-flaw table.
  demo: async () => {
    await benchDemo();
    return [];
  },
};

const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
for (const [name, suite] of Object.entries(suites)) {
  if (only && !only.includes(name)) continue;
  process.stdout.write(`\n# ${name}\n`);
  print(await suite());
}
