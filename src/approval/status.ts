import type { ApprovalVerdict } from './verdict.ts';

export interface CommitStatus {
  state: 'success' | 'failure' | 'error';
  description: string;
  context: 'vakt/two-person';
}

/** GitHub rejects a commit status whose description is longer than this. */
export const MAX_DESCRIPTION = 140;

/** The commit status that reports a verdict on the pull request's head commit. */
export function statusFor(verdict: ApprovalVerdict): CommitStatus {
  const context = 'vakt/two-person';
  if (verdict.outcome === 'approved') {
    const logins = verdict.counted.map((c) => `@${c.login}`).join(', ');
    const n = `${verdict.counted.length}/${verdict.required.approvals}`;
    return { state: 'success', context, description: clip(`${n} approvals: ${logins}`) };
  }
  if (verdict.outcome === 'denied') {
    const why = verdict.missing[0] ?? verdict.reasons[0] ?? 'denied';
    return { state: 'failure', context, description: clip(why) };
  }
  const reason = verdict.reasons[0] ?? 'unknown reason';
  return { state: 'error', context, description: clip(`could not decide: ${reason}`) };
}

function clip(text: string): string {
  const chars = [...text];
  // Count code points, not UTF-16 units, so a truncated emoji is never split in half.
  if (chars.length <= MAX_DESCRIPTION) return text;
  return `${chars.slice(0, MAX_DESCRIPTION - 1).join('')}…`;
}
