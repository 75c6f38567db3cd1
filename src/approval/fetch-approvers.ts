import type { Octokit } from 'octokit';
import type { ApproverFacts, RepositoryPermission } from './facts.ts';
import { factsError } from './fetch-errors.ts';
import type { ApprovalPolicy } from './schema.ts';
import { MembershipAnswer, PermissionAnswer, parseAnswer } from './validate-response.ts';

const KNOWN: readonly string[] = ['none', 'read', 'triage', 'write', 'maintain', 'admin'];

/** Answers already fetched in this run, so a login is looked up once however often it reviews. */
export type LookupCache = Map<string, Promise<unknown>>;

export interface ApproverQuery {
  owner: string;
  repo: string;
  /** Reviewers whose standing matters. */
  logins: readonly string[];
  /** Teams ("org/slug") the policy names; membership of other teams never matters. */
  teams: readonly string[];
  cache?: LookupCache;
}

/** Every team a policy mentions, so only those memberships are looked up. */
export function policyTeams(policy: ApprovalPolicy): string[] {
  const named = [
    ...policy.approvers.teams,
    ...policy.requireFrom.flatMap((rule) => rule.teams),
    ...policy.paths.flatMap((path) => path.requireFrom.flatMap((rule) => rule.teams)),
  ];
  return [...new Set(named.map((t) => t.toLowerCase()))];
}

/** Repository permission and policy team memberships of each login, looked up in parallel. */
export async function fetchApprovers(
  octokit: Octokit,
  query: ApproverQuery,
): Promise<Omit<ApproverFacts, 'emails'>> {
  const cache = query.cache ?? new Map();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let pending = cache.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = load();
      cache.set(key, pending);
    }
    return pending;
  };

  const permission: Record<string, RepositoryPermission> = {};
  const teams: Record<string, string[]> = {};
  await Promise.all(
    query.logins.map(async (login) => {
      const key = login.toLowerCase();
      const [level, memberOf] = await Promise.all([
        once(`permission:${key}`, () => readPermission(octokit, query.owner, query.repo, login)),
        Promise.all(
          query.teams.map(async (team) =>
            (await once(`team:${team.toLowerCase()}:${key}`, () =>
              isTeamMember(octokit, team, login),
            ))
              ? team
              : undefined,
          ),
        ),
      ]);
      // Left out when unknown: evaluate() then says "permission unknown" and does not count them.
      if (level !== undefined) permission[login] = level;
      teams[key] = memberOf.filter((t) => t !== undefined);
    }),
  );
  return { permission, teams };
}

async function readPermission(
  octokit: Octokit,
  owner: string,
  repo: string,
  username: string,
): Promise<RepositoryPermission | undefined> {
  const what = `the permission of @${username}`;
  let data: unknown;
  try {
    ({ data } = await octokit.request(
      'GET /repos/{owner}/{repo}/collaborators/{username}/permission',
      { owner, repo, username },
    ));
  } catch (error) {
    // 403/404: the token may not read collaborators, or the user is gone. Unknown, not "none".
    if (isStatus(error, 403, 404) && !isRateLimited(error)) return undefined;
    throw factsError(error, `could not read ${what}`);
  }
  const answer = parseAnswer(PermissionAnswer, data, what);
  // role_name tells maintain and triage apart; a custom role's name means nothing here.
  const role = answer.role_name;
  if (role !== undefined && KNOWN.includes(role)) return role as RepositoryPermission;
  return KNOWN.includes(answer.permission)
    ? (answer.permission as RepositoryPermission)
    : undefined;
}

async function isTeamMember(octokit: Octokit, team: string, username: string): Promise<boolean> {
  const [org = '', teamSlug = ''] = team.split('/');
  const what = `membership of @${username} in ${team}`;
  let data: unknown;
  try {
    ({ data } = await octokit.request('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', {
      org,
      team_slug: teamSlug,
      username,
    }));
  } catch (error) {
    if (isStatus(error, 404)) return false;
    // A 403 means the token cannot see the team: not knowing is not "not a member".
    throw factsError(error, `could not read ${what}`);
  }
  // A pending invitation is not membership yet.
  return parseAnswer(MembershipAnswer, data, what).state === 'active';
}

function isStatus(error: unknown, ...statuses: number[]): boolean {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && statuses.includes(status);
}

function isRateLimited(error: unknown): boolean {
  const headers = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers;
  return String(headers?.['x-ratelimit-remaining']) === '0';
}
