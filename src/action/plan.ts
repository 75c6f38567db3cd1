import { join } from 'node:path';
import { UsageError } from '../cli/command.ts';
import { subjectFromEvent } from './event.ts';

/** The Action's inputs as the runner hands them over: strings, empty when not set. */
export interface ActionInputs {
  command: string;
  policy: string;
  token: string;
  pr: string;
  sha: string;
  /** gate: the image being deployed, REF@sha256:DIGEST (its provenance names the commit). */
  image: string;
  target: string;
  revertCommand: string;
  /** probe: how long the revert command may take, e.g. 2m (--on-leak-timeout). */
  revertTimeout: string;
  postStatus: boolean;
}

/** What the runner tells every step about the workflow run. */
export interface RunContext {
  repository: string;
  eventName: string;
  payload: unknown;
  sha: string | undefined;
  /** Where the reports go: a directory private to this job. */
  reportDir: string;
}

/** The vakt command line the step runs, and where its reports will be. */
export interface ActionPlan {
  command: 'gate' | 'probe';
  argv: string[];
  jsonFile: string;
  markdownFile: string;
}

/**
 * Turns the step's inputs into the same command line a person would type, so the Action
 * and the CLI share every rule, text and exit code. Pure; bad inputs throw UsageError.
 */
export function planAction(inputs: ActionInputs, context: RunContext): ActionPlan {
  const command = inputs.command.trim() || 'gate';
  if (command !== 'gate' && command !== 'probe') {
    throw new UsageError(`input "command" must be gate or probe, got "${inputs.command}"`);
  }
  const policy = inputs.policy.trim();
  if (!policy) throw new UsageError('input "policy" is required: the path of a vakt policy file');
  const jsonFile = join(context.reportDir, `vakt-${command}.json`);
  const markdownFile = join(context.reportDir, `vakt-${command}.md`);
  const reports = ['--json', jsonFile, '--markdown', markdownFile];

  if (command === 'probe') {
    ignored(inputs, ['pr', 'sha', 'image'], 'probe');
    const argv = ['probe', '--policy', policy, ...reports];
    if (inputs.target.trim()) argv.push('--target', inputs.target.trim());
    if (inputs.revertCommand.trim()) argv.push('--on-leak', inputs.revertCommand);
    if (inputs.revertTimeout.trim()) {
      if (!inputs.revertCommand.trim())
        throw new UsageError('input "revert-timeout" needs a revert-command to time');
      argv.push('--on-leak-timeout', inputs.revertTimeout.trim());
    }
    return { command, argv, jsonFile, markdownFile };
  }

  ignored(inputs, ['target', 'revertCommand', 'revertTimeout'], 'gate');
  if (!context.repository) {
    throw new UsageError('GITHUB_REPOSITORY is not set: run this step inside a GitHub workflow');
  }
  const argv = ['gate', '--policy', policy, '--repo', context.repository, ...reports];
  argv.push(...subjectArgs(inputs, context));
  if (inputs.postStatus) argv.push('--post-status');
  return { command, argv, jsonFile, markdownFile };
}

function subjectArgs(inputs: ActionInputs, context: RunContext): string[] {
  const pr = inputs.pr.trim();
  const sha = inputs.sha.trim();
  const image = inputs.image.trim();
  if (image) {
    // The deployed image: its signed provenance names the commit; a sha input must agree.
    if (pr) throw new UsageError('set the pr input or the image input, not both');
    return ['--image', image, ...(sha ? ['--sha', sha] : [])];
  }
  if (pr && sha) throw new UsageError('set the pr input or the sha input, not both');
  if (pr) return ['--pr', pr];
  if (sha) return ['--sha', sha];
  const subject = subjectFromEvent(context.eventName, context.payload, context.sha);
  if ('reason' in subject) throw new UsageError(subject.reason);
  return 'pr' in subject ? ['--pr', String(subject.pr)] : ['--sha', subject.sha];
}

/**
 * The flag each input becomes on the command's line (the token: the variable), so that
 * a message naming a flag can be traced back to the input that set it.
 */
export const INPUT_FLAGS = {
  gate: {
    policy: '--policy',
    pr: '--pr',
    sha: '--sha',
    image: '--image',
    'post-status': '--post-status',
    token: 'GITHUB_TOKEN',
  },
  probe: { policy: '--policy', target: '--target', 'revert-command': '--on-leak' },
} as const;

const INPUT_NAMES: Record<string, string> = {
  pr: 'pr',
  sha: 'sha',
  image: 'image',
  target: 'target',
  revertCommand: 'revert-command',
  revertTimeout: 'revert-timeout',
};

/** An input meant for the other command is a mistake in the workflow, not something to drop silently. */
function ignored(inputs: ActionInputs, keys: (keyof ActionInputs)[], command: string): void {
  for (const key of keys) {
    const value = inputs[key];
    if (typeof value === 'string' && value.trim()) {
      throw new UsageError(`input "${INPUT_NAMES[key]}" does not apply to command ${command}`);
    }
  }
}
