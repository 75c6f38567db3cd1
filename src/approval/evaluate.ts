import { contributors, short } from './contributors.ts';
import type { GateFacts } from './facts.ts';
import { matchesAnyGlob } from './glob.ts';
import { reviewerOpinions } from './opinions.ts';
import { disqualification, teamsOf } from './qualify.ts';
import type { ApprovalPolicy, TeamRule } from './schema.ts';
import type { ApprovalVerdict } from './verdict.ts';

/**
 * The two-person gate: may this pull request's merge commit be deployed?
 * Pure: everything it needs is in `facts`, so a verdict can be replayed and audited.
 * Whenever the facts are incomplete the answer is 'undecided', never 'approved'.
 */
export function evaluate(policy: ApprovalPolicy, facts: GateFacts): ApprovalVerdict {
  const pr = facts.pullRequest;
  const excluded = contributors(pr);
  const required = requirements(policy, pr.files);

  const counted: ApprovalVerdict['counted'] = [];
  const notCounted: ApprovalVerdict['notCounted'] = [];
  const blockers: string[] = [];
  const unknowns: string[] = [];

  for (const { login, opinion, dismissed } of reviewerOpinions(pr.reviews)) {
    if (!opinion) {
      notCounted.push({ login, reason: dismissed ? 'dismissed' : 'commented without approving' });
      continue;
    }
    const why = disqualification(opinion.author, policy, facts, excluded);
    if (opinion.state === 'CHANGES_REQUESTED') {
      if (why === undefined) blockers.push(`@${login} requested changes`);
      // Without their permission we cannot tell whether this request blocks: do not guess.
      else if (why === 'permission unknown')
        unknowns.push(
          `cannot tell whether @${login}'s request for changes blocks: permission unknown`,
        );
      notCounted.push({ login, reason: why ?? 'requested changes' });
      continue;
    }
    if (why !== undefined) {
      notCounted.push({ login, reason: why });
    } else if (opinion.commitId !== pr.headSha) {
      // The head moved after the approval: the approver never saw the code being shipped.
      notCounted.push({
        login,
        reason: `approved an older commit (${short(opinion.commitId)}), not the head`,
      });
    } else {
      counted.push({ login, reviewId: opinion.id, commitId: opinion.commitId });
    }
  }

  const missing = missingApprovals(required, counted, facts);
  const reasons: string[] = [];
  if (pr.truncated)
    unknowns.unshift(`the pull request could not be read completely: ${pr.truncated}`);
  if (facts.deploySha !== undefined && pr.mergeCommitSha !== facts.deploySha) {
    blockers.push(
      `the deployed commit ${short(facts.deploySha)} is not the merge commit of pull request #${pr.number}`,
    );
  }
  reasons.push(...unknowns, ...blockers);
  if (missing.length > 0) reasons.push(`not enough qualified approvals: ${missing.join('; ')}`);

  const outcome =
    unknowns.length > 0
      ? 'undecided'
      : blockers.length > 0 || missing.length > 0
        ? 'denied'
        : 'approved';
  return {
    outcome,
    reasons,
    counted,
    notCounted,
    missing,
    required,
    evidence: {
      repository: facts.repository,
      pullRequest: pr.number,
      baseRef: pr.baseRef,
      baseSha: pr.baseSha,
      headSha: pr.headSha,
      ...(facts.deploySha !== undefined && { deploySha: facts.deploySha }),
    },
  };
}

/** The base rules, made stricter by every path rule whose globs match a changed file. */
function requirements(
  policy: ApprovalPolicy,
  files: readonly string[],
): ApprovalVerdict['required'] {
  let approvals = policy.minApprovals;
  const teams: TeamRule[] = [...policy.requireFrom];
  for (const rule of policy.paths) {
    if (!files.some((f) => matchesAnyGlob(f, rule.match))) continue;
    approvals = Math.max(approvals, rule.minApprovals ?? 0);
    teams.push(...rule.requireFrom);
  }
  return { approvals, teams: teams.map((t) => ({ teams: [...t.teams], count: t.count })) };
}

function missingApprovals(
  required: ApprovalVerdict['required'],
  counted: ApprovalVerdict['counted'],
  facts: GateFacts,
): string[] {
  const missing: string[] = [];
  const fewer = required.approvals - counted.length;
  if (fewer > 0) missing.push(`needs ${more(fewer)}`);
  for (const rule of required.teams) {
    const wanted = rule.teams.map((t) => t.toLowerCase());
    const have = counted.filter((c) => teamsOf(facts, c.login).some((t) => wanted.includes(t)));
    const lacking = rule.count - have.length;
    if (lacking > 0) {
      missing.push(`needs ${more(lacking)} from ${rule.teams.map((t) => `@${t}`).join(' or ')}`);
    }
  }
  return missing;
}

function more(n: number): string {
  return `${n} more approval${n === 1 ? '' : 's'}`;
}
