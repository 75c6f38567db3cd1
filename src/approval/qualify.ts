import type { GateFacts, Person, Unreadable } from './facts.ts';
import type { ApprovalPolicy, Permission } from './schema.ts';
import { PERMISSIONS } from './schema.ts';

export interface Disqualification {
  /** Why the reviewer does not count, as the verdict lists it. */
  reason: string;
  /**
   * Set when the reviewer might have counted but a fact about them could not be read:
   * the sentence naming what. The verdict is then undecided, never denied on a guess.
   */
  unknown?: string;
}

/** Why a reviewer may not count, or undefined when they qualify. */
export function disqualification(
  person: Person,
  policy: ApprovalPolicy,
  facts: GateFacts,
  contributors: ReadonlyMap<string, string>,
): Disqualification | undefined {
  const key = person.login.toLowerCase();
  if (person.type !== 'User' || key.endsWith('[bot]')) {
    const reason =
      person.type === 'User' || person.type === 'Bot'
        ? 'is a bot'
        : `is not a person (${person.type})`;
    return { reason };
  }
  if (policy.serviceAccounts.some((s) => s.toLowerCase() === key)) {
    return { reason: 'is a service account' };
  }
  const contributed = contributors.get(key);
  if (contributed) return { reason: contributed };
  // Before the permission: someone the policy never lets approve need not be looked up.
  const listed = approversListing(policy, facts, key);
  if (listed) return listed;
  const permission = permissionOf(facts, person.login);
  if (permission === undefined) {
    return {
      reason: 'permission unknown',
      unknown: `cannot read @${person.login}'s permission on ${facts.repository}: the token may not list its collaborators`,
    };
  }
  if (rank(permission) < rank(policy.minPermission)) {
    return { reason: `permission ${permission}, needs ${policy.minPermission}` };
  }
  return undefined;
}

/** The teams of a login, lowercase, as "org/slug". */
export function teamsOf(facts: GateFacts, login: string): string[] {
  return (facts.approvers.teams[login.toLowerCase()] ?? []).map((t) => t.toLowerCase());
}

/** The policy teams among `teams` whose members GitHub did not show. */
export function unreadableAmong(facts: GateFacts, teams: readonly string[]): string[] {
  return teams.filter((t) => facts.approvers.unreadableTeams[t.toLowerCase()] !== undefined);
}

/** The sentence saying why a team's members are unknown. */
export function unreadableTeam(facts: GateFacts, team: string): string {
  const why: Unreadable | undefined = facts.approvers.unreadableTeams[team.toLowerCase()];
  return why === 'forbidden'
    ? `cannot read team ${team}: GitHub refused the token (it needs read:org, or members: read for a GitHub App)`
    : `cannot read team ${team}: it does not exist or the token lacks read:org`;
}

/** Whether the policy's approvers list (if any) leaves this reviewer out. */
function approversListing(
  policy: ApprovalPolicy,
  facts: GateFacts,
  key: string,
): Disqualification | undefined {
  const { users, teams } = policy.approvers;
  if (users.length === 0 && teams.length === 0) return undefined;
  if (users.some((u) => u.toLowerCase() === key)) return undefined;
  const mine = teamsOf(facts, key);
  if (teams.some((t) => mine.includes(t.toLowerCase()))) return undefined;
  const [unread] = unreadableAmong(facts, teams);
  if (unread !== undefined) {
    return { reason: 'team membership unknown', unknown: unreadableTeam(facts, unread) };
  }
  return { reason: 'not in approvers' };
}

function permissionOf(facts: GateFacts, login: string) {
  const map = facts.approvers.permission;
  const exact = map[login];
  if (exact !== undefined) return exact;
  const key = login.toLowerCase();
  const entry = Object.entries(map).find(([k]) => k.toLowerCase() === key);
  return entry?.[1];
}

function rank(permission: Permission | 'none'): number {
  return permission === 'none' ? -1 : PERMISSIONS.indexOf(permission);
}
