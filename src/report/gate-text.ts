import type { ApprovalVerdict } from '../approval/verdict.ts';
import {
  countedLine,
  GATE_LABEL,
  headline,
  notCountedLine,
  pullRequestLine,
} from './gate-facts.ts';

/** The terminal summary of a gate decision. Colour only when asked (a TTY without NO_COLOR). */
export function gateText(v: ApprovalVerdict, colour = false): string {
  const paint = (code: number, s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const code = v.outcome === 'approved' ? 32 : v.outcome === 'denied' ? 31 : 33;
  const lines = [`vakt gate: ${paint(code, GATE_LABEL[v.outcome])}  ${headline(v)}`];
  const row = (name: string, value: string) => lines.push(`  ${name.padEnd(13)} ${value}`);
  row('pull request', pullRequestLine(v));
  for (const c of v.counted) row('counted', countedLine(c));
  for (const n of v.notCounted) row('not counted', notCountedLine(n));
  for (const m of v.missing) row('missing', m);
  for (const r of v.reasons) row('reason', r);
  return `${lines.join('\n')}\n`;
}
