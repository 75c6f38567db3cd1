import type { ApproverFacts, PullRequestFacts } from './facts.ts';

/**
 * Who took part in writing or pushing a pull request, and so may not approve it: the
 * point of a second person is that they did not write the change.
 * Returns lowercase login -> the first reason found.
 */
export function contributors(pr: PullRequestFacts, approvers: ApproverFacts): Map<string, string> {
  const found = new Map<string, string>();
  const add = (login: string | undefined, reason: string) => {
    if (!login) return;
    const key = login.toLowerCase();
    if (!found.has(key)) found.set(key, reason);
  };
  const loginsByEmail = emailIndex(approvers.emails);
  const byEmail = (email: string | undefined): string[] => {
    if (!email) return [];
    const e = email.trim().toLowerCase();
    const noreply = noreplyLogin(e);
    return [...(loginsByEmail.get(e) ?? []), ...(noreply ? [noreply] : [])];
  };

  add(pr.author.login, 'author of the pull request');
  for (const commit of pr.commits) {
    const sha = short(commit.sha);
    for (const [who, role] of [
      [commit.author, 'author'],
      [commit.committer, 'committer'],
    ] as const) {
      add(who?.login, `${role} of commit ${sha}`);
      for (const login of byEmail(who?.email)) add(login, `${role} of commit ${sha}`);
    }
    for (const co of commit.coAuthors) {
      for (const login of byEmail(co.email)) add(login, `co-author of commit ${sha}`);
    }
    add(commit.pushedBy, `pushed commit ${sha}`);
  }
  return found;
}

/** GitHub's private addresses name the account: "123+login@" or "login@users.noreply...". */
function noreplyLogin(email: string): string | undefined {
  return /^(?:\d+\+)?([^@+]+)@users\.noreply\.github\.com$/.exec(email)?.[1];
}

function emailIndex(emails: Record<string, string[]>): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const [login, list] of Object.entries(emails)) {
    for (const email of list) {
      const key = email.trim().toLowerCase();
      index.set(key, [...(index.get(key) ?? []), login.toLowerCase()]);
    }
  }
  return index;
}

/** The 7-character form people recognise from git log. */
export function short(sha: string): string {
  return sha.slice(0, 7);
}
