import { notEnough } from '../approval/evaluate.ts';
import type { ApprovalVerdict } from '../approval/verdict.ts';
import { revertFailed } from '../probe/on-leak.ts';
import type { ProbeVerdict } from '../probe/types.ts';
import { cell } from '../report/markdown-cell.ts';
import { formatCount } from '../report/numbers.ts';
import { anyChecked, boundLine, countsLine, onLeakStatus } from '../report/probe-facts.ts';

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
  /** Where it points: a path relative to the workspace, as GitHub links it, and a position. */
  file?: string;
  line?: number;
  col?: number;
}

/** GitHub shows at most 10 annotations of each level per step; more are dropped unseen. */
export const ANNOTATIONS_PER_LEVEL = 10;

/**
 * What cap() keeps of each level. A step with errors fails, and its failure is one more
 * error annotation, the one that says so: its place is kept free.
 */
const KEPT = {
  error: ANNOTATIONS_PER_LEVEL - 1,
  warning: ANNOTATIONS_PER_LEVEL,
  notice: ANNOTATIONS_PER_LEVEL,
};

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
      [
        'Approvals',
        `${formatCount(v.counted.length)} of ${formatCount(v.required.approvals)} required`,
      ],
      ['Counted', v.counted.map((c) => `@${c.login}`).join(', ') || 'nobody'],
    ];
    if (v.missing.length > 0) rows.push(['Missing', v.missing.join('; ')]);
    if (v.reasons.length > 0) rows.push(['Why', v.reasons.join('; ')]);
    rows.push(['GitHub requests', formatCount(v.requests)]);
    return rows;
  }
  const v = report.verdict;
  const rows: [string, string][] = [
    ['Verdict', v.outcome],
    ['Target', v.target],
    ['Requests', countsLine(v)],
  ];
  // A bound over no samples says nothing: left out (a leak says why there is none).
  if (v.leakRateBound === null || anyChecked(v)) rows.push(['Leak-rate bound', boundLine(v)]);
  if (v.leak) rows.push(['Leak', v.leak.summary]);
  if (v.onLeak) rows.push(['Revert command', onLeakStatus(v.onLeak)]);
  if (v.outcome !== 'leak') rows.push(['Why', v.reason]);
  return rows;
}

/** The verdict's annotations, after `first` (the policy file's warnings), capped. */
export function annotationsOf(report: Report, first: Annotation[] = []): Annotation[] {
  const out: Annotation[] = [...first];
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

/**
 * As many of each level as GitHub shows (see KEPT). When there are more, the last place
 * says how many were left out, so nobody takes the ones shown for all there are.
 */
export function cap(annotations: Annotation[]): Annotation[] {
  const total = { error: 0, warning: 0, notice: 0 };
  for (const a of annotations) total[a.level]++;
  const seen = { error: 0, warning: 0, notice: 0 };
  const out: Annotation[] = [];
  for (const a of annotations) {
    const n = ++seen[a.level];
    const limit = KEPT[a.level];
    if (total[a.level] <= limit || n < limit) out.push(a);
    else if (n === limit) {
      const left = formatCount(total[a.level] - n + 1);
      out.push({
        level: a.level,
        title: a.title,
        message: `${left} more ${a.level}s: see the job summary`,
      });
    }
  }
  return out;
}

/** The job summary: a table of the verdict, then the same Markdown report the CLI writes. */
export function summaryMarkdown(report: Report, markdown: string): string {
  const rows = summaryRows(report)
    .map(([k, v]) => `| ${k} | ${cell(v)} |`)
    .join('\n');
  const body = `| vakt ${report.command} | |\n| --- | --- |\n${rows}\n\n${markdown}`;
  return fitSummary(body);
}

/** A step's summary may be 1 MiB; past that GitHub rejects the whole upload. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024 - 1024;

/** The summary cut to what GitHub accepts, saying so when it was cut. */
export function fitSummary(text: string, limit = SUMMARY_LIMIT_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  const note = '\n\n_(summary truncated: see the report output for the whole verdict)_\n';
  const kept = bytes.subarray(0, limit - Buffer.byteLength(note)).toString('utf8');
  // A cut inside a multi-byte character decodes to U+FFFD: drop it.
  return `${kept.replace(/\uFFFD$/, '')}${note}`;
}
