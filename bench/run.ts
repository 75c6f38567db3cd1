// npm run bench: prints every figure the issues ask for. Figures, not assertions.
// BENCH_ONLY=throughput,markers,decode,detection,detection-hogs,hostile,memory,gate,demo,
// demo-hogs,operator,startup,serve,app,provenance picks a subset;
// BENCH_GUARDS sets how many ReleaseGuards the operator bench carries (default 1000); the
// operator bench also times the repair of foreign -stable edits (bench/repair.ts).
import { benchApp } from './app.ts';
import { benchDecode } from './decode.ts';
import { benchDemo, benchDemoUnderLoad } from './demo.ts';
import { benchDetection } from './detection.ts';
import { benchGate } from './gate.ts';
import { withCpuHogs } from './hogs.ts';
import { benchHostile } from './hostile.ts';
import { benchMarkers } from './markers.ts';
import { benchMemory } from './memory.ts';
import { benchOperator } from './operator.ts';
import { benchProvenance } from './provenance.ts';
import { benchServe } from './serve.ts';
import { benchStartup } from './startup.ts';
import { type Figure, print } from './support.ts';
import { benchThroughput } from './throughput.ts';

const suites: Record<string, () => Promise<Figure[]>> = {
  throughput: benchThroughput,
  markers: async () => (await benchMarkers()).map((f) => ({ ...f })),
  decode: benchDecode,
  detection: () => benchDetection(),
  'detection-hogs': () => withCpuHogs(2, () => benchDetection(5, 'beside two CPU hogs')),
  hostile: () => benchHostile(),
  memory: benchMemory,
  gate: benchGate,
  operator: () => benchOperator(Number(process.env.BENCH_GUARDS ?? 1000)),
  // Prints its own per-flaw table.
  demo: async () => {
    await benchDemo();
    return [];
  },
  'demo-hogs': () => withCpuHogs(2, () => benchDemoUnderLoad(10)),
  startup: () => benchStartup(),
  serve: benchServe,
  app: benchApp,
  provenance: () => benchProvenance(),
};

const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
for (const [name, suite] of Object.entries(suites)) {
  if (only && !only.includes(name)) continue;
  process.stdout.write(`\n# ${name}\n`);
  print(await suite());
}
