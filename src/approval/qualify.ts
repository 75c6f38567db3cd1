import type { GateFacts, Person } from './facts.ts';
import type { ApprovalPolicy, Permission } from './schema.ts';
import { PERMISSIONS } from './schema.ts';

/** Why a reviewer may not count, or undefined when they qualify. */
export function disqualification(
  person: Person,
  policy: ApprovalPolicy,
  facts: GateFacts,
  contributors: ReadonlyMap<string, string>,
): string | undefined {
  const key = person.login.toLowerCase();
  if (person.type !== 'User' || key.endsWith('[bot]')) {
    return person.type === 'User' || person.type === 'Bot'
      ? 'is a bot'
      : `is not a person (${person.type})`;
  }
  if (policy.serviceAccounts.some((s) => s.toLowerCase() === key)) return 'is a service account';
  const contributed = contributors.get(key);
  if (contributed) return contributed;
  const permission = permissionOf(facts, person.login);
  // Unknown is not "none": the data is missing, so the reviewer cannot count (fail closed).
  if (permission === undefined) return 'permission unknown';
  if (rank(permission) < rank(policy.minPermission)) {
    return `permission ${permission}, needs ${policy.minPermission}`;
  }
  if (!inApprovers(policy, facts, key)) return 'not in approvers';
  return undefined;
}

/** The teams of a login, lowercase, as "org/slug". */
export function teamsOf(facts: GateFacts, login: string): string[] {
  return (facts.approvers.teams[login.toLowerCase()] ?? []).map((t) => t.toLowerCase());
}

function inApprovers(policy: ApprovalPolicy, facts: GateFacts, key: string): boolean {
  const { users, teams } = policy.approvers;
  if (users.length === 0 && teams.length === 0) return true;
  if (users.some((u) => u.toLowerCase() === key)) return true;
  const mine = teamsOf(facts, key);
  return teams.some((t) => mine.includes(t.toLowerCase()));
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
