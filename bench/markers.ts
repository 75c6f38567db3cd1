/**
 * Throughput of the marker matcher on what the probe sees: 8 tenants × 10 markers against a
 * 1 MiB JSON body, fed in 64 KiB chunks the way response bodies arrive. The body without any
 * marker is the worst case (every byte scanned, nothing to stop for); the one with a marker
 * near the end shows that recording a hit costs nothing measurable.
 *
 * Run directly: `node bench/markers.ts`. MB/s means 10^6 bytes per second.
 */
import { fileURLToPath } from 'node:url';
import type { MarkerMatcher } from '../src/probe/markers.ts';
import { compileMarkers } from '../src/probe/markers.ts';
import { seededRandom } from '../test/support/random.ts';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
}

const BODY_BYTES = 1 << 20;
const CHUNK_BYTES = 64 << 10;
/** Per body; two bodies make the benchmark take about two seconds. */
const SCAN_MS = 1000;
const COMPILE_RUNS = 20;

export async function benchMarkers(): Promise<BenchFigure[]> {
  const patterns = tenantMarkers();
  const compileMs = medianCompileMs(patterns);
  const matcher = compileMarkers(patterns);

  const clean = jsonBody(null);
  const leaky = jsonBody(patterns[3 * 10] as string);
  // A benchmark that finds nothing where it should (or something where it should not) would
  // report a speed for the wrong work.
  if (matcher.scan(clean).length !== 0) throw new Error('clean body contains a marker');
  if (matcher.scan(leaky).length !== 1) throw new Error('leaky body should contain one marker');

  return [
    {
      name: `markers compile (${patterns.length} patterns)`,
      value: round(compileMs, 2),
      unit: 'ms',
    },
    {
      name: 'markers scan 1 MiB JSON, no marker',
      value: round(scanMBps(matcher, clean), 0),
      unit: 'MB/s',
    },
    {
      name: 'markers scan 1 MiB JSON, marker near end',
      value: round(scanMBps(matcher, leaky), 0),
      unit: 'MB/s',
    },
  ];
}

/** What markerPatterns() would build for 8 tenants: e-mails, addresses, order ids, phones. */
export function tenantMarkers(): string[] {
  const names = ['alice', 'bruno', 'chen', 'dagny', 'emil', 'fatima', 'gustav', 'hanna'];
  const streets = ['Testvägen', 'Kontrollgränd', 'Provgatan', 'Sandlådestigen'];
  return names.flatMap((name, t) => [
    `${name}.vakt-probe@probe.example`,
    `${name}+orders@probe.example`,
    `${streets[t % streets.length]} ${t + 2}`,
    `${streets[(t + 1) % streets.length]} ${t + 11}, 222 ${t + 10} Lund`,
    `ORD-2024-9${t}0001`,
    `ORD-2024-9${t}0002`,
    `ORD-2024-9${t}0003`,
    `+46 70 555 0${t} 42`,
    `cus_probe${t}X7kQ2mZp`,
    `Probekund ${name[0]?.toUpperCase()}${name.slice(1)} Testsson`,
  ]);
}

/**
 * An order listing like a shop API returns, for customers that are no tenants: similar
 * shapes and prefixes (ORD-2024-, Swedish street names, +46 numbers) so the automaton walks
 * partial matches as it would in production, not just the root state.
 */
export function jsonBody(marker: string | null): Uint8Array {
  const random = seededRandom(20240611);
  const first = ['Karin', 'Lars', 'Åsa', 'Jörgen', 'Maria', 'Erik', 'Sofia', 'Nils', 'Elin'];
  const last = ['Lindqvist', 'Öberg', 'Nilsson', 'Bergström', 'Ek', 'Holm', 'Sjöberg'];
  const streets = ['Storgatan', 'Kungsvägen', 'Drottninggatan', 'Ängsvägen', 'Testgränd'];
  const cities = ['Stockholm', 'Göteborg', 'Malmö', 'Uppsala', 'Lund', 'Umeå'];
  const products = ['Ullsockor, grå', 'Kaffekopp "Fika"', 'Linneduk 140×250', 'Träsked/ek'];
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const digits = (n: number) => String(Math.floor(random() * 10 ** n)).padStart(n, '0');

  const orders: string[] = [];
  let size = 0;
  while (size < BODY_BYTES - 4096) {
    const name = `${pick(first)} ${pick(last)}`;
    const order = {
      id: `ORD-2024-${digits(6)}`,
      customer: {
        id: `cus_${digits(8)}`,
        name,
        email: `${name.toLowerCase().replace(' ', '.')}@mail.example`,
        phone: `+46 70 ${digits(3)} ${digits(2)} ${digits(2)}`,
        address: `${pick(streets)} ${1 + Math.floor(random() * 90)}, ${digits(3)} ${digits(2)} ${pick(cities)}`,
      },
      items: Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
        sku: `SKU-${digits(5)}`,
        title: pick(products),
        qty: 1 + Math.floor(random() * 4),
        price: Math.round(random() * 50000) / 100,
      })),
      status: pick(['paid', 'packed', 'shipped', 'delivered']),
      createdAt: new Date(1_700_000_000_000 + Math.floor(random() * 3e10)).toISOString(),
    };
    const text = JSON.stringify(order);
    orders.push(text);
    size += Buffer.byteLength(text) + 1;
  }
  if (marker !== null) {
    orders.splice(orders.length - 2, 0, JSON.stringify({ id: 'ORD-leak', note: marker }));
  }
  const json = `{"orders":[${orders.join(',')}],"next":null}`;
  // Pad to exactly 1 MiB with insignificant whitespace, so every figure is for the same bytes.
  const bytes = new TextEncoder().encode(json);
  if (bytes.length > BODY_BYTES) throw new Error('body grew past 1 MiB');
  const body = new Uint8Array(BODY_BYTES).fill(0x20);
  body.set(bytes);
  return body;
}

function scanMBps(matcher: MarkerMatcher, body: Uint8Array): number {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < body.length; at += CHUNK_BYTES) {
    chunks.push(body.subarray(at, at + CHUNK_BYTES));
  }
  const scanOnce = () => {
    const scan = matcher.start();
    for (const chunk of chunks) scan.write(chunk);
    return scan.bytes;
  };
  for (let i = 0; i < 5; i++) scanOnce(); // let the JIT settle first

  let bytes = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < SCAN_MS) {
    bytes += scanOnce();
    elapsed = performance.now() - started;
  }
  return bytes / 1e6 / (elapsed / 1000);
}

function medianCompileMs(patterns: readonly string[]): number {
  const times: number[] = [];
  for (let i = 0; i < COMPILE_RUNS; i++) {
    const started = performance.now();
    compileMarkers(patterns);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

if (import.meta.main || process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { name, value, unit } of await benchMarkers())
    console.log(`${name}: ${value} ${unit}`);
}
