// npm run bench: prints every figure the issues ask for. Figures, not assertions.
// BENCH_ONLY=throughput,markers,detection,memory,gate,demo,operator picks a subset;
// BENCH_GUARDS sets how many ReleaseGuards the operator bench carries (default 1000).
import { benchDemo } from './demo.ts';
import { benchDetection } from './detection.ts';
import { benchGate } from './gate.ts';
import { benchMarkers } from './markers.ts';
import { benchMemory } from './memory.ts';
import { benchOperator } from './operator.ts';
import { type Figure, print } from './support.ts';
import { benchThroughput } from './throughput.ts';

const suites: Record<string, () => Promise<Figure[]>> = {
  throughput: benchThroughput,
  markers: async () => (await benchMarkers()).map((f) => ({ ...f })),
  detection: () => benchDetection(),
  memory: benchMemory,
  gate: benchGate,
  operator: () => benchOperator(Number(process.env.BENCH_GUARDS ?? 1000)),
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
