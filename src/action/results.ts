import { notEnough } from '../approval/evaluate.ts';
import type { ApprovalVerdict } from '../approval/verdict.ts';
import { revertFailed } from '../probe/on-leak.ts';
import type { ProbeVerdict } from '../probe/types.ts';
import { cell } from '../report/markdown-cell.ts';
import { anyChecked, countsLine, onLeakStatus } from '../report/probe-facts.ts';

/**
 * From a finished command's JSON report to what the workflow sees: step outputs, the
 * summary table and annotations. Pure, so each is tested without a runner.
 */

export type GateReport = ApprovalVerdict & { requests: number };

export type Report =
  | { command: 'gate'; verdict: GateReport }
  | { command: 'probe'; verdict: ProbeVerdict };

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  title: string;
  message: string;
}

/** GitHub shows at most 10 annotations of each level per step; more are dropped unseen. */
export const ANNOTATIONS_PER_LEVEL = 10;

export function outputsOf(report: Report, reportFile: string): Record<string, string> {
  if (report.command === 'gate') {
    const v = report.verdict;
    return {
      verdict: v.outcome,
      approvers: v.counted.map((c) => c.login).join(','),
      missing: v.missing.join('; '),
      leaks: '',
      requests: String(v.requests),
      'leak-rate-bound': '',
      report: reportFile,
    };
  }
  const v = report.verdict;
  return {
    verdict: v.outcome,
    approvers: '',
    missing: '',
    leaks: v.leak ? '1' : '0',
    requests: String(v.counters.sent),
    'leak-rate-bound': v.leakRateBound === null ? '' : String(v.leakRateBound),
    report: reportFile,
  };
}

/** Rows of the summary table: what a release manager looks for first. */
export function summaryRows(report: Report): [string, string][] {
  if (report.command === 'gate') {
    const v = report.verdict;
    const rows: [string, string][] = [
      ['Verdict', v.outcome],
      ['Pull request', v.evidence.pullRequest ? `#${v.evidence.pullRequest}` : 'none'],
      ['Approvals', `${v.counted.length} of ${v.required.approvals} required`],
      ['Counted', v.counted.map((c) => `@${c.login}`).join(', ') || 'nobody'],
    ];
    if (v.missing.length > 0) rows.push(['Missing', v.missing.join('; ')]);
    if (v.reasons.length > 0) rows.push(['Why', v.reasons.join('; ')]);
    rows.push(['GitHub requests', String(v.requests)]);
    return rows;
  }
  const v = report.verdict;
  const rows: [string, string][] = [
    ['Verdict', v.outcome],
    ['Target', v.target],
    ['Requests', countsLine(v)],
  ];
  if (v.leakRateBound === null) rows.push(['Leak-rate bound', 'none (a leak was found)']);
  else if (anyChecked(v)) {
    rows.push([
      'Leak-rate bound',
      `${v.leakRateBound.toExponential(2)} at ${v.confidence * 100}% (policy: ${v.maxLeakRate})`,
    ]);
  }
  if (v.leak) rows.push(['Leak', v.leak.summary]);
  if (v.onLeak) rows.push(['Revert command', onLeakStatus(v.onLeak)]);
  if (v.outcome !== 'leak') rows.push(['Why', v.reason]);
  return rows;
}

export function annotationsOf(report: Report): Annotation[] {
  const out: Annotation[] = [];
  if (report.command === 'gate') {
    const v = report.verdict;
    if (v.outcome === 'approved') {
      out.push({
        level: 'notice',
        title: 'vakt gate: approved',
        message: `approved by ${v.counted.map((c) => `@${c.login}`).join(', ')}`,
      });
    } else {
      // The reason that only sums up `missing` would repeat each of its lines.
      const summary = v.missing.length > 0 ? notEnough(v.missing) : undefined;
      for (const reason of v.reasons.filter((r) => r !== summary)) {
        out.push({ level: 'error', title: `vakt gate: ${v.outcome}`, message: reason });
      }
      for (const missing of v.missing) {
        out.push({ level: 'error', title: 'vakt gate: missing approval', message: missing });
      }
    }
    return cap(out);
  }
  const v = report.verdict;
  if (v.leak) {
    out.push({ level: 'error', title: 'vakt probe: cross-tenant leak', message: v.leak.summary });
    const revert = revertAnnotation(v.onLeak);
    if (revert) out.push(revert);
  } else if (v.outcome === 'inconclusive') {
    out.push({ level: 'error', title: 'vakt probe: inconclusive', message: v.reason });
  }
  for (const w of v.warnings) {
    out.push({ level: 'warning', title: `vakt probe: ${w.kind} on ${w.path}`, message: w.detail });
  }
  return cap(out);
}

/**
 * A revert that did not succeed leaves the leaking release serving: its own error. Only
 * how it ended (exit status, signal, timeout) is said, never the command or its output,
 * which may hold anything the command was given.
 */
export function revertAnnotation(onLeak: ProbeVerdict['onLeak']): Annotation | undefined {
  if (!onLeak || !revertFailed(onLeak)) return undefined;
  return {
    level: 'error',
    title: `vakt probe: revert command ${onLeak.timedOut ? 'timed out' : 'failed'}`,
    message: `the revert command ${onLeakStatus(onLeak)}: the leaking release may still be serving`,
  };
}

/** Why the step failed, in one line. */
export function failureSummary(report: Report): string {
  const verdict = `verdict ${outputsOf(report, '').verdict}`;
  if (report.command !== 'probe' || !report.verdict.onLeak) return verdict;
  if (!revertFailed(report.verdict.onLeak)) return verdict;
  return `${verdict}, and the revert command ${onLeakStatus(report.verdict.onLeak)}`;
}

function cap(annotations: Annotation[]): Annotation[] {
  const seen = { error: 0, warning: 0, notice: 0 };
  return annotations.filter((a) => ++seen[a.level] <= ANNOTATIONS_PER_LEVEL);
}

/** The job summary: a table of the verdict, then the same Markdown report the CLI writes. */
export function summaryMarkdown(report: Report, markdown: string): string {
  const rows = summaryRows(report)
    .map(([k, v]) => `| ${k} | ${cell(v)} |`)
    .join('\n');
  const body = `| vakt ${report.command} | |\n| --- | --- |\n${rows}\n\n${markdown}`;
  return truncateUtf8(body, SUMMARY_LIMIT_BYTES);
}

/** A step's summary may be 1 MiB; past that GitHub rejects the whole upload. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024 - 1024;

function truncateUtf8(text: string, limit: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  const note = '\n\n_(summary truncated: see the report output for the whole verdict)_\n';
  const kept = bytes.subarray(0, limit - Buffer.byteLength(note)).toString('utf8');
  // A cut inside a multi-byte character decodes to U+FFFD: drop it.
  return `${kept.replace(/\uFFFD$/, '')}${note}`;
}
