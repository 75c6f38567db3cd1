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

export function countsLine(v: ProbeVerdict): string {
  const c = v.counters;
  const n = formatCount;
  const unchecked = c.unchecked > 0 ? `, ${n(c.unchecked)} read only in part (unchecked)` : '';
  return `${n(c.sent)} sent (${n(c.anonymous)} with no credentials), ${n(c.checked)} checked, ${n(c.cancelled)} cancelled mid-flight, ${n(c.failed)} failed${unchecked}, ${n(c.logins)} logins`;
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
  const status = run.error ?? (run.signal ? `killed by ${run.signal}` : `exit ${run.exitCode}`);
  return `${status} after ${formatDuration(run.durationMs)}`;
}

export function patternsLine(v: ProbeVerdict): string {
  return Object.entries(v.counters.byPattern)
    .map(([name, c]) => `${name} ${formatCount(c?.sent ?? 0)}`)
    .join(', ');
}
