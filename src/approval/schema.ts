import { z } from 'zod';
import { ProvenanceSetting } from '../provenance/schema.ts';
import { globProblem } from './glob.ts';

/**
 * The policy's `approval` section: who must approve a pull request before its merge
 * commit may ship. Every object is strict: a misspelt rule must fail loudly, never
 * silently weaken the gate.
 */

export const PERMISSIONS = ['read', 'triage', 'write', 'maintain', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const Team = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
    message: 'expected a team as "org/slug"',
  })
  .describe('a GitHub team as "org/slug"');

const Login = z.string().min(1).describe('a GitHub login');

const Glob = z
  .string()
  .superRefine((glob, ctx) => {
    // Refused here rather than only in policy check: the gate and the operator load
    // policies through this schema too, and a rule that never applies weakens the gate.
    const problem = globProblem(glob);
    if (problem)
      ctx.addIssue({ code: 'custom', message: `${problem}, got ${JSON.stringify(glob)}` });
  })
  .describe(
    'a path glob, matched as bash does with globstar and extglob: ** any depth, * and ? within a segment, {a,b}, [ab], +(a|b); dotfiles match; no leading !',
  );

const Count = z.number().int().min(1);

export const TeamRule = z
  .strictObject({
    teams: z.array(Team).min(1).describe('approvals from members of any of these teams count'),
    count: Count.default(1).describe('how many such approvals are needed (default 1)'),
  })
  .describe('at least `count` approvals from members of these teams');
export type TeamRule = z.infer<typeof TeamRule>;

const PathRule = z
  .strictObject({
    match: z.array(Glob).min(1).describe('the rule applies when any changed file matches'),
    minApprovals: Count.optional().describe('raises the number of approvals needed'),
    requireFrom: z.array(TeamRule).default([]).describe('team approvals this change also needs'),
  })
  .describe('stricter rules for changes that touch these paths');
export type PathRule = z.infer<typeof PathRule>;

const Approvers = z
  .strictObject({
    teams: z.array(Team).default([]),
    users: z.array(Login).default([]),
  })
  .describe('if any team or user is listed, only these may approve');

export const ApprovalSpec = z
  .strictObject({
    minApprovals: Count.default(2).describe('distinct qualified approvals needed (default 2)'),
    minPermission: z
      .enum(PERMISSIONS)
      .default('write')
      .describe('least repository permission of an approver (default write)'),
    approvers: Approvers.default({ teams: [], users: [] }),
    requireFrom: z.array(TeamRule).default([]).describe('per-team approvals always needed'),
    paths: z.array(PathRule).default([]).describe('per-path rules'),
    protectedBranches: z
      .array(z.string().min(1))
      .default([])
      .describe('branches a deployed commit must be merged into (default: the default branch)'),
    forkPushes: z
      .enum(['deny', 'allow'])
      .default('deny')
      .describe(
        "a head branch in a fork: its pushers cannot be read, so deny (default) or allow on the commits' authors alone",
      ),
    localMerges: z
      .strictObject({
        signers: z
          .array(Login)
          .default([])
          .describe('logins whose verified signature on a merge commit is trusted like GitHub’s'),
      })
      .default({ signers: [] })
      .describe('merge commits made outside GitHub that may ship (default: none)'),
    serviceAccounts: z
      .array(Login)
      .default([])
      .describe('logins of machine accounts, never counted as people'),
    provenance: ProvenanceSetting.optional(),
  })
  .describe('two-person approval rules');

/** The parsed section, defaults filled in: what `evaluate()` reads. */
export type ApprovalPolicy = z.infer<typeof ApprovalSpec>;
