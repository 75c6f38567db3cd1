import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ACTION_BUNDLE } from '../../scripts/bundle.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** GITHUB_SHA of every step run here: the merge commit of the fixtures' pull request. */
export const WORKFLOW_SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export interface StepRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  files: string;
  masked: string[];
}

/**
 * Runs dist/action.js the way the runner does: inputs as INPUT_*, files for outputs, the
 * workspace (the repository root unless `env` names another) as the working directory.
 */
export async function runStep(
  inputs: Record<string, string>,
  event: { name: string; payload: unknown; raw?: string },
  env: Record<string, string> = {},
): Promise<StepRun> {
  const workspace = env.GITHUB_WORKSPACE ?? ROOT;
  const dir = await mkdtemp(join(tmpdir(), 'vakt-action-'));
  const files = {
    GITHUB_EVENT_PATH: join(dir, 'event.json'),
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
  };
  await writeFile(files.GITHUB_EVENT_PATH, event.raw ?? JSON.stringify(event.payload));
  await Promise.all([writeFile(files.GITHUB_OUTPUT, ''), writeFile(files.GITHUB_STEP_SUMMARY, '')]);
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
  );
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (done) => {
      execFile(
        process.execPath,
        [ACTION_BUNDLE],
        {
          cwd: workspace,
          env: {
            PATH: process.env.PATH ?? '',
            GITHUB_ACTIONS: 'true',
            GITHUB_WORKSPACE: workspace,
            GITHUB_REPOSITORY: 'acme/shop',
            GITHUB_EVENT_NAME: event.name,
            GITHUB_SHA: WORKFLOW_SHA,
            RUNNER_TEMP: dir,
            VAKT_GITHUB_RETRIES: '0',
            ...files,
            ...inputEnv,
            ...env,
          },
        },
        (error, stdout, stderr) =>
          done({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    },
  );
  const outputText = await readFile(files.GITHUB_OUTPUT, 'utf8');
  // The runner consumes ::add-mask:: lines (they ask it to hide the value) and never shows them.
  const masked = [...result.stdout.matchAll(/^::add-mask::(.*)$/gm)].map((m) => m[1] as string);
  return {
    ...result,
    stdout: result.stdout.replace(/^::add-mask::.*\n/gm, ''),
    masked,
    outputs: parseOutputs(outputText),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
    files: outputText,
  };
}

/** GITHUB_OUTPUT holds `name<<DELIMITER\nvalue\nDELIMITER` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) {
    out[m[1] as string] = m[3] as string;
  }
  return out;
}
