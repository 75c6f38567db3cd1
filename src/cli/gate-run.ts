import { resolve } from 'node:path';
import type { Octokit } from 'octokit';
import { decide, type GateRequest } from '../approval/decide.ts';
import { statusFor } from '../approval/status.ts';
import type { ApprovalVerdict } from '../approval/verdict.ts';
import { countRequests, createGitHub } from '../github/client.ts';
import { redactSecrets } from '../probe/redact.ts';
import { parseImageRef } from '../provenance/image-ref.ts';
import { gateMarkdown } from '../report/gate-markdown.ts';
import { gateText } from '../report/gate-text.ts';
import { EXIT, type Io, parseFlags, stdoutReport, UsageError, writeReport } from './command.ts';
import { loadCommandPolicy } from './command-policy.ts';
import { imageStep } from './gate-image.ts';
import { readCredentials } from './github-credentials.ts';

const FLAGS = {
  policy: { type: 'string' },
  repo: { type: 'string' },
  pr: { type: 'string' },
  sha: { type: 'string' },
  image: { type: 'string' },
  'trusted-root': { type: 'string' },
  token: { type: 'string' },
  'app-id': { type: 'string' },
  'app-key': { type: 'string' },
  installation: { type: 'string' },
  json: { type: 'string' },
  markdown: { type: 'string' },
  'post-status': { type: 'boolean' },
} as const;

const EXIT_FOR = { approved: EXIT.ok, denied: EXIT.fail, undecided: EXIT.undecided } as const;

/** `vakt gate` itself, loaded only when it runs: --help needs none of this. */
export async function runGateCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  const request = parseRequest(values);
  // A report on stdout moves the summary to stderr: `--json - | jq` must get JSON only.
  const summary = stdoutReport(values, ['json', 'markdown']) ? io.stderr : io.stdout;
  const image = values.image === undefined ? undefined : parseImageRef(values.image);
  if (image && !image.ok) throw new UsageError(image.reason);
  const credentials = await readCredentials(values, io);
  const policyFile = values.policy as string;
  const policy = await loadCommandPolicy(io, policyFile, 'approval');
  if (!policy) return EXIT.badInput;

  const octokit = await createGitHub({
    ...credentials.options,
    ...(io.env.GITHUB_API_URL && { baseUrl: io.env.GITHUB_API_URL }),
    retries: io.env.VAKT_GITHUB_RETRIES !== '0',
  });
  const requests = countRequests(octokit);
  let steps: Awaited<ReturnType<typeof imageStep>> | undefined;
  if (image) {
    steps = await imageStep({
      octokit,
      policy,
      policyFile,
      owner: request.owner,
      repo: request.repo,
      image,
      sha: request.sha,
      trustedRoot: values['trusted-root'] && resolve(io.cwd, values['trusted-root']),
    });
    if (steps.ok) request.sha = steps.sha;
  }
  const verdict = steps && !steps.ok ? steps.verdict : await decide(octokit, policy, request);
  // Whatever GitHub or an error echoed back, the token never leaves this process.
  const safe = (text: string) => redactSecrets(text, credentials.secrets);

  let code: number = EXIT_FOR[verdict.outcome];
  if (values['post-status']) {
    const failure = await postStatus(octokit, request, verdict);
    if (failure) {
      io.stderr(safe(`vakt gate: could not post the commit status: ${failure}\n`));
      if (code !== EXIT.fail) code = Math.max(code, EXIT.undecided);
    }
  }
  const report = { ...verdict, ...steps?.report, requests: requests.count };
  if (values.json) {
    await writeReport(io, values.json, safe(`${JSON.stringify(report, null, 2)}\n`));
  }
  if (values.markdown) {
    const before = steps ? `${steps.lines.map((l) => `- ${l.trim()}`).join('\n')}\n\n` : '';
    await writeReport(io, values.markdown, safe(before + gateMarkdown(verdict)));
  }
  const text = gateText(verdict, io.isTTY && !io.env.NO_COLOR);
  summary(safe(steps ? withSteps(text, steps.lines) : text));
  return code;
}

/** The image's steps go right under the headline, before the pull request's. */
function withSteps(text: string, lines: string[]): string {
  const [headline, ...rest] = text.split('\n');
  return [headline, ...lines, ...rest].join('\n');
}

function parseRequest(values: {
  policy?: string;
  repo?: string;
  pr?: string;
  sha?: string;
  image?: string;
}): GateRequest {
  if (!values.policy) throw new UsageError('--policy FILE is required (see vakt gate --help)');
  if (!values.repo) throw new UsageError('--repo OWNER/NAME is required (see vakt gate --help)');
  const repo = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(values.repo);
  if (!repo?.[1] || !repo[2]) {
    throw new UsageError(`--repo expects OWNER/NAME, got "${values.repo}"`);
  }
  const target = { owner: repo[1], repo: repo[2] };
  if (values.image !== undefined) {
    if (values.pr !== undefined) throw new UsageError('--image checks a deployed image: drop --pr');
    if (values.sha === undefined) return target;
  } else if ((values.pr === undefined) === (values.sha === undefined)) {
    throw new UsageError('pass exactly one of --pr N and --sha SHA (or --image REF@sha256:DIGEST)');
  }
  if (values.pr !== undefined) {
    const n = Number(values.pr);
    if (!/^[1-9][0-9]*$/.test(values.pr) || !Number.isSafeInteger(n)) {
      throw new UsageError(`--pr expects a pull request number, got "${values.pr}"`);
    }
    return { ...target, pullNumber: n };
  }
  const sha = values.sha as string;
  if (!/^[0-9a-fA-F]{7,40}$/.test(sha)) {
    throw new UsageError(`--sha expects 7 to 40 hex digits, got "${sha}"`);
  }
  return { ...target, sha: sha.toLowerCase() };
}

/**
 * Sets the status on the pull request's head, where branch protection looks for it;
 * without a pull request (a direct push), on the deployed commit. Returns why it failed.
 */
async function postStatus(
  octokit: Octokit,
  request: GateRequest,
  verdict: ApprovalVerdict,
): Promise<string | undefined> {
  const sha = verdict.evidence.headSha || verdict.evidence.deploySha;
  if (!sha) return 'the head commit of the pull request is unknown';
  try {
    await octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
      owner: request.owner,
      repo: request.repo,
      sha,
      ...statusFor(verdict),
    });
    return undefined;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number') return `GitHub answered ${status}`;
    return error instanceof Error ? error.message : String(error);
  }
}
