import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { error as annotateError, notice, warning } from '@actions/core';
import { EXIT, type Io, UsageError } from '../cli/command.ts';
import { gateCommand } from '../cli/gate.ts';
import { probeCommand } from '../cli/probe.ts';
import { runCommand } from '../cli/run-command.ts';
import { parseEventPayload } from './event.ts';
import { type ActionInputs, type ActionPlan, planAction, type RunContext } from './plan.ts';
import {
  annotationsOf,
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
  let plan: ActionPlan;
  try {
    plan = planAction(inputs, await readContext());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // Later steps read the verdict output: bad input must be told apart from a denial.
    core.setOutput('verdict', 'invalid');
    core.setFailed(`vakt: ${error.message}`);
    return EXIT.badInput;
  }

  const errors: string[] = [];
  const io: Io = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => {
      errors.push(text.trim());
      process.stderr.write(text);
    },
    // The token reaches the CLI as the variable it reads, never on a command line.
    env: plan.command === 'gate' ? { ...process.env, GITHUB_TOKEN: inputs.token } : process.env,
    cwd: process.env.GITHUB_WORKSPACE || process.cwd(),
    isTTY: false,
  };
  // Only the two commands the Action runs, so the bundle carries nothing else.
  const command = plan.command === 'gate' ? gateCommand : probeCommand;
  const code = await runCommand(command, plan.argv.slice(1), io);

  const report = await readReport(plan);
  if (report) {
    const markdown = await readFile(plan.markdownFile, 'utf8').catch(() => '');
    for (const [name, value] of Object.entries(outputsOf(report, plan.jsonFile))) {
      core.setOutput(name, value);
    }
    for (const a of annotationsOf(report)) ANNOTATE[a.level](a.message, { title: a.title });
    if (process.env.GITHUB_STEP_SUMMARY) {
      await core.summary.addRaw(summaryMarkdown(report, markdown), true).write();
    }
  } else {
    core.setOutput('verdict', code === EXIT.badInput ? 'invalid' : 'undecided');
  }
  if (code !== EXIT.ok) {
    const why = report ? failureSummary(report) : errors.filter(Boolean).join('; ');
    core.setFailed(`vakt ${plan.command} exited ${code}: ${why || 'see the log above'}`);
  }
  return code;
}

const ANNOTATE = { error: annotateError, warning, notice };

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
