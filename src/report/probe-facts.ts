import type { LeakEvidence, ProbeVerdict } from '../probe/types.ts';
import { fmtRate } from '../probe/verdict.ts';

/**
 * The sentences every probe report shares, so the terminal, the Markdown summary and the
 * job summary say the same thing in the same words.
 */

export const OUTCOME_LABEL = { pass: 'PASS', leak: 'LEAK', inconclusive: 'INCONCLUSIVE' } as const;

export function requestLine(leak: LeakEvidence): string {
  const r = leak.request;
  return `request #${r.number}: ${r.method} ${r.path} as ${r.tenant} (${r.pattern}, ${r.pool} pool), HTTP ${leak.status}, ${leak.elapsedMs} ms after start`;
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
  const where = m.where === 'header' ? `header ${m.header}` : `body, ending at byte ${m.offset}`;
  return `matched ${what} in the ${where}`;
}

export function countsLine(v: ProbeVerdict): string {
  const c = v.counters;
  const unchecked = c.unchecked > 0 ? `, ${c.unchecked} read only in part (unchecked)` : '';
  return `${c.sent} sent (${c.anonymous} with no credentials), ${c.checked} checked, ${c.cancelled} cancelled mid-flight, ${c.failed} failed${unchecked}, ${c.logins} logins`;
}

/** Which protocol the target was spoken to in: a browser speaks h2 to an edge over TLS. */
export function protocolLine(v: ProbeVerdict): string | undefined {
  return v.protocols.length > 0 ? v.protocols.join(', ') : undefined;
}

export function boundLine(v: ProbeVerdict): string {
  if (v.leakRateBound === null) return 'not computed: a leak was found';
  return `leak rate below ${fmtRate(v.leakRateBound)} at ${Math.round(v.confidence * 100)}% confidence (policy: at most ${fmtRate(v.maxLeakRate)})`;
}

export function patternsLine(v: ProbeVerdict): string {
  return Object.entries(v.counters.byPattern)
    .map(([name, c]) => `${name} ${c?.sent ?? 0}`)
    .join(', ');
}
