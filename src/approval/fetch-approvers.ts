import type { Octokit } from 'octokit';
import { z } from 'zod';
import { approversDocument, memberKey, type TeamRef, teamRef } from './approvers-query.ts';
import type { ApproverFacts, RepositoryPermission } from './facts.ts';
import { factsError, GitHubFactsError } from './fetch-errors.ts';
import type { ApprovalPolicy } from './schema.ts';
import { parseAnswer } from './validate-response.ts';

/** What the one lookup learnt, keyed by permissionKey() and teamKey(). */
type Lookups = Map<string, RepositoryPermission | 'unknown' | boolean>;

export interface ApproverQuery {
  owner: string;
  repo: string;
  /** Reviewers whose standing matters. */
  logins: readonly string[];
  /** Teams ("org/slug") the policy names; membership of other teams never matters. */
  teams: readonly string[];
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

const permissionKey = (login: string) => `permission:${login.toLowerCase()}`;
const teamKey = (team: string, login: string) => `team:${memberKey(team, login)}`;

/**
 * Repository permission and policy team memberships of every reviewer, in one GraphQL
 * request however many reviewers and teams there are (none when nobody reviewed).
 */
export async function fetchApprovers(
  octokit: Octokit,
  query: ApproverQuery,
): Promise<ApproverFacts> {
  const cache: Lookups = new Map();
  const teams = query.teams.map(teamRef);
  const memberships = teams.flatMap((team) => query.logins.map((login) => ({ team, login })));
  if (query.logins.length > 0) {
    await lookUp(octokit, query, query.logins, memberships, cache);
  }

  const permission: Record<string, RepositoryPermission> = {};
  const memberOf: Record<string, string[]> = {};
  for (const login of query.logins) {
    const level = cache.get(permissionKey(login));
    // Left out when unknown: evaluate() then says "permission unknown" and does not count them.
    if (typeof level === 'string' && level !== 'unknown') permission[login] = level;
    memberOf[login.toLowerCase()] = teams
      .filter((team) => cache.get(teamKey(team.name, login)) === true)
      .map((team) => team.name);
  }
  return { permission, teams: memberOf };
}

const PERMISSIONS = ['READ', 'TRIAGE', 'WRITE', 'MAINTAIN', 'ADMIN'] as const;

const CollaboratorAnswer = z
  .object({
    edges: z.array(
      z.object({ permission: z.enum(PERMISSIONS), node: z.object({ login: z.string() }) }),
    ),
  })
  .nullable();

const MembersAnswer = z
  .object({
    pageInfo: z.object({ hasNextPage: z.boolean() }),
    nodes: z.array(z.object({ login: z.string() })),
  })
  .nullable();

const TeamAnswer = z.object({ team: z.record(z.string(), MembersAnswer).nullable() }).nullable();

const GraphqlError = z.object({
  type: z.string().optional(),
  message: z.string().optional(),
  path: z.array(z.union([z.string(), z.number()])).optional(),
});

async function lookUp(
  octokit: Octokit,
  query: ApproverQuery,
  permissionsFor: readonly string[],
  memberships: readonly { team: TeamRef; login: string }[],
  cache: Lookups,
): Promise<void> {
  const what = 'the permissions and team memberships of the reviewers';
  const doc = approversDocument(query.logins, permissionsFor, memberships);
  let data: unknown;
  let errors: z.infer<typeof GraphqlError>[] = [];
  try {
    data = await octokit.graphql(doc.query, {
      owner: query.owner,
      repo: query.repo,
      ...doc.variables,
    });
  } catch (error) {
    // GitHub answers what it may and lists the rest as errors; anything but a partial
    // answer (a network failure, a 5xx, a rate limit) is a failure to decide.
    const partial = error as { name?: string; data?: unknown; errors?: unknown };
    if (partial.name !== 'GraphqlResponseError' || partial.data == null) {
      throw factsError(error, `could not read ${what}`);
    }
    data = partial.data;
    errors = parseAnswer(z.array(GraphqlError), partial.errors ?? [], what);
  }
  const answer = parseAnswer(z.record(z.string(), z.unknown()), data, what);
  const unreadable = new Set<string>();
  for (const error of errors) unreadable.add(classify(error, doc.teamAlias, what));

  const repository = parseAnswer(
    z.record(z.string(), CollaboratorAnswer).nullable().optional(),
    answer.repository,
    what,
  );
  for (const login of permissionsFor) {
    const alias = doc.permissionAlias.get(login.toLowerCase()) ?? '';
    if (unreadable.has(`repository.${alias}`) || !repository) {
      cache.set(permissionKey(login), 'unknown');
      continue;
    }
    const edge = repository[alias]?.edges.find(
      (e) => e.node.login.toLowerCase() === login.toLowerCase(),
    );
    // Not a collaborator at all: no access, which no policy accepts.
    cache.set(permissionKey(login), edge ? toPermission(edge.permission) : 'none');
  }

  for (const { team, login } of memberships) {
    const teamAlias = doc.teamAlias.get(team.name.toLowerCase()) ?? '';
    const alias = doc.memberAlias.get(memberKey(team.name, login)) ?? '';
    const org = parseAnswer(TeamAnswer.optional(), answer[teamAlias], `${what} (${team.name})`);
    const members = org?.team?.[alias];
    const isMember = Boolean(
      members?.nodes.some((n) => n.login.toLowerCase() === login.toLowerCase()),
    );
    if (!isMember && members?.pageInfo.hasNextPage) {
      throw new GitHubFactsError(
        `could not confirm whether @${login} is in ${team.name}: too many similar logins`,
      );
    }
    // A missing organization or team (NOT_FOUND) has no members.
    cache.set(teamKey(team.name, login), isMember);
  }
}

/**
 * Which field an error is about. A permission the token may not read is unknown (that
 * reviewer does not count); a team that does not exist has no members; any other error
 * leaves the answer unknowable, so the whole decision fails closed.
 */
function classify(
  error: z.infer<typeof GraphqlError>,
  teamAlias: Map<string, string>,
  what: string,
): string {
  const [top, field] = error.path ?? [];
  const type = error.type ?? '';
  if (top === 'repository' && typeof field === 'string' && /^p\d+$/.test(field)) {
    if (type === 'FORBIDDEN' || type === 'NOT_FOUND') return `repository.${field}`;
  }
  if (typeof top === 'string' && [...teamAlias.values()].includes(top) && type === 'NOT_FOUND') {
    return top;
  }
  throw new GitHubFactsError(
    `could not read ${what}: GitHub's GraphQL API answered with errors: ${error.message ?? type}`,
  );
}

function toPermission(level: (typeof PERMISSIONS)[number]): RepositoryPermission {
  return level.toLowerCase() as RepositoryPermission;
}
