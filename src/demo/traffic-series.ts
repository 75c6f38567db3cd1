import { formatMs } from './timeline.ts';
import type { DemoResult } from './types.ts';

/**
 * Real-user requests per second by release, counted in time buckets from the router's
 * record of when it sent each request where, and the moments the reports mark on it.
 * Pure: the chart in the HTML report and the table in the Markdown one both come from here.
 */

export interface Bucket {
  /** Milliseconds since the demo started; the buckets cover the time customers sent requests. */
  startMs: number;
  endMs: number;
  /** Real-user requests the router sent to each release in [startMs, endMs). */
  counts: Record<string, number>;
}

export interface SeriesInfo {
  release: string;
  /** Requests in all buckets: the router's count for the release. */
  total: number;
  /**
   * The first and last bucket its line covers, from when it started (or first got a
   * request) to its last request (or its withdrawal, or the end); none if it never ran.
   */
  first?: number;
  last?: number;
  /** That stretch itself, in milliseconds since the demo started. */
  fromMs?: number;
  toMs?: number;
}

export interface TrafficSeries {
  spanMs: number;
  bucketMs: number;
  buckets: Bucket[];
  series: SeriesInfo[];
}

/** Requests per second in a bucket. */
export function ratePerSecond(bucket: Bucket, release: string): number {
  const seconds = (bucket.endMs - bucket.startMs) / 1000;
  return seconds > 0 ? (bucket.counts[release] ?? 0) / seconds : 0;
}

const BUCKET_MS = [10, 20, 50, 100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000];

/** The narrowest round bucket that cuts the span into at most `most` buckets. */
export function bucketWidth(spanMs: number, most: number): number {
  for (const ms of BUCKET_MS) if (spanMs / ms <= most) return ms;
  return Math.ceil(spanMs / most / 60_000) * 60_000;
}

/**
 * The stretch a release's line covers: from its start (or canary) event or its first
 * request, whichever came first, to its last request, or to its withdrawal or the end of
 * the traffic if it never had one. A line that stopped before a request would hide it.
 */
function lineSpan(
  r: Pick<DemoResult, 'events'>,
  release: string,
  sent: readonly number[],
  window: { fromMs: number; toMs: number },
): { from: number; to: number } | undefined {
  const of = (kind: string) => r.events.find((e) => e.release === release && e.kind === kind);
  const started = (of('start') ?? of('canary'))?.atMs;
  const withdrawn = of('withdraw')?.atMs;
  const first = sent[0];
  const last = sent.at(-1);
  const from = Math.min(started ?? Infinity, first ?? Infinity);
  if (!Number.isFinite(from)) return undefined;
  const to =
    last === undefined ? (withdrawn ?? window.toMs) : Math.max(last, withdrawn ?? -Infinity);
  const clamp = (ms: number) => Math.max(window.fromMs, Math.min(window.toMs, ms));
  return { from: clamp(from), to: clamp(to) };
}

/**
 * Where buckets start, from when the customers started sending (`fromMs`) to when they
 * stopped: every `bucketMs` from 0, so bucket edges meet the axis ticks, except that a
 * promotion, where real traffic moves from one release to the next, starts a bucket of its
 * own, so that neither line is drawn on the wrong side of it. An edge too close to the start,
 * the end or a promotion would make a noisy rate out of a handful of requests: it is dropped
 * and the bucket beside it grows (to at most 1.5 times the width).
 */
export function bucketEdges(
  fromMs: number,
  toMs: number,
  bucketMs: number,
  splitsMs: readonly number[],
): number[] {
  const splits = splitsMs.filter((at) => at > fromMs && at < toMs);
  const fixed = [fromMs, toMs, ...splits];
  const grid: number[] = [];
  for (let i = Math.ceil(fromMs / bucketMs); i * bucketMs < toMs; i++) {
    const at = i * bucketMs;
    if (fixed.every((p) => Math.abs(p - at) >= bucketMs / 2)) grid.push(at);
  }
  return [...new Set([fromMs, ...grid, ...splits])].sort((a, b) => a - b);
}

