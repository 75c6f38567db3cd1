import nock from 'nock';
import type { Octokit } from 'octokit';
import { beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../src/approval/decide.ts';
import { ApprovalSpec } from '../src/approval/schema.ts';
import { createGitHub } from '../src/github/client.ts';
import {
  activityNode,
  HEAD_REF,
  isApproversQuery,
  isPullRequestQuery,
  pullRequestAnswer,
  replyApprovers,
  staff,
} from './support/github-answers.ts';
import { offline } from './support/offline.ts';

/**
 * Who pushed to the pull request's branch. Git records an author and a committer, both of
 * which the pusher chooses: bob can push a commit written under alice's name and then
 * approve it. The repository activity names the account behind every push, so the gate
 * reads it and counts no pusher as an approver.
 */

const API = 'https://api.github.test';
const HEAD = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
const FIRST = 'e83c5163316f89bfbde7d9ab23ca2e25604af290';
const MERGE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const PERMISSIONS = { alice: 'write', bob: 'write', carol: 'admin', dave: 'write' } as const;
const ACTIVITY = '/repos/acme/shop/activity';

offline();

let octokit: Octokit;
beforeAll(async () => {
  octokit = await createGitHub({ token: 'ghp_pushers', baseUrl: API, retries: false });
});

const approval = (id: number, login: string) => ({
  databaseId: id,
  state: 'APPROVED',
  submittedAt: '2026-11-02T10:00:00Z',
  author: { login, __typename: 'User' },
  commit: { oid: HEAD },
});

/** Alice's pull request #42: one commit in alice's name, approved by `approvers`. */
function answer(approvers = ['bob', 'carol', 'dave']) {
  return pullRequestAnswer({
    number: 42,
    author: 'alice',
    head: HEAD,
    merge: MERGE,
    commit: { oid: HEAD, author: staff('alice') },
    reviews: approvers.map((login, i) => approval(i + 1, login)),
    files: ['src/cart.ts'],
  });
}

/** A pull request whose head branch is in `fork` (null: the fork was deleted). */
function fromFork(fork: string | null) {
  const a = answer();
  const pr = a.data.repository.pullRequest as Record<string, unknown>;
  pr.isCrossRepository = true;
  pr.headRepository = fork ? { nameWithOwner: fork } : null;
  return a;
}

function mockGitHub(pr: unknown) {
  nock(API)
    .post('/graphql', isPullRequestQuery)
    .reply(200, pr as nock.Body);
  nock(API)
    .post('/graphql', isApproversQuery)
    .optionally()
    .reply(replyApprovers({ pullRequest: pr, permissions: PERMISSIONS, teams: {} }));
}

/** The branch's activity, answered only when asked for that branch. */
function mockActivity(pages: unknown[][]) {
  const scope = nock(API);
  pages.forEach((items, i) => {
    const next: Record<string, string> =
      i + 1 < pages.length
        ? {
            link: `<${API}${ACTIVITY}?ref=refs%2Fheads%2F${HEAD_REF}&per_page=100&after=c${i + 1}>; rel="next"`,
          }
        : {};
    scope
      .get(ACTIVITY)
      .query(
        (q) => q.ref === `refs/heads/${HEAD_REF}` && q.after === (i === 0 ? undefined : `c${i}`),
      )
      .reply(200, items, next);
  });
  return scope;
}

const gate = (policy: Record<string, unknown> = {}) =>
  decide(octokit, ApprovalSpec.parse(policy), { owner: 'acme', repo: 'shop', pullNumber: 42 });

describe('pushers of the pull request branch', () => {
  it('does not count a reviewer who pushed a commit under someone else’s name', async () => {
    mockGitHub(answer());
    const activity = mockActivity([
      [
        activityNode({ login: 'bob', before: FIRST, after: HEAD }),
        activityNode({ login: 'alice', type: 'branch_creation', after: FIRST }),
      ],
    ]);
    const v = await gate();
    expect(activity.isDone()).toBe(true);
    expect(v.counted.map((c) => c.login).sort()).toEqual(['carol', 'dave']);
    expect(v.notCounted).toContainEqual({
      login: 'bob',
      reason: 'pushed to the pull request’s branch (to 9f2c4e1)',
    });
  });

  it('reads every page of the activity', async () => {
    mockGitHub(answer());
    const filler = Array.from({ length: 100 }, (_, i) =>
      activityNode({ login: 'alice', after: i.toString(16).padStart(40, 'c') }),
    );
    const activity = mockActivity([filler, [activityNode({ login: 'Carol', after: HEAD })]]);
    const v = await gate();
    expect(activity.isDone()).toBe(true);
    expect(v.outcome).toBe('approved');
    expect(v.counted.map((c) => c.login)).toEqual(['bob', 'dave']);
    expect(v.notCounted).toContainEqual({
      login: 'carol',
      reason: 'pushed to the pull request’s branch (to 9f2c4e1)',
    });
  });

  it('does not exclude whoever only deleted the branch after the merge', async () => {
    mockGitHub(answer(['bob', 'carol']));
    mockActivity([
      [
        activityNode({
          login: 'carol',
          type: 'branch_deletion',
          before: HEAD,
          after: '0'.repeat(40),
        }),
        activityNode({ login: 'alice', after: HEAD }),
      ],
    ]);
    const v = await gate();
    expect(v.outcome).toBe('approved');
  });

  it('is undecided, saying why, when the token may not read the activity', async () => {
    mockGitHub(answer());
    nock(API).get(ACTIVITY).query(true).reply(403, {
      message: 'Resource not accessible by personal access token',
      documentation_url: 'https://docs.github.com/rest/repos/repos#list-repository-activities',
      status: '403',
    });
    const v = await gate();
    expect(v.outcome).toBe('undecided');
    expect(v.reasons).toEqual([
      `could not read who pushed to branch ${HEAD_REF} (the repository activity of acme/shop): GitHub answered 403: the token may not read the repository's activity, and without it the gate cannot tell who pushed the commits`,
    ]);
  });

  it('is undecided when the activity is malformed', async () => {
    mockGitHub(answer());
    nock(API)
      .get(ACTIVITY)
      .query(true)
      .reply(200, [{ activity_type: 'push' }]);
    const v = await gate();
    expect(v.outcome).toBe('undecided');
    expect(v.reasons.join('\n')).toMatch(/activity of acme\/shop\), page 1 was malformed: 0\.ref/);
  });
});

describe('a head branch in a fork', () => {
  it('is denied by default: the fork’s pushers cannot be read', async () => {
    mockGitHub(fromFork('mallory/shop'));
    const v = await gate();
    expect(v.outcome).toBe('denied');
    expect(v.reasons).toContain(
      'the head branch is in the fork mallory/shop: GitHub shows acme/shop nothing of who pushed there, so the pushers could not be checked (policy approval.forkPushes: allow accepts fork pull requests without that check)',
    );
  });

  it('a deleted fork is denied the same way', async () => {
    mockGitHub(fromFork(null));
    const v = await gate();
    expect(v.outcome).toBe('denied');
    expect(v.reasons.join('\n')).toMatch(/head branch is in a deleted fork/);
  });

  it('forkPushes: allow accepts it, on the commits’ authors alone', async () => {
    mockGitHub(fromFork('mallory/shop'));
    const v = await gate({ forkPushes: 'allow' });
    expect(v.outcome).toBe('approved');
    expect(v.counted).toHaveLength(3);
  });

  it('refuses a forkPushes value it does not know', () => {
    const parsed = ApprovalSpec.safeParse({ forkPushes: 'yes' });
    expect(parsed.success).toBe(false);
  });
});
