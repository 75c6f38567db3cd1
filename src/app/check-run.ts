import type { ApprovalVerdict } from '../approval/verdict.ts';
import { GATE_LABEL, headline } from '../report/gate-facts.ts';
import { gateMarkdown } from '../report/gate-markdown.ts';
import { cell, codeCell } from '../report/markdown-cell.ts';
import { CHECK_NAME } from './events.ts';

/**
 * The check run that shows the gate's verdict on a pull request's head commit. Pure: the
 * caller posts it. Only an approval is a success. Denied and undecided are both failures,
 * never `neutral`: GitHub lets a neutral required check through, and a check that could
 * not decide must not.
 */

export type Outcome = ApprovalVerdict['outcome'];

export interface CheckRunBody {
  name: typeof CHECK_NAME;
  head_sha: string;
  external_id: string;
  status: 'completed';
  conclusion: 'success' | 'failure';
  completed_at: string;
  output: { title: string; summary: string };
}

/** What the check says: the outcome and the Markdown that explains it. */
export interface CheckReport {
  outcome: Outcome;
  title: string;
  summary: string;
}

/** GitHub refuses a summary longer than this many characters. */
export const MAX_SUMMARY = 65_535;
const MAX_TITLE = 200;

export function checkRunBody(input: {
  headSha: string;
  pullNumber: number;
  report: CheckReport;
  now: Date;
}): CheckRunBody {
  const { report } = input;
  return {
    name: CHECK_NAME,
    head_sha: input.headSha,
    external_id: `pull/${input.pullNumber}`,
    status: 'completed',
    conclusion: report.outcome === 'approved' ? 'success' : 'failure',
    completed_at: input.now.toISOString(),
    output: { title: clip(report.title, MAX_TITLE), summary: clip(report.summary, MAX_SUMMARY) },
  };
}

/** The gate's verdict, with the policy it was reached under. */
export function verdictReport(verdict: ApprovalVerdict, policySource: string): CheckReport {
  return {
    outcome: verdict.outcome,
    title: `${GATE_LABEL[verdict.outcome]}: ${headline(verdict)}`,
    summary: `${gateMarkdown(verdict)}\n${policyLine(policySource)}\n`,
  };
}

/** No verdict could be reached: the policy is missing or malformed, or GitHub failed first. */
export function refusalReport(
  outcome: 'denied' | 'undecided',
  reasons: readonly string[],
  policySource: string,
): CheckReport {
  const [first = 'no reason given', ...rest] = reasons;
  const label = GATE_LABEL[outcome];
  const icon = outcome === 'denied' ? '⛔' : '⚠️';
  const lines = [`## ${icon} vakt gate: ${label}`, '', cell(first), ''];
  if (rest.length > 0) lines.push(...rest.map((r) => `- ${cell(r)}`), '');
  lines.push(policyLine(policySource), '');
  return { outcome, title: `${label}: ${first}`, summary: lines.join('\n') };
}

function policyLine(source: string): string {
  return `Policy: \`${codeCell(source)}\`, read from the base branch, never from the pull request's own changes.`;
}

function clip(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars.slice(0, max - 1).join('')}…`;
}
