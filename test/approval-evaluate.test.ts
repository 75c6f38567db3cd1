import { describe, expect, it } from 'vitest';
import { evaluate } from '../src/approval/evaluate.ts';
import type { CommitFact, GateFacts, ReviewFact, Unreadable } from '../src/approval/facts.ts';
import { ApprovalSpec } from '../src/approval/schema.ts';

const HEAD = 'aaaaaaa1111111111111111111111111111111111';
const OLD = 'bbbbbbb2222222222222222222222222222222222';
const MERGE = 'ccccccc3333333333333333333333333333333333';
const BASE = 'ddddddd4444444444444444444444444444444444';

let nextId = 1;
function review(
  login: string,
  state: ReviewFact['state'] = 'APPROVED',
  more: Partial<ReviewFact> = {},
): ReviewFact {
  const id = nextId++;
  return {
    id,
    author: { login, type: 'User' },
    state,
    commitId: HEAD,
    submittedAt: `2025-01-01T00:00:${String(id).padStart(2, '0')}Z`,
    ...more,
  };
}

const alice = { login: 'alice', email: 'alice@acme.example', name: 'Alice Andersson' };

/** A commit by alice, as the fetcher reads it: GitHub's author list and the trailers. */
function commit(more: Partial<CommitFact> = {}): CommitFact {
  return { sha: OLD, authors: [alice], committer: alice, coAuthors: [], ...more };
}

/** A co-author as both sources carry them: GitHub's list (linked or not) and the trailer. */
function coAuthoredBy(name: string, email: string, login?: string): Partial<CommitFact> {
  return {
    authors: [alice, { name, email, ...(login && { login }) }],
    coAuthors: [{ name, email }],
  };
}

/** Alice wrote the change; bob, carol, dave and erin may review it. */
function facts(reviews: ReviewFact[], more: Partial<GateFacts['pullRequest']> = {}): GateFacts {
  return {
    repository: 'acme/shop',
    deploySha: MERGE,
    pullRequest: {
      number: 42,
      author: { login: 'alice', type: 'User' },
      baseRef: 'main',
      baseSha: BASE,
      headSha: HEAD,
      head: { ref: 'feature' },
      mergeCommitSha: MERGE,
      mergeSignature: { valid: true, state: 'VALID', byGitHub: true, signer: 'web-flow' },
      commits: [commit()],
      reviews,
      dismissals: [],
      files: ['src/app.ts'],
      forcePushes: [],
      pushes: [],
      baseChanges: [],
      ...more,
    },
    approvers: {
      permission: {
        alice: 'write',
        bob: 'write',
        carol: 'admin',
        dave: 'maintain',
        erin: 'write',
        rita: 'read',
        'ci-user': 'write',
        'renovate[bot]': 'write',
        sam: 'write',
      },
      teams: {
        bob: ['acme/release-managers'],
        carol: ['acme/sre'],
        dave: ['acme/devs'],
      },
      unreadableTeams: {},
    },
  };
}

const base = ApprovalSpec.parse({});
const withTeams = ApprovalSpec.parse({
  requireFrom: [{ teams: ['acme/release-managers'], count: 1 }],
  paths: [
    {
      match: ['charts/**', '**/cache*.yaml', 'cdn/**'],
      minApprovals: 3,
      requireFrom: [{ teams: ['acme/sre'], count: 1 }],
    },
  ],
});

/** The same facts, except that GitHub did not show these policy teams' members. */
function unreadable(f: GateFacts, teams: Record<string, Unreadable>): GateFacts {
  const memberOf = Object.fromEntries(
    Object.entries(f.approvers.teams).map(([login, list]) => [
      login,
      list.filter((t) => !(t in teams)),
    ]),
  );
  return { ...f, approvers: { ...f.approvers, teams: memberOf, unreadableTeams: teams } };
}

interface Row {
  name: string;
  policy?: typeof base;
  facts: GateFacts;
  outcome: 'approved' | 'denied' | 'undecided';
  counted?: string[];
  notCounted?: { login: string; reason: string }[];
  missing?: string[];
  /** A reason the verdict must give. */
  says?: string;
}

