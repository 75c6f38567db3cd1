// Child process of the RSS benchmark: probes a shop serving 1 MiB bodies at concurrency 64
// and prints its own peak resident set size, so the shop's memory is not counted.
// Usage: node rss-probe.(ts|mjs) URL [POLICY]
import { runProbe } from '../src/probe/run.ts';
import { sampleConfig } from '../test/support/shop-probe.ts';

const [url = '', policy] = process.argv.slice(2);
const config = await sampleConfig(
  url,
  { requests: 3000, concurrency: 64, durationMs: 60_000 },
  policy,
);
const verdict = await runProbe(config);
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const scannedMb = verdict.counters.bytesScanned / 2 ** 20;
process.stdout.write(
  `${JSON.stringify({ peakRssMb, sent: verdict.counters.sent, scannedMb, outcome: verdict.outcome })}\n`,
);
