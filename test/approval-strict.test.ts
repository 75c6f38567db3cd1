import { describe, expect, it } from 'vitest';
import { evaluate } from '../src/approval/evaluate.ts';
import type { CommitFact, GateFacts, ReviewDismissal, ReviewFact } from '../src/approval/facts.ts';
import { ApprovalSpec } from '../src/approval/schema.ts';

/**
 * Where the gate is strict by default: a dismissal by an author does not lift a request
 * for changes, a co-author's request for changes blocks, and a commit the gate cannot
 * attribute to an account is not approved.
 */

const HEAD = 'a'.repeat(40);
const SHA = 'c0ffee0'.padEnd(40, '1');
const policy = ApprovalSpec.parse({});

let nextId = 100;
function review(login: string, state: ReviewFact['state'] = 'APPROVED'): ReviewFact {
  const id = nextId++;
  return {
    id,
    author: { login, type: 'User' },
    state,
    commitId: HEAD,
    submittedAt: `2026-11-02T09:00:${String(id % 60).padStart(2, '0')}Z`,
  };
}
const dismissed = (r: ReviewFact, by: string | undefined): [ReviewFact, ReviewDismissal] => [
  { ...r, state: 'DISMISSED' },
  {
    reviewId: r.id,
    previousState: r.state,
    ...(by !== undefined && { by: { login: by, type: 'User' as const } }),
  },
];

const alice = { login: 'alice', email: 'alice@acme.example', name: 'Alice Andersson' };
const commit = (more: Partial<CommitFact> = {}): CommitFact => ({
  sha: SHA,
  authors: [alice],
  committer: alice,
  coAuthors: [],
  ...more,
});

/** Alice wrote the change, erin co-wrote it; bob, carol and dave may review. */
function facts(
  reviews: ReviewFact[],
  dismissals: ReviewDismissal[] = [],
  commits: CommitFact[] = [
    commit({
      authors: [alice, { login: 'erin', email: 'erin@acme.example', name: 'Erin' }],
      coAuthors: [{ name: 'Erin', email: 'erin@acme.example' }],
    }),
  ],
): GateFacts {
  return {
    repository: 'acme/shop',
    pullRequest: {
      number: 42,
      author: { login: 'alice', type: 'User' },
      baseRef: 'main',
      baseSha: 'b'.repeat(40),
      headSha: HEAD,
      head: { ref: 'feature' },
      commits,
      reviews,
      dismissals,
      files: ['src/app.ts'],
      forcePushes: [],
      pushes: [],
      baseChanges: [],
    },
    approvers: {
      permission: { alice: 'write', bob: 'write', carol: 'admin', dave: 'write', erin: 'write' },
      teams: {},
      unreadableTeams: {},
    },
  };
}

