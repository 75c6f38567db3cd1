import { contributors, short, unattributed } from './contributors.ts';
import { type StandingRequest, standingReviews } from './dismissals.ts';
import type { BaseChange, GateFacts, Person, ReviewFact } from './facts.ts';
import { matchesAnyGlob } from './glob.ts';
import { mergeProblem } from './merge-commit.ts';
import { reviewerOpinions } from './opinions.ts';
import { disqualification, teamsOf, unreadableAmong, unreadableTeam } from './qualify.ts';
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
  const retarget = lastBaseChange(pr.baseChanges);
  const required = requirements(policy, pr.files);

  const counted: ApprovalVerdict['counted'] = [];
  const notCounted: ApprovalVerdict['notCounted'] = [];
  const blockers: string[] = [];
  // A set: one unreadable team or token gap would otherwise be reported once per reviewer.
  const unknowns = new Set<string>();

  // A dismissal lifts a request for changes only when a qualified reviewer made it.
  const judge = (person: Person) => disqualification(person, policy, facts, excluded);
  const standing = standingReviews(pr, judge);
  for (const sentence of standing.unknowns) unknowns.add(sentence);

  for (const { login, opinion, dismissed } of reviewerOpinions(standing.reviews)) {
    if (!opinion) {
      notCounted.push({ login, reason: dismissed ? 'dismissed' : 'commented without approving' });
      continue;
    }
    const why = judge(opinion.author);
    if (opinion.state === 'CHANGES_REQUESTED') {
      // Having written the change does not take away a say against it: GitHub blocks the
      // merge on a co-author's request for changes, and so does the gate.
      const asReviewer = disqualification(opinion.author, policy, facts, NOBODY);
      const restored = standing.restored.get(opinion.id);
      if (asReviewer?.unknown) {
        unknowns.add(
          `cannot tell whether @${login}'s request for changes blocks: ${asReviewer.unknown}`,
        );
      } else if (asReviewer === undefined && restored?.unknown) {
        unknowns.add(
          `cannot tell whether @${login}'s request for changes still blocks: it was dismissed by ${restored.by}, and ${restored.unknown}`,
        );
      } else if (asReviewer === undefined) {
        blockers.push(requestSentence(login, why?.reason, restored));
      }
      notCounted.push({ login, reason: why?.reason ?? 'requested changes' });
      continue;
    }
    const current = opinion.commitId === pr.headSha;
    if (why !== undefined) {
      notCounted.push({ login, reason: why.reason });
      // An approval of the head that might count turns a denial into a guess.
      if (why.unknown && current) unknowns.add(why.unknown);
    } else if (!current) {
      // The head moved after the approval: the approver never saw the code being shipped.
      notCounted.push({
        login,
        reason: `approved an older commit (${short(opinion.commitId)}), not the head`,
      });
    } else if (retarget && !givenAfter(opinion, retarget)) {
      // Same head, new diff: the new base may lack commits nobody reviewed (GitHub
      // dismisses such approvals when the merge base changes; the gate never counts them).
      notCounted.push({
        login,
        reason: `approved before the base branch changed from ${retarget.from} to ${retarget.to} at ${retarget.at}: the approval was of the diff against ${retarget.from}`,
      });
    } else {
      counted.push({ login, reviewId: opinion.id, commitId: opinion.commitId });
    }
  }

  const { missing, unreadable } = missingApprovals(required, counted, facts);
  for (const sentence of unreadable) unknowns.add(sentence);
  // A writer the gate cannot name may be one of the approvers under another address.
  blockers.push(...unattributed(pr));
  const fork = pr.head.fork;
  if (fork && policy.forkPushes !== 'allow') blockers.push(forkSentence(fork, facts.repository));
  const reasons: string[] = [];
  if (pr.truncated) reasons.push(`the pull request could not be read completely: ${pr.truncated}`);
  if (facts.deploySha !== undefined && pr.mergeCommitSha !== facts.deploySha) {
    blockers.push(
      `the deployed commit ${short(facts.deploySha)} is not the merge commit of pull request #${pr.number}`,
    );
  } else if (facts.deploySha !== undefined) {
    const problem = mergeProblem(policy, pr, facts.deploySha);
    if (problem) blockers.push(problem);
  }
  reasons.push(...unknowns, ...blockers);
  if (missing.length > 0) reasons.push(notEnough(missing));

  const outcome =
    pr.truncated || unknowns.size > 0
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

/** The latest retarget by time, whatever order the timeline listed them in. */
function lastBaseChange(changes: readonly BaseChange[]): BaseChange | undefined {
  let last: BaseChange | undefined;
  for (const change of changes) {
    if (!last || Date.parse(change.at) > Date.parse(last.at)) last = change;
  }
  return last;
}

/** Strictly after: a review whose time cannot be read, or a tie, is not known to be newer. */
function givenAfter(review: ReviewFact, change: BaseChange): boolean {
  return Date.parse(review.submittedAt) > Date.parse(change.at);
}

/** Why a fork's head branch is denied: what could not be checked, and the switch. */
function forkSentence(fork: { repository: string | null }, repository: string): string {
  const where = fork.repository ? `the fork ${fork.repository}` : 'a deleted fork';
  return `the head branch is in ${where}: GitHub shows ${repository} nothing of who pushed there, so the pushers could not be checked (policy approval.forkPushes: allow accepts fork pull requests without that check)`;
}

/** Judges a change request's author as a reviewer, leaving out what they wrote. */
const NOBODY: ReadonlyMap<string, string> = new Map();

/** Why a request for changes blocks, as the verdict says it. */
function requestSentence(
  login: string,
  contributed: string | undefined,
  restored: StandingRequest | undefined,
): string {
  const wrote = contributed
    ? ` (${contributed}: a request for changes from someone who wrote the change blocks too)`
    : '';
  const dismissal = restored
    ? `; the dismissal by ${restored.by} does not lift it (${restored.reason}): only a qualified reviewer who is not an author can dismiss a request for changes`
    : '';
  return `@${login} requested changes${wrote}${dismissal}`;
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

/**
 * What the counted approvals still lack. A team rule that is short while one of its
 * teams could not be read is unknowable: the missing approver may be in that team.
 */
function missingApprovals(
  required: ApprovalVerdict['required'],
  counted: ApprovalVerdict['counted'],
  facts: GateFacts,
): { missing: string[]; unreadable: string[] } {
  const missing: string[] = [];
  const unreadable: string[] = [];
  const fewer = required.approvals - counted.length;
  if (fewer > 0) missing.push(`needs ${more(fewer)}`);
  for (const rule of required.teams) {
    const wanted = rule.teams.map((t) => t.toLowerCase());
    const have = counted.filter((c) => teamsOf(facts, c.login).some((t) => wanted.includes(t)));
    const lacking = rule.count - have.length;
    if (lacking <= 0) continue;
    missing.push(`needs ${more(lacking)} from ${rule.teams.map((t) => `@${t}`).join(' or ')}`);
    unreadable.push(...unreadableAmong(facts, rule.teams).map((t) => unreadableTeam(facts, t)));
  }
  return { missing, unreadable };
}

/** The reason that sums up what is missing; reports leave it out where they list `missing`. */
export function notEnough(missing: readonly string[]): string {
  return `not enough qualified approvals: ${missing.join('; ')}`;
}

function more(n: number): string {
  return `${n} more approval${n === 1 ? '' : 's'}`;
}
