import type { Octokit } from 'octokit';
import { evaluate } from './evaluate.ts';
import { policyTeams } from './fetch-approvers.ts';
import { fetchDeployedPullRequest } from './fetch-deployed.ts';
import { factsError, GitHubFactsError } from './fetch-errors.ts';
import { fetchGateFacts } from './fetch-facts.ts';
import { fetchDeploySubject } from './fetch-subject.ts';
import type { ApprovalPolicy } from './schema.ts';
import type { PullRequestNode } from './validate-response.ts';
import type { ApprovalVerdict } from './verdict.ts';

export interface GateRequest {
  owner: string;
  repo: string;
  /** Exactly one of pullNumber and sha. */
  pullNumber?: number;
  sha?: string;
}

/**
 * The gate's whole decision for one pull request or deployed commit. Never throws:
 * whatever goes wrong while reading GitHub becomes an 'undecided' verdict (fail closed).
 */
export async function decide(
  octokit: Octokit,
  policy: ApprovalPolicy,
  request: GateRequest,
): Promise<ApprovalVerdict> {
  const { owner, repo } = request;
  try {
    let pullNumber = request.pullNumber;
    let deploySha: string | undefined;
    let pullRequest: PullRequestNode | undefined;
    if (request.sha !== undefined) {
      deploySha = await fullSha(octokit, owner, repo, request.sha);
      const query = { owner, repo, sha: deploySha, protectedBranches: policy.protectedBranches };
      const deployed = await fetchDeployedPullRequest(octokit, query);
      if (deployed.settled) {
        pullRequest = deployed.pullRequest;
        pullNumber = pullRequest.number;
      } else {
        // Not the one clear case: every candidate, the long way, decides as it always did.
        const subject = await fetchDeploySubject(octokit, query);
        if (!subject.ok) return shell(policy, request, 'denied', subject.reason, deploySha);
        pullNumber = subject.number;
      }
    }
    const facts = await fetchGateFacts(octokit, {
      owner,
      repo,
      pullNumber: pullNumber ?? 0,
      ...(deploySha !== undefined && { deploySha }),
      ...(pullRequest !== undefined && { pullRequest }),
      teams: policyTeams(policy),
    });
    return evaluate(policy, facts);
  } catch (error) {
    const reason =
      error instanceof GitHubFactsError
        ? error.message
        : `unexpected failure while deciding: ${error instanceof Error ? error.message : String(error)}`;
    return shell(policy, request, 'undecided', reason, request.sha);
  }
}

/**
 * Merge commits are compared by full SHA, so an abbreviated one is expanded first;
 * comparing a prefix would deny every deploy named by a short SHA.
 */
async function fullSha(octokit: Octokit, owner: string, repo: string, sha: string) {
  if (sha.length === 40) return sha.toLowerCase();
  let data: { sha?: unknown };
  try {
    ({ data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}', {
      owner,
      repo,
      ref: sha,
    }));
  } catch (error) {
    throw factsError(error, `could not read commit ${sha}`);
  }
  if (typeof data.sha !== 'string' || !/^[0-9a-f]{40}$/.test(data.sha)) {
    throw factsError(new Error('no SHA in the answer'), `could not read commit ${sha}`);
  }
  return data.sha;
}

/**
 * A verdict reached before (or without) reading the pull request's reviews, in the gate's
 * own shape: here, and for `vakt gate --image` when the image's provenance already denies.
 */
export function shell(
  policy: ApprovalPolicy,
  request: GateRequest,
  outcome: 'denied' | 'undecided',
  reason: string | string[],
  deploySha: string | undefined,
): ApprovalVerdict {
  return {
    outcome,
    reasons: typeof reason === 'string' ? [reason] : reason,
    counted: [],
    notCounted: [],
    missing: [],
    required: {
      approvals: policy.minApprovals,
      teams: policy.requireFrom.map((t) => ({ teams: [...t.teams], count: t.count })),
    },
    evidence: {
      repository: `${request.owner}/${request.repo}`,
      pullRequest: request.pullNumber ?? 0,
      baseRef: '',
      headSha: '',
      ...(deploySha !== undefined && { deploySha }),
    },
  };
}
