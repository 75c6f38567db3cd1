import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { evaluate } from '../approval/evaluate.ts';
import type { GateFacts } from '../approval/facts.ts';
import type { ApprovalPolicy } from '../approval/schema.ts';
import type { ApprovalVerdict } from '../approval/verdict.ts';
import { formatProblem, loadPolicyFile } from '../policy/load.ts';

/**
 * The gate as the demo runs it: the real rules engine, fed pull-request facts recorded in
 * the shape the GitHub fetcher produces (src/demo/fixtures), so no token and no network.
 */

export const FIXTURES = {
  policy: fileURLToPath(new URL('./fixtures/approval-policy.yaml', import.meta.url)),
  oneApproval: fileURLToPath(new URL('./fixtures/v2-one-approval.json', import.meta.url)),
  twoApprovals: fileURLToPath(new URL('./fixtures/v2-two-approvals.json', import.meta.url)),
};

export async function loadApprovalPolicy(file = FIXTURES.policy): Promise<ApprovalPolicy> {
  const loaded = await loadPolicyFile(file);
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  if (!loaded.policy.approval) throw new Error(`${file} has no approval section`);
  return loaded.policy.approval;
}

/** Reads recorded facts, checking the fields evaluate() cannot do without. */
export async function loadFacts(file: string): Promise<GateFacts> {
  const facts = JSON.parse(await readFile(file, 'utf8')) as GateFacts;
  const pr = facts?.pullRequest;
  const complete =
    typeof facts?.repository === 'string' &&
    typeof pr?.number === 'number' &&
    typeof pr.headSha === 'string' &&
    Array.isArray(pr.commits) &&
    Array.isArray(pr.reviews) &&
    Array.isArray(pr.files) &&
    typeof facts.approvers?.permission === 'object';
  if (!complete) throw new Error(`${file} is not a recorded set of gate facts`);
  return facts;
}

export async function gateDecision(factsFile: string): Promise<ApprovalVerdict> {
  const [policy, facts] = await Promise.all([loadApprovalPolicy(), loadFacts(factsFile)]);
  return evaluate(policy, facts);
}