const rows: Row[] = [
  {
    name: 'two independent approvals on the head',
    facts: facts([review('bob'), review('carol')]),
    outcome: 'approved',
    counted: ['bob', 'carol'],
  },
  {
    name: 'self-approval by the pull request author',
    facts: facts([review('alice'), review('bob')]),
    outcome: 'denied',
    counted: ['bob'],
    notCounted: [{ login: 'alice', reason: 'author of the pull request' }],
    missing: ['needs 1 more approval'],
  },
  {
    name: 'approval by a commit author',
    facts: facts([review('bob'), review('carol')], {
      commits: [commit({ authors: [{ login: 'Carol', email: 'carol@acme.example' }] })],
    }),
    outcome: 'denied',
    notCounted: [{ login: 'carol', reason: `author of commit ${OLD.slice(0, 7)}` }],
  },
  {
    name: 'approval by a committer',
    facts: facts([review('bob'), review('carol')], {
      commits: [commit({ committer: { login: 'carol', email: 'carol@acme.example' } })],
    }),
    outcome: 'denied',
    notCounted: [{ login: 'carol', reason: 'committer of commit bbbbbbb' }],
  },
  {
    name: 'co-author by a plain e-mail GitHub linked to their account',
    facts: facts([review('bob'), review('DAVE')], {
      commits: [commit(coAuthoredBy('D. Dunn', 'dave.dunn@acme.example', 'dave'))],
    }),
    outcome: 'denied',
    notCounted: [{ login: 'DAVE', reason: 'co-author of commit bbbbbbb' }],
  },
  {
    name: 'co-author by a trailer alone, noreply e-mail with id',
    facts: facts([review('bob'), review('carol')], {
      commits: [
        commit({ coAuthors: [{ name: 'C', email: '12345+Carol@users.noreply.github.com' }] }),
      ],
    }),
    outcome: 'denied',
    notCounted: [{ login: 'carol', reason: 'co-author of commit bbbbbbb' }],
  },
  {
    name: 'co-author by plain noreply e-mail, unlinked',
    facts: facts([review('bob'), review('carol')], {
      commits: [commit(coAuthoredBy('C', 'carol@users.noreply.github.com'))],
    }),
    outcome: 'denied',
    notCounted: [{ login: 'carol', reason: 'co-author of commit bbbbbbb' }],
  },
  {
    name: 'co-author by name alone, in another letter case',
    facts: facts([review('bob'), review('carol')], {
      commits: [commit(coAuthoredBy('Carol', 'c@home.example'))],
    }),
    outcome: 'denied',
    notCounted: [{ login: 'carol', reason: 'co-author of commit bbbbbbb (by name)' }],
  },
  {
    name: 'a co-author who reviewed nothing changes nothing',
    facts: facts([review('bob'), review('carol')], {
      commits: [commit(coAuthoredBy('Gus Guest', 'gus@contractor.example', 'gus-guest'))],
    }),
    outcome: 'approved',
    counted: ['bob', 'carol'],
  },
  {
    name: 'a co-author linked to no account: the gate cannot tell who wrote the commit',
    facts: facts([review('bob'), review('carol')], {
      commits: [commit(coAuthoredBy('Gus Guest', 'gus@contractor.example'))],
    }),
    outcome: 'denied',
    counted: ['bob', 'carol'],
    says: 'cannot tell who wrote commit bbbbbbb: its co-author Gus Guest <gus@contractor.example> links to no GitHub account',
  },
  {
    name: 'someone who force-pushed the branch',
    facts: facts([review('bob'), review('carol')], {
      forcePushes: [{ login: 'CAROL', afterSha: HEAD }],
    }),
    outcome: 'denied',
    notCounted: [{ login: 'carol', reason: "force-pushed the pull request's branch (to aaaaaaa)" }],
  },
  {
    name: 'approve-then-push: approval on an older commit',
    facts: facts([review('bob'), review('carol', 'APPROVED', { commitId: OLD })]),
    outcome: 'denied',
    notCounted: [{ login: 'carol', reason: 'approved an older commit (bbbbbbb), not the head' }],
    missing: ['needs 1 more approval'],
  },
  {
    name: 're-approval on the new head',
    facts: facts([
      review('bob'),
      review('carol', 'APPROVED', { commitId: OLD }),
      review('carol', 'APPROVED'),
    ]),
    outcome: 'approved',
    counted: ['bob', 'carol'],
  },
  {
    name: 'one person approving twice counts once',
    facts: facts([review('bob'), review('Bob')]),
    outcome: 'denied',
    counted: ['bob'],
    missing: ['needs 1 more approval'],
  },
  {
    name: 'bot approval',
    facts: facts([
      review('bob'),
      { ...review('renovate[bot]'), author: { login: 'renovate[bot]', type: 'Bot' } },
    ]),
    outcome: 'denied',
    notCounted: [{ login: 'renovate[bot]', reason: 'is a bot' }],
  },
  {
    name: 'a user account named like a bot',
    facts: facts([review('bob'), review('renovate[bot]')]),
    outcome: 'denied',
    notCounted: [{ login: 'renovate[bot]', reason: 'is a bot' }],
  },
  {
    name: 'service account',
    policy: ApprovalSpec.parse({ serviceAccounts: ['CI-User'] }),
    facts: facts([review('bob'), review('ci-user')]),
    outcome: 'denied',
    notCounted: [{ login: 'ci-user', reason: 'is a service account' }],
  },
  {
    name: 'approver without write permission',
    facts: facts([review('bob'), review('rita')]),
    outcome: 'denied',
    notCounted: [{ login: 'rita', reason: 'permission read, needs write' }],
  },
  {
    name: 'stricter minimum permission',
    policy: ApprovalSpec.parse({ minPermission: 'maintain' }),
    facts: facts([review('carol'), review('dave'), review('bob')]),
    outcome: 'approved',
    notCounted: [{ login: 'bob', reason: 'permission write, needs maintain' }],
  },
  {
    name: 'not in the approvers list',
    policy: ApprovalSpec.parse({ approvers: { users: ['Bob'], teams: ['acme/sre'] } }),
    facts: facts([review('bob'), review('carol'), review('dave')]),
    outcome: 'approved',
    counted: ['bob', 'carol'],
    notCounted: [{ login: 'dave', reason: 'not in approvers' }],
  },
  {
    name: 'team rule unmet',
    policy: withTeams,
    facts: facts([review('carol'), review('dave')]),
    outcome: 'denied',
    missing: ['needs 1 more approval from @acme/release-managers'],
  },
  {
    name: 'team rule met',
    policy: withTeams,
    facts: facts([review('bob'), review('dave')]),
    outcome: 'approved',
  },
  {
    name: 'path rule triggers: SRE and a third approval needed',
    policy: withTeams,
    facts: facts([review('bob'), review('dave')], { files: ['deploy/cache-cdn.yaml'] }),
    outcome: 'denied',
    missing: ['needs 1 more approval', 'needs 1 more approval from @acme/sre'],
  },
  {
    name: 'path rule triggers and is met',
    policy: withTeams,
    facts: facts([review('bob'), review('dave'), review('carol')], {
      files: ['charts/shop/values.yaml'],
    }),
    outcome: 'approved',
  },
  {
    name: 'path rule does not trigger',
    policy: withTeams,
    facts: facts([review('bob'), review('dave')], { files: ['src/cache.ts', 'docs/cdn.md'] }),
    outcome: 'approved',
  },
  {
    name: 'CHANGES_REQUESTED then APPROVED by the same person counts',
    facts: facts([review('bob'), review('carol', 'CHANGES_REQUESTED'), review('carol')]),
    outcome: 'approved',
    counted: ['bob', 'carol'],
  },
  {
    name: 'APPROVED then CHANGES_REQUESTED blocks',
    facts: facts([
      review('bob'),
      review('carol'),
      review('dave'),
      review('carol', 'CHANGES_REQUESTED'),
    ]),
    outcome: 'denied',
    counted: ['bob', 'dave'],
    notCounted: [{ login: 'carol', reason: 'requested changes' }],
  },
  {
    name: 'changes requested by an unqualified reviewer do not block',
    facts: facts([review('bob'), review('carol'), review('rita', 'CHANGES_REQUESTED')]),
    outcome: 'approved',
  },
  {
    name: 'COMMENTED after APPROVED still counts',
    facts: facts([review('bob'), review('carol'), review('carol', 'COMMENTED')]),
    outcome: 'approved',
    counted: ['bob', 'carol'],
  },
  {
    name: 'dismissed approval',
    facts: facts([review('bob'), review('carol', 'DISMISSED', { id: 77 })], {
      dismissals: [
        { reviewId: 77, by: { login: 'alice', type: 'User' }, previousState: 'APPROVED' },
      ],
    }),
    outcome: 'denied',
    notCounted: [{ login: 'carol', reason: 'dismissed' }],
  },
  {
    name: 'an approval of the head by someone of unknown permission: undecided',
    facts: facts([review('bob'), review('zoe')]),
    outcome: 'undecided',
    notCounted: [{ login: 'zoe', reason: 'permission unknown' }],
    says: "cannot read @zoe's permission on acme/shop: the token may not list its collaborators",
  },
  {
    name: 'an approval of an older commit by someone of unknown permission: still denied',
    facts: facts([review('bob'), review('zoe', 'APPROVED', { commitId: OLD })]),
    outcome: 'denied',
    missing: ['needs 1 more approval'],
  },
  {
    name: 'changes requested by someone of unknown permission: undecided',
    facts: facts([review('bob'), review('carol'), review('zoe', 'CHANGES_REQUESTED')]),
    outcome: 'undecided',
    says: "cannot tell whether @zoe's request for changes blocks: cannot read @zoe's permission",
  },
  {
    name: 'a required team that could not be read: undecided, not denied',
    policy: withTeams,
    facts: unreadable(facts([review('carol'), review('dave')]), {
      'acme/release-managers': 'hidden',
    }),
    outcome: 'undecided',
    missing: ['needs 1 more approval from @acme/release-managers'],
    says: 'cannot read team acme/release-managers: it does not exist or the token lacks read:org',
  },
  {
    name: 'an unreadable team in a rule another of its teams meets',
    policy: ApprovalSpec.parse({
      requireFrom: [{ teams: ['acme/release-managers', 'acme/ghosts'] }],
    }),
    facts: unreadable(facts([review('bob'), review('dave')]), { 'acme/ghosts': 'hidden' }),
    outcome: 'approved',
  },
  {
    name: 'an approvers team GitHub refused to show: undecided',
    policy: ApprovalSpec.parse({ approvers: { teams: ['acme/sre'] } }),
    facts: unreadable(facts([review('bob'), review('carol')]), { 'acme/sre': 'forbidden' }),
    outcome: 'undecided',
    notCounted: [{ login: 'bob', reason: 'team membership unknown' }],
    says: 'cannot read team acme/sre: GitHub refused the token (it needs read:org, or members: read for a GitHub App)',
  },
  {
    name: 'truncated facts: undecided even with approvals',
    facts: facts([review('bob'), review('carol')], { truncated: 'more than 250 commits' }),
    outcome: 'undecided',
  },
  {
    name: 'deployed commit is not the merge commit',
    facts: { ...facts([review('bob'), review('carol')]), deploySha: HEAD },
    outcome: 'denied',
  },
];

