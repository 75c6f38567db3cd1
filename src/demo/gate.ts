import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { decide } from '../approval/decide.ts';
import type { ApprovalPolicy } from '../approval/schema.ts';
import type { ApprovalVerdict } from '../approval/verdict.ts';
import { createGitHub } from '../github/client.ts';
import { Recording, replayFetch } from '../github/replay.ts';
import { formatProblem, loadPolicyFile } from '../policy/load.ts';

/**
 * The gate as the demo runs it: `vakt gate`'s own decision (the GitHub fetcher, its
 * validation, evaluate()) over recordings of GitHub's answers for the demo's pull
 * request (src/demo/fixtures), replayed in the process: no token, no network.
 */

export const FIXTURES = {
  policy: fileURLToPath(new URL('./fixtures/approval-policy.yaml', import.meta.url)),
  oneApproval: fileURLToPath(new URL('./fixtures/v2-one-approval.json', import.meta.url)),
  twoApprovals: fileURLToPath(new URL('./fixtures/v2-two-approvals.json', import.meta.url)),
};

/** The pull request the recordings are about. */
const SUBJECT = { owner: 'acme', repo: 'shop', pullNumber: 128 };

export async function loadApprovalPolicy(file = FIXTURES.policy): Promise<ApprovalPolicy> {
  const loaded = await loadPolicyFile(file);
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  if (!loaded.policy.approval) throw new Error(`${file} has no approval section`);
  return loaded.policy.approval;
}

export async function loadRecording(file: string): Promise<Recording> {
  const parsed = Recording.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `${file} is not a recording of GitHub's answers:\n${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

export async function gateDecision(recordingFile: string): Promise<ApprovalVerdict> {
  const [policy, recording] = await Promise.all([
    loadApprovalPolicy(),
    loadRecording(recordingFile),
  ]);
  const octokit = await createGitHub({
    token: 'demo-replay',
    // Never contacted: every request is answered by the recording.
    baseUrl: 'https://api.github.com',
    fetch: replayFetch(recording.exchanges),
    // A replay has no rate limits or flaky networks: no waits, no retries.
    retries: false,
  });
  return decide(octokit, policy, SUBJECT);
}
