import nock from 'nock';
import type { Octokit } from 'octokit';
import { beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../src/approval/decide.ts';
import { ApprovalSpec } from '../src/approval/schema.ts';
import { createGitHub } from '../src/github/client.ts';
import { answerActivity } from './support/activity.ts';
import {
  baseRefChangedNode,
  commitNode,
  type GraphqlBody,
  isApproversQuery,
  isPullRequestQuery,
  onePage,
  pullRequestAnswer,
  replyApprovers,
  staff,
  timelineAsAsked,
} from './support/github-answers.ts';
import { offline } from './support/offline.ts';

/**
 * A pull request approved against one base branch and then retargeted to another: the
 * approvers saw the diff against the old base, not the commits the new base lacks (here
 * dave's, pushed straight to develop without review). GitHub dismisses such approvals when
 * the merge base changes; the gate reads the retarget from the timeline and does the same.
 */

const API = 'https://api.github.test';
const HEAD = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
const DIRECT = '5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f';
const MERGE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const PERMISSIONS = { alice: 'write', bob: 'write', carol: 'admin', dave: 'write' } as const;

offline();
answerActivity(API);

let octokit: Octokit;
beforeAll(async () => {
  octokit = await createGitHub({ token: 'ghp_retarget', baseUrl: API, retries: false });
});

const approval = (id: number, login: string, at: string) => ({
  databaseId: id,
  state: 'APPROVED',
  submittedAt: at,
  author: { login, __typename: 'User' },
  commit: { oid: HEAD },
});

/** Alice's pull request #42, approved by bob and carol at 10:00, and `timeline` since. */
function answer(timeline: unknown[], reviews = [approval(1, 'bob', '2026-11-02T10:00:00Z')]) {
  const a = pullRequestAnswer({
    number: 42,
    author: 'alice',
    head: HEAD,
    merge: MERGE,
    commit: { oid: HEAD, author: staff('alice') },
    reviews: [...reviews, approval(2, 'carol', '2026-11-02T10:00:30Z')],
    files: ['src/cart.ts'],
  });
  const pr = a.data.repository.pullRequest;
  // The commit dave pushed straight to develop, in the diff once main is the base.
  pr.commits = onePage([commitNode({ oid: DIRECT, author: staff('dave') }), ...pr.commits.nodes]);
  pr.timelineItems = onePage(timeline) as never;
  return a;
}

function mockGitHub(pr: ReturnType<typeof answer>) {
  nock(API)
    .post('/graphql', isPullRequestQuery)
    .reply(async (request: Request) => {
      const { query } = (await request.json()) as GraphqlBody;
      return [200, timelineAsAsked(query, pr)];
    });
  nock(API)
    .post('/graphql', isApproversQuery)
    .reply(replyApprovers({ pullRequest: pr, permissions: PERMISSIONS, teams: {} }));
}

const gate = () =>
  decide(octokit, ApprovalSpec.parse({}), { owner: 'acme', repo: 'shop', pullNumber: 42 });

describe('a pull request retargeted after it was approved', () => {
  it('does not count approvals given before the base branch changed', async () => {
    mockGitHub(answer([baseRefChangedNode('2026-11-02T11:00:00Z', 'develop', 'main')]));
    const v = await gate();
    expect(v.outcome).toBe('denied');
    expect(v.counted).toEqual([]);
    const reasons = Object.fromEntries(v.notCounted.map((n) => [n.login, n.reason]));
    expect(reasons.bob).toBe(
      'approved before the base branch changed from develop to main at 2026-11-02T11:00:00Z: the approval was of the diff against develop',
    );
    expect(reasons.carol).toMatch(/^approved before the base branch changed from develop to main/);
    expect(v.reasons.join('\n')).toMatch(/needs 2 more approvals/);
  });

  it('judges by the last change when the base changed more than once', async () => {
    const pr = answer(
      [
        baseRefChangedNode('2026-11-02T09:00:00Z', 'main', 'develop'),
        baseRefChangedNode('2026-11-02T10:00:10Z', 'develop', 'main'),
      ],
      [approval(1, 'bob', '2026-11-02T10:00:00Z')],
    );
    mockGitHub(pr);
    const v = await gate();
    expect(v.counted.map((c) => c.login)).toEqual(['carol']);
    expect(v.notCounted).toContainEqual({
      login: 'bob',
      reason:
        'approved before the base branch changed from develop to main at 2026-11-02T10:00:10Z: the approval was of the diff against develop',
    });
  });

  it('counts approvals given after the retarget', async () => {
    mockGitHub(
      answer(
        [baseRefChangedNode('2026-11-02T09:30:00Z', 'develop', 'main')],
        [approval(1, 'bob', '2026-11-02T10:00:00Z')],
      ),
    );
    const v = await gate();
    expect(v.outcome).toBe('approved');
    expect(v.counted.map((c) => c.login).sort()).toEqual(['bob', 'carol']);
  });
});