describe('evaluate', () => {
  it.each(rows)('$name', (row) => {
    const verdict = evaluate(row.policy ?? base, row.facts);
    expect(verdict.outcome).toBe(row.outcome);
    if (row.outcome === 'approved') {
      expect(verdict.reasons).toEqual([]);
      expect(verdict.missing).toEqual([]);
    } else {
      expect(verdict.reasons.length).toBeGreaterThan(0);
    }
    if (row.counted) expect(verdict.counted.map((c) => c.login)).toEqual(row.counted);
    for (const n of row.notCounted ?? []) expect(verdict.notCounted).toContainEqual(n);
    if (row.missing) expect(verdict.missing).toEqual(row.missing);
    if (row.says) expect(verdict.reasons.join('\n')).toContain(row.says);
  });

  it('keeps evidence of each counted approval', () => {
    const bob = review('bob');
    const verdict = evaluate(base, facts([bob, review('carol')]));
    expect(verdict.counted[0]).toEqual({ login: 'bob', reviewId: bob.id, commitId: HEAD });
    expect(verdict.evidence).toEqual({
      repository: 'acme/shop',
      pullRequest: 42,
      baseRef: 'main',
      baseSha: BASE,
      headSha: HEAD,
      deploySha: MERGE,
    });
  });

  it('explains the requirements it applied', () => {
    const verdict = evaluate(withTeams, facts([], { files: ['cdn/edge.vcl'] }));
    expect(verdict.required).toEqual({
      approvals: 3,
      teams: [
        { teams: ['acme/release-managers'], count: 1 },
        { teams: ['acme/sre'], count: 1 },
      ],
    });
    expect(verdict.missing).toEqual([
      'needs 3 more approvals',
      'needs 1 more approval from @acme/release-managers',
      'needs 1 more approval from @acme/sre',
    ]);
  });

  it('says why the facts were incomplete', () => {
    const verdict = evaluate(base, facts([], { truncated: 'reviews: more than 100' }));
    expect(verdict.reasons[0]).toContain('reviews: more than 100');
  });
});

describe('approval schema', () => {
  it('fills defaults', () => {
    expect(ApprovalSpec.parse({})).toEqual({
      minApprovals: 2,
      minPermission: 'write',
      approvers: { teams: [], users: [] },
      requireFrom: [],
      paths: [],
      protectedBranches: [],
      serviceAccounts: [],
      forkPushes: 'deny',
      localMerges: { signers: [] },
    });
  });

  it.each([
    { minApprovals: 0 },
    { minApproval: 2 },
    { minPermission: 'owner' },
    { requireFrom: [{ teams: ['release-managers'], count: 1 }] },
    { paths: [{ match: ['x'], extra: true }] },
    { approvers: { people: [] } },
  ])('rejects %j', (input) => {
    expect(ApprovalSpec.safeParse(input).success).toBe(false);
  });
});
