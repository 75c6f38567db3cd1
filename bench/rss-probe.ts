// Child process of the RSS benchmark: probes a shop serving 1 MiB bodies at concurrency 64
// and prints its own peak resident set size, so the shop's memory is not counted.
import { runProbe } from '../src/probe/run.ts';
import { sampleConfig } from '../test/support/shop-probe.ts';

const url = process.argv[2] ?? '';
const verdict = await runProbe(
  await sampleConfig(url, { requests: 3000, concurrency: 64, durationMs: 60_000 }),
);
const peakRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(
  `${JSON.stringify({ peakRssMb, sent: verdict.counters.sent, scannedMb: verdict.counters.bytesScanned / 2 ** 20, outcome: verdict.outcome })}\n`,
);