export function trafficSeries(
  r: Pick<DemoResult, 'realRoutedAtMs' | 'trafficWindowMs' | 'events' | 'durationMs'>,
  mostBuckets: number,
): TrafficSeries {
  const times = Object.values(r.realRoutedAtMs).flat();
  const spanMs = Math.max(r.durationMs, ...times, 1);
  // Every request falls inside the window by construction; the guard keeps a bad record
  // from dropping one out of the count.
  const fromMs = Math.max(0, Math.min(r.trafficWindowMs.fromMs, ...times));
  const toMs = Math.max(r.trafficWindowMs.toMs, ...times, fromMs + 1);
  const bucketMs = bucketWidth(toMs - fromMs, mostBuckets);
  const edges = bucketEdges(
    fromMs,
    toMs,
    bucketMs,
    r.events.filter((e) => e.kind === 'promote').map((e) => e.atMs),
  );
  const releases = Object.keys(r.realRoutedAtMs).sort();
  const buckets: Bucket[] = edges.map((startMs, i) => ({
    startMs,
    endMs: edges[i + 1] ?? toMs,
    counts: Object.fromEntries(releases.map((release) => [release, 0])),
  }));
  const bucketOf = (ms: number) => {
    const i = edges.findLastIndex((edge) => edge <= ms);
    return Math.max(0, i);
  };
  for (const release of releases) {
    for (const at of r.realRoutedAtMs[release] ?? []) {
      const bucket = buckets[bucketOf(at)];
      if (bucket) bucket.counts[release] = (bucket.counts[release] ?? 0) + 1;
    }
  }
  const series = releases.map((release): SeriesInfo => {
    const sent = r.realRoutedAtMs[release] ?? [];
    const span = lineSpan(r, release, sent, { fromMs, toMs });
    const info: SeriesInfo = { release, total: sent.length };
    if (span) {
      info.first = bucketOf(span.from);
      info.last = bucketOf(span.to);
      info.fromMs = span.from;
      info.toMs = span.to;
    }
    return info;
  });
  return { spanMs, bucketMs, buckets, series };
}

export interface Marker {
  kind: 'leak' | 'withdraw' | 'promote';
  release: string;
  atMs: number;
  /** A short label, with its time. */
  text: string;
}

/**
 * The moments the traffic is read against: the probe catching the leak, the router
 * withdrawing the leaking release, and a release promoted to serve real users.
 */
export function trafficMarkers(r: Pick<DemoResult, 'events' | 'canaries'>): Marker[] {
  const markers: Marker[] = [];
  for (const canary of r.canaries) {
    const revert = canary.revert;
    if (!revert) continue;
    const caught = r.events.find((e) => e.kind === 'leak' && e.release === canary.release);
    if (caught) {
      markers.push({
        kind: 'leak',
        release: canary.release,
        atMs: caught.atMs,
        text: `leak caught in ${canary.release} at ${formatMs(caught.atMs)}`,
      });
    }
    markers.push({
      kind: 'withdraw',
      release: canary.release,
      atMs: revert.withdrawnAtMs,
      // The two moments are a fraction of a millisecond apart: the gap, measured, says more
      // than a second time that reads the same.
      text: caught
        ? `${canary.release} withdrawn ${formatMs(revert.detectToWithdrawMs)} later`
        : `${canary.release} withdrawn at ${formatMs(revert.withdrawnAtMs)}`,
    });
  }
  for (const e of r.events) {
    if (e.kind !== 'promote' || !e.release) continue;
    markers.push({
      kind: 'promote',
      release: e.release,
      atMs: e.atMs,
      text: `${e.release} promoted at ${formatMs(e.atMs)}`,
    });
  }
  return markers.sort((a, b) => a.atMs - b.atMs);
}

/** One bucket as a row of figures: requests per second by release, and what happened in it. */
export interface TrafficRow {
  /** Seconds since the demo started, to two places, e.g. "0.5–1". */
  seconds: string;
  /** Requests per second by release, in series order; null where the release was not running. */
  rates: (number | null)[];
  counts: (number | null)[];
  marks: string[];
}

const secondsOf = (ms: number) => String(Number((ms / 1000).toFixed(2)));

export function trafficRows(series: TrafficSeries, markers: readonly Marker[]): TrafficRow[] {
  return series.buckets.map((bucket, i) => {
    const running = (s: SeriesInfo) =>
      s.first !== undefined && s.last !== undefined && i >= s.first && i <= s.last;
    const last = i === series.buckets.length - 1;
    return {
      seconds: `${secondsOf(bucket.startMs)}–${secondsOf(bucket.endMs)}`,
      rates: series.series.map((s) => (running(s) ? ratePerSecond(bucket, s.release) : null)),
      counts: series.series.map((s) => (running(s) ? (bucket.counts[s.release] ?? 0) : null)),
      marks: markers
        .filter((m) => m.atMs >= bucket.startMs && (m.atMs < bucket.endMs || last))
        .map((m) => m.text),
    };
  });
}
