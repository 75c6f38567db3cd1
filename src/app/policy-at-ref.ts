import type { Octokit } from 'octokit';
import { z } from 'zod';
import { factsError } from '../approval/fetch-errors.ts';
import type { ApprovalPolicy } from '../approval/schema.ts';
import { formatProblem, parsePolicy } from '../policy/load.ts';

/**
 * The policy as a branch holds it, read through the contents API. The App judges a pull
 * request by its base branch's policy and a deployment by the default branch's: a change
 * must never carry the rule that judges it. Missing or malformed is a denial that says
 * so, and a GitHub failure is undecided: both fail closed.
 */

export type PolicyAtRef =
  | { ok: true; policy: ApprovalPolicy; source: string }
  | { ok: false; outcome: 'denied' | 'undecided'; reasons: string[]; source: string };

/** GitHub answers a file with its bytes in base64; a folder as a list; a big file without them. */
const FileAnswer = z.looseObject({
  type: z.literal('file'),
  encoding: z.string(),
  content: z.string(),
});

/** A policy is a few kilobytes; this is far past any real one. */
const MAX_POLICY_BYTES = 256 * 1024;

export async function readPolicyAt(
  octokit: Octokit,
  at: { owner: string; repo: string; branch: string; path: string },
): Promise<PolicyAtRef> {
  const source = `${at.path}@${at.branch}`;
  const denied = (reason: string): PolicyAtRef => ({
    ok: false,
    outcome: 'denied',
    reasons: [reason],
    source,
  });
  let data: unknown;
  try {
    ({ data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: at.owner,
      repo: at.repo,
      path: at.path,
      // The full name: a bare "main" resolves to a tag of that name first, as in git,
      // and anyone with write access can push a tag.
      ref: `refs/heads/${at.branch}`,
    }));
  } catch (error) {
    if ((error as { status?: unknown }).status === 404) {
      return denied(
        `no policy at ${at.path} on ${at.branch}: without one vakt approves nothing (add the file to ${at.branch})`,
      );
    }
    const reason = factsError(error, `could not read the policy ${source}`).message;
    return { ok: false, outcome: 'undecided', reasons: [reason], source };
  }
  if (Array.isArray(data)) return denied(`${source} is a folder, not a policy file`);
  const file = FileAnswer.safeParse(data);
  if (!file.success || file.data.encoding !== 'base64') {
    return denied(`${source} is not a policy file GitHub can hand out (a file under 1 MB)`);
  }
  const bytes = Buffer.from(file.data.content, 'base64');
  if (bytes.length > MAX_POLICY_BYTES) {
    return denied(`${source} is ${bytes.length} bytes: a policy is at most ${MAX_POLICY_BYTES}`);
  }
  const loaded = parsePolicy(bytes.toString('utf8'), source);
  if (!loaded.ok) {
    return {
      ok: false,
      outcome: 'denied',
      reasons: [`the policy ${source} is not valid`, ...loaded.problems.map(formatProblem)],
      source,
    };
  }
  const { approval } = loaded.policy;
  if (!approval) {
    return denied(`${source} has no approval section: vakt has no rules to approve by`);
  }
  return { ok: true, policy: approval, source };
}
