import { short } from '../approval/contributors.ts';
import type { ApprovalVerdict } from '../approval/verdict.ts';
import { formatCount } from './numbers.ts';

/**
 * The sentences every gate report shares, so the terminal, the Markdown summary and the
 * commit status say the same thing in the same words.
 */

export const GATE_LABEL = {
  approved: 'APPROVED',
  denied: 'DENIED',
  undecided: 'UNDECIDED',
} as const;

/** The one line that sums a verdict up: why it failed, or how many approvals it had. */
export function headline(v: ApprovalVerdict): string {
  const [first] = v.reasons;
  if (first !== undefined) return first;
  return `${formatCount(v.counted.length)}/${formatCount(v.required.approvals)} qualified approvals`;
}

export function pullRequestLine(v: ApprovalVerdict): string {
  const e = v.evidence;
  const deployed = e.deploySha ? `, deployed ${short(e.deploySha)}` : '';
  // A verdict reached before the pull request was read has no number: say so, not "#0".
  if (e.pullRequest === 0) return `${e.repository} (pull request not read)${deployed}`;
  const head = e.headSha ? `, head ${short(e.headSha)}` : '';
  const base = e.baseRef ? ` into ${e.baseRef}` : '';
  return `${e.repository}#${e.pullRequest}${base}${head}${deployed}`;
}

export function countedLine(c: ApprovalVerdict['counted'][number]): string {
  return `@${c.login} (review ${c.reviewId} on ${short(c.commitId)})`;
}

export function notCountedLine(n: ApprovalVerdict['notCounted'][number]): string {
  return `@${n.login}: ${n.reason}`;
}
