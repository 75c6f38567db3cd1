import nock from 'nock';
import type { Octokit } from 'octokit';
import { beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../src/approval/decide.ts';
import { ApprovalSpec } from '../src/approval/schema.ts';
import { createGitHub } from '../src/github/client.ts';
import commitPulls from './fixtures/github/commit-pulls.json' with { type: 'json' };
import { answerActivity } from './support/activity.ts';
import { answerPullsOf } from './support/associated-pulls.ts';
import {
  isApproversQuery,
  isPullRequestQuery,
  pullRequestAnswer,
  replyApprovers,
  signatureOf,
  staff,
} from './support/github-answers.ts';
import { offline } from './support/offline.ts';

/**
 * A merge made outside GitHub: someone merges the approved branch locally, adds a change
 * to the merge commit and pushes it to main. GitHub then marks the pull request merged
 * with that commit as its merge commit, approvals and all. Only a commit GitHub made
 * itself is known to hold nothing but the reviewed change: GitHub signs those (merge,
 * squash and rebase alike) with its web-flow key, so the gate asks for that signature.
 */

const API = 'https://api.github.test';
const HEAD = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
const MERGE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const PERMISSIONS = { alice: 'write', bob: 'write', carol: 'admin' } as const;

offline();
answerActivity(API);

let octokit: Octokit;
beforeAll(async () => {
  octokit = await createGitHub({ token: 'ghp_merges', baseUrl: API, retries: false });
});

const approval = (id: number, login: string) => ({
  databaseId: id,
  state: 'APPROVED',
  submittedAt: '2026-11-02T10:00:00Z',
  author: { login, __typename: 'User' },
  commit: { oid: HEAD },
});

/** Pull request #42, approved by bob and carol, merged as MERGE with `signature`. */
function mockGitHub(signature: unknown) {
  const pr = pullRequestAnswer({
    number: 42,
    author: 'alice',
    head: HEAD,
    merge: MERGE,
    commit: { oid: HEAD, author: staff('alice') },
    reviews: [approval(1, 'bob'), approval(2, 'carol')],
    files: ['src/cart.ts'],
  });
  pr.data.repository.pullRequest.mergeCommit = { oid: MERGE, signature } as never;
  // The merge commit's signature comes with the commit's pull request, in one answer.
  answerPullsOf(API, MERGE, commitPulls, { fast: { pullRequest: pr } });
  // A pull request asked for by number (gate --pr) is read on its own.
  nock(API).post('/graphql', isPullRequestQuery).optionally().reply(200, pr);
  nock(API)
    .post('/graphql', isApproversQuery)
    .optionally()
    .reply(replyApprovers({ pullRequest: pr, permissions: PERMISSIONS, teams: {} }));
}

const deploy = (policy: Record<string, unknown> = {}) =>
  decide(octokit, ApprovalSpec.parse(policy), { owner: 'acme', repo: 'shop', sha: MERGE });

const BORROW =
  'a merge commit made outside GitHub can carry changes nobody reviewed, so it cannot borrow the approvals of pull request #42';

describe('the deployed merge commit must be one GitHub made', () => {
  it('approves a merge commit GitHub signed (merge, squash or rebase in the web interface)', async () => {
    mockGitHub(signatureOf());
    const v = await deploy();
    expect(v.outcome).toBe('approved');
    expect(v.reasons).toEqual([]);
  });

  it('denies an unsigned merge commit pushed by hand', async () => {
    mockGitHub(null);
    const v = await deploy();
    expect(v.outcome).toBe('denied');
    expect(v.reasons).toEqual([
      `the deployed commit 4b825dc was not made by GitHub: it is unsigned; ${BORROW}`,
    ]);
  });

  it('denies a merge commit signed with a developer’s own key', async () => {
    mockGitHub(signatureOf({ by: 'alice' }));
    const v = await deploy();
    expect(v.outcome).toBe('denied');
    expect(v.reasons).toEqual([
      `the deployed commit 4b825dc was not made by GitHub: it is signed by @alice, who is not in approval.localMerges.signers; ${BORROW}`,
    ]);
  });

  it('denies a GitHub signature that does not verify', async () => {
    mockGitHub(signatureOf({ valid: false, state: 'INVALID' }));
    const v = await deploy();
    expect(v.outcome).toBe('denied');
    expect(v.reasons.join('\n')).toMatch(/its signature does not verify \(INVALID\)/);
  });

  it('accepts a verified signature of a signer the policy names', async () => {
    mockGitHub(signatureOf({ by: 'Release-Bot' }));
    const v = await deploy({ localMerges: { signers: ['release-bot'] } });
    expect(v.outcome).toBe('approved');
  });

  it('does not accept a named signer whose signature does not verify', async () => {
    mockGitHub(signatureOf({ by: 'release-bot', valid: false, state: 'UNKNOWN_KEY' }));
    const v = await deploy({ localMerges: { signers: ['release-bot'] } });
    expect(v.outcome).toBe('denied');
    expect(v.reasons.join('\n')).toMatch(/signature does not verify \(UNKNOWN_KEY\)/);
  });

  it('asks nothing of a pull request checked before its merge', async () => {
    mockGitHub(null);
    const v = await decide(octokit, ApprovalSpec.parse({}), {
      owner: 'acme',
      repo: 'shop',
      pullNumber: 42,
    });
    expect(v.outcome).toBe('approved');
  });
});
