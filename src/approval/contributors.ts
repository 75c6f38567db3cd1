import type { GitIdentity, PullRequestFacts } from './facts.ts';

/**
 * Who took part in writing or pushing a pull request, and so may not approve it: the
 * point of a second person is that they did not write the change. Pushers come from the
 * repository activity (see Push) and, for force pushes, the timeline too.
 * Returns lowercase login -> the first reason found.
 *
 * A git identity points at a login in three ways, each enough on its own:
 * - GitHub linked it to an account (an e-mail that account verified);
 * - the e-mail is one of GitHub's private addresses, which name the account;
 * - the name is spelled like a login. Excluding a namesake by mistake costs one more
 *   approval; counting a co-author by mistake defeats the gate, so this errs to exclude.
 */
export function contributors(pr: PullRequestFacts): Map<string, string> {
  const found = new Map<string, string>();
  const add = (login: string | undefined, reason: string) => {
    if (!login) return;
    const key = login.toLowerCase();
    if (!found.has(key)) found.set(key, reason);
  };
  const identify = (who: GitIdentity | undefined, reason: string) => {
    if (!who) return;
    add(who.login, reason);
    add(noreplyLogin(who.email), reason);
    const name = who.name?.trim() ?? '';
    if (LOGIN.test(name)) add(name, `${reason} (by name)`);
  };

  add(pr.author.login, 'author of the pull request');
  for (const commit of pr.commits) {
    const sha = short(commit.sha);
    const [author, ...coAuthors] = commit.authors;
    identify(author, `author of commit ${sha}`);
    identify(commit.committer, `committer of commit ${sha}`);
    for (const co of [...coAuthors, ...commit.coAuthors]) {
      identify(co, `co-author of commit ${sha}`);
    }
  }
  for (const push of pr.forcePushes) {
    const to = push.afterSha ? ` (to ${short(push.afterSha)})` : '';
    add(push.login, `force-pushed the pull request's branch${to}`);
  }
  for (const push of pr.pushes) {
    add(push.login, `pushed to the pull request’s branch (to ${short(push.afterSha)})`);
  }
  return found;
}

/**
 * One sentence per commit that names a writer GitHub links to no account. Such a person
 * may be a reviewer under another address, and then their approval would count for a
 * change they wrote: the gate cannot tell, so it does not approve.
 */
export function unattributed(pr: PullRequestFacts): string[] {
  const sentences: string[] = [];
  for (const commit of pr.commits) {
    const [author, ...coAuthors] = commit.authors;
    const linked = new Set(
      commit.authors.filter((a) => a.login).map((a) => a.email?.trim().toLowerCase()),
    );
    const roles: [string, GitIdentity | undefined][] = [
      ['author', author],
      ['committer', commit.committer],
      ...coAuthors.map((a): [string, GitIdentity] => ['co-author', a]),
      // A trailer GitHub did not link in its own list is as unknown as an unlinked author.
      ...commit.coAuthors
        .filter((t) => !linked.has(t.email.trim().toLowerCase()))
        .map((t): [string, GitIdentity] => ['co-author', t]),
    ];
    const unknown = new Set<string>();
    for (const [role, who] of roles) {
      if (!who || attributed(who)) continue;
      unknown.add(`${role} ${who.name?.trim() || '(no name)'} <${who.email?.trim() ?? ''}>`);
    }
    if (unknown.size === 0) continue;
    sentences.push(
      `cannot tell who wrote commit ${short(commit.sha)}: its ${[...unknown].join(', ')} ${unknown.size === 1 ? 'links' : 'link'} to no GitHub account (the gate does not approve a change it cannot attribute; the person can add and verify that address on their account)`,
    );
  }
  return sentences;
}

/** GitHub linked it, or its address names the account, or it is GitHub's own committer. */
function attributed(who: GitIdentity): boolean {
  const email = who.email?.trim().toLowerCase() ?? '';
  return Boolean(who.login || noreplyLogin(email) || email === 'noreply@github.com');
}

/** GitHub's rule for logins: letters, digits and single hyphens, at most 39 characters. */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/** GitHub's private addresses name the account: "123+login@" or "login@users.noreply...". */
function noreplyLogin(email: string | undefined): string | undefined {
  const e = email?.trim().toLowerCase() ?? '';
  return /^(?:\d+\+)?([^@+]+)@users\.noreply\.github\.com$/.exec(e)?.[1];
}

/** The 7-character form people recognise from git log. */
export function short(sha: string): string {
  return sha.slice(0, 7);
}
