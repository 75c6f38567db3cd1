import type { Octokit } from 'octokit';
import { decide } from '../approval/decide.ts';
import { factsError } from '../approval/fetch-errors.ts';
import type { ApprovalVerdict } from '../approval/verdict.ts';
import { type CheckReport, checkRunBody, refusalReport, verdictReport } from './check-run.ts';
import type { PullRequestWork } from './events.ts';
import { type PolicyAtRef, readPolicyAt } from './policy-at-ref.ts';

/**
 * One pull request judged again, as `vakt gate --pr` would judge it, under the policy of
 * its base branch, and the verdict posted as the `vakt/two-person` check run. Never
 * throws: what goes wrong while deciding is a failing check that says why.
 */

export interface CheckResult {
  outcome: ApprovalVerdict['outcome'];
  headSha: string;
  policy: string;
  /** Why the check run could not be posted; absent when it was. */
  postFailure?: string;
}

export async function checkPullRequest(
  octokit: Octokit,
  work: PullRequestWork,
  settings: { policyPath: string; now?: () => Date },
): Promise<CheckResult> {
  const { owner, repo, pullNumber } = work;
  const judged = await judge(octokit, work, settings.policyPath);
  const body = checkRunBody({
    headSha: judged.headSha,
    pullNumber,
    report: judged.report,
    now: settings.now?.() ?? new Date(),
  });
  const result: CheckResult = {
    outcome: judged.report.outcome,
    headSha: judged.headSha,
    policy: judged.source,
  };
  try {
    await octokit.request('POST /repos/{owner}/{repo}/check-runs', { owner, repo, ...body });
  } catch (error) {
    result.postFailure = factsError(error, 'could not post the check run').message;
  }
  return result;
}

async function judge(
  octokit: Octokit,
  work: PullRequestWork,
  policyPath: string,
): Promise<{ report: CheckReport; headSha: string; source: string }> {
  const { owner, repo, pullNumber } = work;
  let baseRef = work.baseRef;
  // Twice at most: once more when the pull request was retargeted after the event was sent.
  for (let attempt = 0; ; attempt++) {
    const policy = await basePolicy(octokit, work, baseRef, policyPath);
    if (!policy.ok) {
      const report = refusalReport(policy.outcome, policy.reasons, policy.source);
      return { report, headSha: work.headSha, source: policy.source };
    }
    const verdict = await decide(octokit, policy.policy, { owner, repo, pullNumber });
    const current = verdict.evidence.baseRef;
    if (current && current !== baseRef) {
      if (attempt === 0) {
        baseRef = current;
        continue;
      }
      const reason = `pull request #${pullNumber} moved from ${baseRef} to ${current} while it was judged: the next event decides`;
      const report = refusalReport('undecided', [reason], policy.source);
      return { report, headSha: work.headSha, source: policy.source };
    }
    // The head the reviews were read at: a push since the event gets its own event.
    const headSha = verdict.evidence.headSha || work.headSha;
    return { report: verdictReport(verdict, policy.source), headSha, source: policy.source };
  }
}

/**
 * The policy a pull request into `baseRef` is judged by. A check run belongs to a commit,
 * not to a pull request, so a pass earned under any base stands for the same head wherever
 * it is proposed: a base whose policy anyone with push access could have written must not
 * earn one. The default branch is trusted, and so is each branch its policy lists in
 * `protectedBranches` (as the gate trusts them for deployed commits); any other base is a
 * denial, whatever its own policy says.
 */
async function basePolicy(
  octokit: Octokit,
  work: PullRequestWork,
  baseRef: string,
  path: string,
): Promise<PolicyAtRef> {
  const { owner, repo, defaultBranch } = work;
  if (baseRef === defaultBranch)
    return readPolicyAt(octokit, { owner, repo, branch: baseRef, path });
  const guarding = await readPolicyAt(octokit, { owner, repo, branch: defaultBranch, path });
  if (!guarding.ok) return guarding;
  if (!guarding.policy.protectedBranches.includes(baseRef)) {
    return {
      ok: false,
      outcome: 'denied',
      reasons: [
        `${baseRef} is neither ${defaultBranch} nor in approval.protectedBranches of ${guarding.source}: whoever can push to it could write its policy`,
      ],
      source: guarding.source,
    };
  }
  return readPolicyAt(octokit, { owner, repo, branch: baseRef, path });
}
