import type { Octokit } from 'octokit';
import { z } from 'zod';
import {
  type ApproversDocument,
  approversDocument,
  memberKey,
  teamRef,
} from './approvers-query.ts';
import type { ApproverFacts, RepositoryPermission, Unreadable } from './facts.ts';
import { factsError, GitHubFactsError } from './fetch-errors.ts';
import type { ApprovalPolicy } from './schema.ts';
import { parseAnswer } from './validate-response.ts';

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
type GraphqlError = z.infer<typeof GraphqlError>;

const WHAT = 'the permissions and team memberships of the reviewers';

/**
 * Repository permission and policy team memberships of every reviewer, in one GraphQL
 * request however many reviewers and teams there are (none when nobody reviewed).
 * What the token may not read is reported as such, never guessed: a permission left
 * out is unknown, and a team whose members could not be read is listed as unreadable.
 */
export async function fetchApprovers(
  octokit: Octokit,
  query: ApproverQuery,
): Promise<ApproverFacts> {
  const facts: ApproverFacts = { permission: {}, teams: {}, unreadableTeams: {} };
  for (const login of query.logins) facts.teams[login.toLowerCase()] = [];
  if (query.logins.length === 0) return facts;

  const teams = query.teams.map(teamRef);
  const doc = approversDocument(query.logins, teams);
  const { answer, errors } = await request(octokit, query, doc);
  const unreadable = new Map<string, Unreadable>();
  for (const error of errors) {
    const [alias, why] = classify(error, doc);
    unreadable.set(alias, why);
  }

  const repository = parseAnswer(
    z.record(z.string(), CollaboratorAnswer).nullable().optional(),
    answer.repository,
    WHAT,
  );
  for (const login of query.logins) {
    const alias = doc.permissionAlias.get(login.toLowerCase()) ?? '';
    const collaborator = repository?.[alias];
    // No answer (null, left out, or an error) is unknown: evaluate() will not guess it.
    if (!collaborator || unreadable.has('repository') || unreadable.has(`repository.${alias}`)) {
      continue;
    }
    const edge = collaborator.edges.find((e) => e.node.login.toLowerCase() === login.toLowerCase());
    // Not a collaborator at all: no access, which no policy accepts.
    facts.permission[login] = edge ? toPermission(edge.permission) : 'none';
  }

  for (const team of teams) {
    const teamAlias = doc.teamAlias.get(team.name.toLowerCase()) ?? '';
    const org = parseAnswer(TeamAnswer.optional(), answer[teamAlias], `${WHAT} (${team.name})`);
    const members = org?.team;
    const key = team.name.toLowerCase();
    // GitHub answers a team the token may not see exactly like one that does not exist.
    if (!members || unreadable.has(teamAlias)) {
      facts.unreadableTeams[key] = unreadable.get(teamAlias) ?? 'hidden';
      continue;
    }
    for (const login of query.logins) {
      const found = members[doc.memberAlias.get(memberKey(team.name, login)) ?? ''];
      if (!found) {
        facts.unreadableTeams[key] = 'hidden';
        continue;
      }
      const isMember = found.nodes.some((n) => n.login.toLowerCase() === login.toLowerCase());
      if (!isMember && found.pageInfo.hasNextPage) {
        throw new GitHubFactsError(
          `could not confirm whether @${login} is in ${team.name}: too many similar logins`,
        );
      }
      if (isMember) facts.teams[login.toLowerCase()]?.push(team.name);
    }
  }
  return facts;
}

/**
 * GitHub answers what it may and lists the rest as errors; anything but such a partial
 * answer (a network failure, a 5xx, a rate limit) is a failure to decide.
 */
async function request(
  octokit: Octokit,
  query: ApproverQuery,
  doc: ApproversDocument,
): Promise<{ answer: Record<string, unknown>; errors: GraphqlError[] }> {
  let data: unknown;
  let errors: GraphqlError[] = [];
  try {
    data = await octokit.graphql(doc.query, {
      owner: query.owner,
      repo: query.repo,
      ...doc.variables,
    });
  } catch (error) {
    const partial = error as { name?: string; data?: unknown; errors?: unknown };
    if (partial.name !== 'GraphqlResponseError' || partial.data == null) {
      throw factsError(error, `could not read ${WHAT}`);
    }
    data = partial.data;
    errors = parseAnswer(z.array(GraphqlError), partial.errors ?? [], WHAT);
  }
  return { answer: parseAnswer(z.record(z.string(), z.unknown()), data, WHAT), errors };
}

/**
 * Which field an error is about, and why it could not be read. A refused or missing
 * permission or team is data the verdict must do without (and so says so); any other
 * error leaves the answer unknowable, so the whole decision fails closed.
 */
function classify(error: GraphqlError, doc: ApproversDocument): [string, Unreadable] {
  const [top, field] = error.path ?? [];
  const why = error.type === 'FORBIDDEN' ? 'forbidden' : 'hidden';
  const refused = error.type === 'FORBIDDEN' || error.type === 'NOT_FOUND';
  if (refused && top === 'repository') {
    if (field === undefined) return ['repository', why];
    if (typeof field === 'string' && /^p\d+$/.test(field)) return [`repository.${field}`, why];
  }
  if (refused && typeof top === 'string' && [...doc.teamAlias.values()].includes(top)) {
    return [top, why];
  }
  throw new GitHubFactsError(
    `could not read ${WHAT}: GitHub's GraphQL API answered with errors: ${error.message ?? error.type}`,
  );
}

function toPermission(level: (typeof PERMISSIONS)[number]): RepositoryPermission {
  return level.toLowerCase() as RepositoryPermission;
}
