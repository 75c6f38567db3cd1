// Decoded-scan speed: what the probe does with a compressed 1 MiB body (decode as a stream,
// then the marker scan), against the scan alone of the same body uncompressed, in one run.
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { createDecoder } from '../src/probe/decode.ts';
import { compileMarkers, type MarkerMatcher } from '../src/probe/markers.ts';
import { jsonBody, tenantMarkers } from './markers.ts';
import type { Figure } from './support.ts';

const CHUNK = 16 * 1024;
const RUN_MS = 1000;

async function decodedScan(
  matcher: MarkerMatcher,
  encoded: Buffer,
  coding: 'gzip' | 'br' | null,
): Promise<number> {
  let bytes = 0;
  const started = performance.now();
  while (performance.now() - started < RUN_MS) {
    const scan = matcher.start();
    if (coding === null) {
      for (let i = 0; i < encoded.length; i += CHUNK) scan.write(encoded.subarray(i, i + CHUNK));
    } else {
      const decoder = createDecoder([coding], (chunk) => scan.write(chunk));
      for (let i = 0; i < encoded.length; i += CHUNK) decoder.write(encoded.subarray(i, i + CHUNK));
      await decoder.end();
    }
    if (scan.hits.length !== 0) throw new Error('the clean body matched a marker');
    bytes += scan.bytes;
  }
  return bytes / 1e6 / ((performance.now() - started) / 1000);
}

export async function benchDecode(): Promise<Figure[]> {
  const matcher = compileMarkers(tenantMarkers());
  const body = Buffer.from(jsonBody(null));
  const plain = await decodedScan(matcher, body, null);
  const figures: Figure[] = [
    { name: 'scan 1 MiB JSON, not compressed (reference)', value: plain, unit: 'MB/s' },
  ];
  for (const [coding, encoded] of [
    ['gzip', gzipSync(body)],
    ['br', brotliCompressSync(body)],
  ] as const) {
    const speed = await decodedScan(matcher, encoded, coding);
    figures.push({
      name: `decode + scan 1 MiB JSON, ${coding}`,
      value: speed,
      unit: 'MB/s decoded',
      note: `${(speed / plain).toFixed(2)}x the plain scan; ${encoded.length} bytes on the wire`,
    });
  }
  return figures;
}