describe('a dismissed request for changes', () => {
  it.each([
    ['the pull request’s author', 'alice', 'author of the pull request'],
    ['a co-author', 'erin', `co-author of commit ${SHA.slice(0, 7)}`],
    ['a deleted account', undefined, 'no account to check'],
  ])('still blocks when %s dismissed it', (_, by, why) => {
    const [request, dismissal] = dismissed(review('dave', 'CHANGES_REQUESTED'), by);
    const verdict = evaluate(policy, facts([review('bob'), review('carol'), request], [dismissal]));
    expect(verdict.outcome).toBe('denied');
    expect(verdict.reasons).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^@dave requested changes; the dismissal by ${by ? `@${by}` : 'a deleted account'} does not lift it \\(${why.replace(/[()]/g, '\\$&')}\\): only a qualified reviewer who is not an author can`,
        ),
      ),
    );
    expect(verdict.counted.map((c) => c.login)).toEqual(['bob', 'carol']);
  });

  it('no longer blocks when a qualified reviewer who is not an author dismissed it', () => {
    const [request, dismissal] = dismissed(review('dave', 'CHANGES_REQUESTED'), 'carol');
    const verdict = evaluate(policy, facts([review('bob'), review('carol'), request], [dismissal]));
    expect(verdict.outcome).toBe('approved');
    expect(verdict.notCounted).toContainEqual({ login: 'dave', reason: 'dismissed' });
  });

  it('no longer blocks once its reviewer approved after it', () => {
    const [request, dismissal] = dismissed(review('dave', 'CHANGES_REQUESTED'), 'alice');
    const verdict = evaluate(policy, facts([review('bob'), request, review('dave')], [dismissal]));
    expect(verdict.outcome).toBe('approved');
  });

  it('is undecided when the dismisser’s permission cannot be read', () => {
    const [request, dismissal] = dismissed(review('dave', 'CHANGES_REQUESTED'), 'zoe');
    const verdict = evaluate(policy, facts([review('bob'), review('carol'), request], [dismissal]));
    expect(verdict.outcome).toBe('undecided');
    expect(verdict.reasons).toContainEqual(
      expect.stringMatching(
        /^cannot tell whether @dave's request for changes still blocks: .*@zoe/,
      ),
    );
  });

  it('is undecided when GitHub shows no dismissal for a dismissed review', () => {
    const verdict = evaluate(
      policy,
      facts([review('bob'), review('carol'), { ...review('dave'), state: 'DISMISSED' }]),
    );
    expect(verdict.outcome).toBe('undecided');
    expect(verdict.reasons).toContainEqual(
      expect.stringMatching(/^cannot tell what @dave's dismissed review \d+ was/),
    );
  });

  it('a dismissed approval does not count, whoever dismissed it', () => {
    const [approval, dismissal] = dismissed(review('dave'), 'alice');
    const verdict = evaluate(policy, facts([review('bob'), approval], [dismissal]));
    expect(verdict.outcome).toBe('denied');
    expect(verdict.notCounted).toContainEqual({ login: 'dave', reason: 'dismissed' });
  });
});

describe('a request for changes from a co-author', () => {
  it('blocks, as GitHub blocks the merge', () => {
    const verdict = evaluate(
      policy,
      facts([review('bob'), review('carol'), review('erin', 'CHANGES_REQUESTED')]),
    );
    expect(verdict.outcome).toBe('denied');
    expect(verdict.reasons).toContainEqual(
      `@erin requested changes (co-author of commit ${SHA.slice(0, 7)}: a request for changes from someone who wrote the change blocks too)`,
    );
    expect(verdict.notCounted).toContainEqual({
      login: 'erin',
      reason: `co-author of commit ${SHA.slice(0, 7)}`,
    });
  });

  it('does not block from someone who could not review anyway', () => {
    const f = facts([review('bob'), review('carol'), review('erin', 'CHANGES_REQUESTED')]);
    f.approvers.permission.erin = 'read';
    expect(evaluate(policy, f).outcome).toBe('approved');
  });
});

describe('a commit whose e-mail links to no GitHub account', () => {
  const stranger = { name: 'Gus Guest', email: 'gus@contractor.example' };
  it.each([
    ['author', commit({ authors: [stranger], committer: alice })],
    ['committer', commit({ committer: stranger })],
    ['co-author', commit({ authors: [alice, stranger], coAuthors: [stranger] })],
    ['co-author', commit({ coAuthors: [stranger] })],
  ])('is denied, naming the commit and its %s', (role, c) => {
    const verdict = evaluate(policy, facts([review('bob'), review('carol')], [], [c]));
    expect(verdict.outcome).toBe('denied');
    expect(verdict.reasons).toContainEqual(
      `cannot tell who wrote commit ${SHA.slice(0, 7)}: its ${role} Gus Guest <gus@contractor.example> links to no GitHub account (the gate does not approve a change it cannot attribute; the person can add and verify that address on their account)`,
    );
    expect(verdict.counted.map((c) => c.login)).toEqual(['bob', 'carol']);
  });

  it.each([
    ['a noreply address', { name: 'Gus', email: '4417+gus@users.noreply.github.com' }],
    ['GitHub’s own committer address', { name: 'GitHub', email: 'noreply@github.com' }],
  ])('is attributed through %s', (_, who) => {
    const c = commit({ committer: who });
    expect(evaluate(policy, facts([review('bob'), review('carol')], [], [c])).outcome).toBe(
      'approved',
    );
  });
});
