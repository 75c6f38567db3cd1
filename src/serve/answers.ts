import type { ApprovalVerdict } from '../approval/verdict.ts';
import type { ProbeVerdict } from '../probe/types.ts';
import { gateText } from '../report/gate-text.ts';
import { probeText } from '../report/probe-text.ts';

/**
 * What vakt serve answers a webhook. Flagger goes on for 200-202 and halts for anything
 * else, putting the body in its log and the canary's Events: so only a pass is a 200,
 * and the body is the verdict's headline, one line a person can act on.
 */
export interface Answer {
  status: number;
  body: string;
}

const GATE_STATUS = { approved: 200, denied: 403, undecided: 503 } as const;
const PROBE_STATUS = { pass: 200, leak: 422, inconclusive: 503 } as const;

export function gateAnswer(verdict: ApprovalVerdict): Answer {
  const lines = gateText(verdict).split('\n');
  // The headline alone says what is missing; a denial's first reason says why.
  const reason = verdict.outcome === 'approved' ? undefined : verdict.reasons[0];
  const body = reason && !lines[0]?.includes(reason) ? `${lines[0]}: ${reason}` : lines[0];
  return { status: GATE_STATUS[verdict.outcome], body: `${body}\n` };
}

export function probeAnswer(verdict: ProbeVerdict): Answer {
  const headline = probeText(verdict).split('\n')[0] ?? 'vakt probe: no verdict';
  return { status: PROBE_STATUS[verdict.outcome], body: `${headline}\n` };
}

/** Bad input and refusals: one line, never a 2xx. */
export function refusal(status: number, reason: string): Answer {
  if (status >= 200 && status < 300) throw new Error('a refusal is never a go');
  return { status, body: `vakt serve: ${reason}\n` };
}
