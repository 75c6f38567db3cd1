import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { error as annotateError, notice, warning } from '@actions/core';
import { EXIT, type Io, UsageError } from '../cli/command.ts';
import { gateCommand } from '../cli/gate.ts';
import { probeCommand } from '../cli/probe.ts';
import { runCommand } from '../cli/run-command.ts';
import type { PolicyProblem } from '../policy/load.ts';
import { redactSecrets } from '../probe/redact.ts';
import {
  type BadInput,
  badInputMarkdown,
  otherMessages,
  policyAnnotations,
  problemCount,
} from './bad-input.ts';
import { parseEventPayload } from './event.ts';
import { type ActionInputs, type ActionPlan, planAction, type RunContext } from './plan.ts';
import {
  type Annotation,
  annotationsOf,
  cap,
  failureSummary,
  outputsOf,
  type Report,
  summaryMarkdown,
} from './results.ts';

/**
 * The GitHub Action: reads the step's inputs and the event, runs the same command line
 * the CLI would, then turns its reports into outputs, a job summary and annotations.
 * The step fails with the CLI's exit code: 1 denied or leaked, 2 bad input, 3 undecided,
 * 4 leaked and the revert command failed or timed out.
 */
async function run(): Promise<number> {
  const inputs = readInputs();
  if (inputs.token) core.setSecret(inputs.token);
  // The runner masks the token in the log only: the summary file is kept clean here.
  const safe = (text: string) => redactSecrets(text, [inputs.token]);
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  let plan: ActionPlan;
  try {
    plan = planAction(inputs, await readContext());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const named = inputs.command.trim() || 'gate';
    const command = named === 'gate' || named === 'probe' ? named : undefined;
    await badInput({ command, messages: [error.message], problems: [] }, workspace, safe);
    core.setFailed(safe(`vakt: ${error.message}`));
    return EXIT.badInput;
  }

  const stderr: string[] = [];
  const found = { errors: [] as PolicyProblem[], warnings: [] as PolicyProblem[] };
  const io: Io = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => {
      stderr.push(text);
      process.stderr.write(text);
    },
    // The token reaches the CLI as the variable it reads, never on a command line.
    env: plan.command === 'gate' ? { ...process.env, GITHUB_TOKEN: inputs.token } : process.env,
    cwd: workspace,
    isTTY: false,
    policyProblems: ({ errors, warnings }) => {
      found.errors.push(...errors);
      found.warnings.push(...warnings);
    },
  };
  // Only the two commands the Action runs, so the bundle carries nothing else.
  const command = plan.command === 'gate' ? gateCommand : probeCommand;
  const code = await runCommand(command, plan.argv.slice(1), io);
  const onPolicy = policyAnnotations(plan.command, found, workspace);

  const report = await readReport(plan);
  const messages = otherMessages(plan.command, stderr, found.errors);
  if (report) {
    const markdown = await readFile(plan.markdownFile, 'utf8').catch(() => '');
    for (const [name, value] of Object.entries(outputsOf(report, plan.jsonFile))) {
      core.setOutput(name, value);
    }
    annotate(annotationsOf(report, onPolicy));
    if (process.env.GITHUB_STEP_SUMMARY) {
      await core.summary.addRaw(summaryMarkdown(report, markdown), true).write();
    }
  } else if (code === EXIT.badInput) {
    annotate(cap(onPolicy), safe);
    await badInput({ command: plan.command, messages, problems: found.errors }, workspace, safe);
  } else {
    core.setOutput('verdict', 'undecided');
  }
  if (code !== EXIT.ok) {
    const why = report
      ? failureSummary(report)
      : found.errors.length > 0
        ? `${problemCount(found.errors.length)} in the policy file ${inputs.policy.trim()} (see the annotations)`
        : messages.join('; ');
    core.setFailed(safe(`vakt ${plan.command} exited ${code}: ${why || 'see the log above'}`));
  }
  return code;
}

/** Bad input: later steps read the verdict output, and a person reads the summary. */
async function badInput(
  bad: BadInput,
  workspace: string,
  safe: (text: string) => string,
): Promise<void> {
  core.setOutput('verdict', 'invalid');
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  // Before the Markdown: escaped for it, a secret would no longer match itself.
  const clean: BadInput = {
    command: bad.command,
    messages: bad.messages.map(safe),
    problems: bad.problems.map((p) => ({ ...p, message: safe(p.message) })),
  };
  await core.summary.addRaw(badInputMarkdown(clean, workspace), true).write();
}

const ANNOTATE = { error: annotateError, warning, notice };

function annotate(annotations: Annotation[], safe = (text: string) => text): void {
  for (const a of annotations) {
    ANNOTATE[a.level](safe(a.message), {
      title: a.title,
      ...(a.file && { file: a.file, startLine: a.line, startColumn: a.col }),
    });
  }
}

function readInputs(): ActionInputs {
  const postStatus = core.getInput('post-status').trim().toLowerCase();
  return {
    command: core.getInput('command'),
    policy: core.getInput('policy'),
    token: core.getInput('token'),
    pr: core.getInput('pr'),
    sha: core.getInput('sha'),
    image: core.getInput('image'),
    target: core.getInput('target'),
    revertCommand: core.getInput('revert-command'),
    revertTimeout: core.getInput('revert-timeout'),
    postStatus: postStatus === 'true' || postStatus === 'yes',
  };
}

async function readContext(): Promise<RunContext> {
  const env = process.env;
  let payload: unknown = {};
  if (env.GITHUB_EVENT_PATH) {
    // Without a readable event the subject must come from the pr or sha input.
    const text = await readFile(env.GITHUB_EVENT_PATH, 'utf8').catch(() => undefined);
    if (text !== undefined) payload = parseEventPayload(text);
  }
  return {
    repository: env.GITHUB_REPOSITORY ?? '',
    eventName: env.GITHUB_EVENT_NAME ?? '',
    payload,
    sha: env.GITHUB_SHA,
    reportDir: await mkdtemp(join(env.RUNNER_TEMP || tmpdir(), 'vakt-')),
  };
}

async function readReport(plan: ActionPlan): Promise<Report | undefined> {
  const text = await readFile(plan.jsonFile, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  return { command: plan.command, verdict: JSON.parse(text) } as Report;
}

try {
  process.exitCode = await run();
} catch (error) {
  // Whatever broke, the step fails closed with one line, never a stack trace.
  core.setFailed(`vakt: could not run: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = EXIT.undecided;
}
