import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { PolicyFindings } from '../cli/command.ts';
import { formatProblem, type PolicyProblem } from '../policy/load.ts';
import { cell, codeCell } from '../report/markdown-cell.ts';
import { formatCount } from '../report/numbers.ts';
import { INPUT_FLAGS } from './plan.ts';
import { type Annotation, fitSummary } from './results.ts';

/**
 * What the workflow sees when the step's input was wrong (an input, the event, the policy
 * file): one annotation per policy problem on its file, line and column, and a job
 * summary saying what was wrong and what was expected. Pure, like results.ts.
 */

export interface BadInput {
  /** The command the step was to run; undefined when the command input itself was wrong. */
  command: 'gate' | 'probe' | undefined;
  /** What was wrong, a line each: an input, a flag, the event payload. */
  messages: string[];
  /** The policy file's problems, with their positions. */
  problems: readonly PolicyProblem[];
}

/**
 * A problem's file as GitHub links annotations: relative to the workspace, with forward
 * slashes. A file outside the workspace cannot be linked: undefined.
 */
export function workspaceFile(file: string, workspace: string): string | undefined {
  const path = relative(workspace, resolve(workspace, file));
  if (!path || path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path)) return undefined;
  return path.split(sep).join('/');
}

/** One annotation per problem and per warning of the policy file, each at its position. */
export function policyAnnotations(
  command: 'gate' | 'probe',
  found: PolicyFindings,
  workspace: string,
): Annotation[] {
  const one = (level: 'error' | 'warning', p: PolicyProblem): Annotation => {
    const title = `vakt ${command}: policy ${level === 'error' ? 'problem' : 'warning'}`;
    const message = `${p.path ? `${p.path}: ` : ''}${p.message.replace(/^warning: /, '')}`;
    const file = workspaceFile(p.file, workspace);
    // GitHub could not show that file: the message keeps the position instead.
    if (!file) return { level, title, message: `${p.file}:${p.line}:${p.col} ${message}` };
    return { level, title, message, file, line: p.line, col: p.col };
  };
  return [
    ...found.errors.map((p) => one('error', p)),
    ...found.warnings.map((p) => one('warning', p)),
  ];
}

/** The job summary of a step that decided nothing because its input was wrong. */
export function badInputMarkdown(bad: BadInput, workspace: string): string {
  const name = bad.command ? `vakt ${bad.command}` : 'vakt';
  const out = [
    `| ${name} | |`,
    '| --- | --- |',
    '| Verdict | invalid |',
    '| Why | bad input: nothing was decided (exit 2) |',
  ];
  if (bad.problems.length > 0) {
    out.push(`| Policy problems | ${formatCount(bad.problems.length)} |`);
  }
  out.push('', `## ⛔ ${name}: INVALID INPUT`, '');
  if (bad.messages.length > 0) out.push(...bad.messages.map((m) => `- ${cell(m)}`), '');
  const sources = bad.command ? inputsNamed(bad.command, bad.messages) : [];
  if (sources.length > 0) out.push(sources.join(' '), '');
  const shown = (file: string) => workspaceFile(file, workspace) ?? file;
  const [first] = bad.problems;
  if (first) {
    const count = problemCount(bad.problems.length);
    out.push(`The policy file \`${codeCell(shown(first.file))}\` has ${count}:`, '');
    out.push('| Where | Field | Problem |', '| --- | --- | --- |');
    for (const p of bad.problems) {
      const where = `${shown(p.file)}:${p.line}:${p.col}`;
      const field = p.path ? `\`${codeCell(p.path)}\`` : '';
      out.push(`| \`${codeCell(where)}\` | ${field} | ${cell(p.message)} |`);
    }
    out.push('');
  }
  return fitSummary(out.join('\n'));
}

/** `1 problem`, `14 problems` */
export function problemCount(n: number): string {
  return `${formatCount(n)} problem${n === 1 ? '' : 's'}`;
}

/**
 * The CLI's messages name its flags; the workflow's author wrote inputs. Each flag a
 * message names is traced back to the input that set it.
 */
function inputsNamed(command: 'gate' | 'probe', messages: readonly string[]): string[] {
  return Object.entries(INPUT_FLAGS[command])
    .filter(([, flag]) => messages.some((m) => mentions(m, flag)))
    .map(([input, flag]) => `\`${flag}\` comes from the step's input \`${input}\`.`);
}

function mentions(message: string, flag: string): boolean {
  const at = message.indexOf(flag);
  // `--pr` is not named by `--pretty`, nor GITHUB_TOKEN by GITHUB_TOKEN_FILE.
  return at >= 0 && !/[\w-]/.test(message.charAt(at + flag.length));
}

/**
 * The lines a command printed on stderr, but for the policy problems listed apart and
 * the command's name in front (the summary's heading says it).
 */
export function otherMessages(
  command: 'gate' | 'probe',
  stderr: readonly string[],
  problems: readonly PolicyProblem[],
): string[] {
  const listed = new Set(problems.map(formatProblem));
  const prefix = `vakt ${command}: `;
  return stderr
    .flatMap((text) => text.split('\n'))
    .map((line) => line.trim())
    .filter((line) => line && !listed.has(line))
    .map((line) => (line.startsWith(prefix) ? line.slice(prefix.length) : line));
}
