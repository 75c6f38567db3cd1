import type { LeakEvidence, ProbeVerdict } from '../probe/types.ts';
import { formatCount, formatDuration, formatRate } from './numbers.ts';

/**
 * The sentences every probe report shares, so the terminal, the Markdown summary and the
 * job summary say the same thing in the same words.
 */

export const OUTCOME_LABEL = { pass: 'PASS', leak: 'LEAK', inconclusive: 'INCONCLUSIVE' } as const;

export function requestLine(leak: LeakEvidence): string {
  const r = leak.request;
  return `request #${r.number}: ${r.method} ${r.path} as ${r.tenant} (${r.pattern}, ${r.pool} pool), HTTP ${leak.status}, ${formatDuration(leak.elapsedMs)} after start`;
}

export function identityLine(leak: LeakEvidence): string | undefined {
  if (leak.expectedIdentity === undefined) return undefined;
  const who = leak.owner
    ? ` (${leak.owner})`
    : leak.kind === 'unknown-identity'
      ? ' (no test tenant)'
      : '';
  return `expected identity ${leak.expectedIdentity}, observed ${leak.observedIdentity}${who}`;
}

export function matchLine(leak: LeakEvidence): string | undefined {
  const m = leak.match;
  if (!m) return undefined;
  const what =
    m.kind === 'marker'
      ? `${m.owner}'s marker #${m.index}`
      : m.kind === 'identity'
        ? `${m.owner}'s identity`
        : `${m.owner}'s credential (value withheld)`;
  const byte = m.offset === undefined ? '' : `, ending at byte ${formatCount(m.offset)}`;
  const where = m.where === 'header' ? `header ${m.header}` : `body${byte}`;
  return `matched ${what} in the ${where}`;
}

/**
 * Where every request went, as a sum that adds up: each one sent is checked, failed,
 * cancelled, read only in part, a login that gave a session, or the leak. Terms that are
 * always there stay even at zero, so the sum reads the same run after run.
 */
export function countsLine(v: ProbeVerdict): string {
  const c = v.counters;
  const terms = [`${formatCount(c.checked)} checked`];
  if (c.loginsAccepted > 0) terms.push(`${formatCount(c.loginsAccepted)} logged in`);
  terms.push(`${formatCount(c.failed)} failed`, `${formatCount(c.cancelled)} cancelled`);
  if (c.unchecked > 0) terms.push(`${formatCount(c.unchecked)} read only in part`);
  if (v.leak) terms.push('1 leaking');
  const of = [
    c.logins > 0 ? `${formatCount(c.logins)} logins` : '',
    c.anonymous > 0 ? `${formatCount(c.anonymous)} with no credentials` : '',
  ].filter(Boolean);
  const aside = of.length > 0 ? ` (${of.join(', ')})` : '';
  return `${formatCount(c.sent)} sent = ${terms.join(' + ')}${aside}`;
}

/** A bound and percentiles of nothing say nothing: reports leave them out. */
export function anyChecked(v: ProbeVerdict): boolean {
  return v.counters.checked > 0;
}

/**
 * Each failure once with its count; when reports keep only the most frequent, one more
 * line counts the rest, so the lines add up to the failed count.
 */
export function failureLines(v: ProbeVerdict): string[] {
  const lines = v.failures.map((f) => `${f.reason} (x${formatCount(f.count)})`);
  const listed = v.failures.reduce((n, f) => n + f.count, 0);
  if (v.counters.failed > listed)
    lines.push(`other failures (x${formatCount(v.counters.failed - listed)})`);
  return lines;
}

/**
 * How the revert command ended, to follow "the revert command": "exited 7", "timed out
 * after 2m and was stopped with SIGTERM". Never its output, which may hold anything.
 */
export function onLeakStatus(onLeak: NonNullable<ProbeVerdict['onLeak']>): string {
  if (onLeak.error) return onLeak.error;
  if (onLeak.timedOut) {
    const how = onLeak.signal ? ` and was stopped with ${onLeak.signal}` : '';
    return `timed out after ${duration(onLeak.timeoutMs)}${how}`;
  }
  if (onLeak.signal) return `was killed by ${onLeak.signal}`;
  return `exited ${onLeak.exitCode}`;
}

/** 300000 as 5m, 2500 as 2.5s: the way --on-leak-timeout is written. */
export function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 || ms > 1000) return `${Math.round(ms / 100) / 10}s`;
  return `${ms}ms`;
}

/** Which protocol the target was spoken to in: a browser speaks h2 to an edge over TLS. */
export function protocolLine(v: ProbeVerdict): string | undefined {
  return v.protocols.length > 0 ? v.protocols.join(', ') : undefined;
}

export function boundLine(v: ProbeVerdict): string {
  if (v.leakRateBound === null) return 'not computed: a leak was found';
  return `leak rate below ${formatRate(v.leakRateBound, 'up')} at ${formatRate(v.confidence)} confidence (policy: at most ${formatRate(v.maxLeakRate)})`;
}

/** `p50 0.8 ms, p99 12 ms` */
export function latencyLine(v: ProbeVerdict): string {
  return `p50 ${formatDuration(v.latencyMs.p50)}, p99 ${formatDuration(v.latencyMs.p99)}`;
}

/** What the on-leak command did and how long it took. */
export function onLeakLine(run: NonNullable<ProbeVerdict['onLeak']>): string {
  return `${onLeakStatus(run)} after ${formatDuration(run.durationMs)}`;
}

export function patternsLine(v: ProbeVerdict): string {
  return Object.entries(v.counters.byPattern)
    .map(([name, c]) => `${name} ${formatCount(c?.sent ?? 0)}`)
    .join(', ');
}
