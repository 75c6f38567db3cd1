import nock from 'nock';
import type { Octokit } from 'octokit';
import { beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../src/approval/decide.ts';
import { ApprovalSpec } from '../src/approval/schema.ts';
import { createGitHub } from '../src/github/client.ts';
import { answerActivity } from './support/activity.ts';
import {
  dismissalNode,
  type GraphqlBody,
  isApproversQuery,
  isPullRequestQuery,
  onePage,
  pullRequestAnswer,
  replyApprovers,
  staff,
} from './support/github-answers.ts';
import { offline } from './support/offline.ts';

/**
 * The strict defaults played through GitHub-shaped answers, from the query to the
 * verdict: dismissals are read from the timeline and their authors looked up, a
 * co-author's request for changes blocks, an unlinked writer is named.
 */

const API = 'https://api.github.test';
const HEAD = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
const MERGE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const PERMISSIONS = {
  alice: 'write',
  bob: 'write',
  carol: 'admin',
  dave: 'write',
  erin: 'write',
} as const;

offline();
answerActivity(API);

let octokit: Octokit;
beforeAll(async () => {
  octokit = await createGitHub({ token: 'ghp_strict', baseUrl: API, retries: false });
});

let id = 5000;
const review = (login: string, state = 'APPROVED') => ({
  databaseId: ++id,
  state,
  submittedAt: `2026-11-02T10:${String(id % 60).padStart(2, '0')}:00Z`,
  author: { login, __typename: 'User' },
  commit: { oid: HEAD },
});

/** Alice's pull request #42, erin co-wrote its one commit. */
function answer(
  reviews: ReturnType<typeof review>[],
  timeline: unknown[] = [],
  coAuthor = staff('erin'),
) {
  const a = pullRequestAnswer({
    number: 42,
    author: 'alice',
    head: HEAD,
    merge: MERGE,
    commit: { oid: HEAD, author: staff('alice'), coAuthors: [coAuthor] },
    reviews,
    files: ['src/cart.ts'],
  });
  a.data.repository.pullRequest.timelineItems = onePage(timeline) as never;
  return a;
}

/** Answers both queries; returns the logins whose standing the gate asked for. */
function mockGitHub(pr: unknown) {
  const asked: string[] = [];
  nock(API).post('/graphql', isPullRequestQuery).reply(200, pr);
  const world = { pullRequest: pr, permissions: PERMISSIONS, teams: {} };
  const reply = replyApprovers(world);
  nock(API)
    .post('/graphql', isApproversQuery)
    .reply(async (request: Request) => {
      const body = (await request.clone().json()) as GraphqlBody;
      asked.push(...Object.values(body.variables).map(String));
      return reply(request);
    });
  return asked;
}

const gate = () =>
  decide(octokit, ApprovalSpec.parse({}), { owner: 'acme', repo: 'shop', pullNumber: 42 });

describe('strict defaults through GitHub', () => {
  it('a request for changes dismissed by the author still blocks', async () => {
    const request = { ...review('dave', 'DISMISSED') };
    mockGitHub(
      answer(
        [review('bob'), review('carol'), request],
        [dismissalNode('alice', request.databaseId, 'CHANGES_REQUESTED')],
      ),
    );
    const verdict = await gate();
    expect(verdict.outcome).toBe('denied');
    expect(verdict.reasons).toContainEqual(
      expect.stringMatching(
        /^@dave requested changes; the dismissal by @alice does not lift it \(author of the pull request\)/,
      ),
    );
  });

  it('a dismissal by a qualified reviewer lifts it; reviewer and dismisser are looked up', async () => {
    const request = { ...review('dave', 'DISMISSED') };
    const asked = mockGitHub(
      answer(
        [review('bob'), review('carol'), request],
        [dismissalNode('carol', request.databaseId, 'CHANGES_REQUESTED')],
      ),
    );
    const verdict = await gate();
    expect(verdict.outcome).toBe('approved');
    expect(verdict.notCounted).toContainEqual({ login: 'dave', reason: 'dismissed' });
    expect(asked).toEqual(expect.arrayContaining(['bob', 'carol', 'dave']));
  });

  it('a deleted account’s dismissal does not lift it', async () => {
    const request = { ...review('dave', 'DISMISSED') };
    mockGitHub(
      answer(
        [review('bob'), review('carol'), request],
        [dismissalNode(null, request.databaseId, 'CHANGES_REQUESTED')],
      ),
    );
    const verdict = await gate();
    expect(verdict.outcome).toBe('denied');
    expect(verdict.reasons).toContainEqual(
      expect.stringMatching(/^@dave requested changes; the dismissal by a deleted account/),
    );
  });

  it('asks for the standing of a dismisser who never reviewed', async () => {
    const request = { ...review('bob', 'DISMISSED') };
    const asked = mockGitHub(
      answer(
        [review('carol'), review('dave'), request],
        [dismissalNode('alice', request.databaseId, 'CHANGES_REQUESTED')],
      ),
    );
    const verdict = await gate();
    expect(asked).toContain('alice');
    expect(verdict.outcome).toBe('denied');
  });

  it('a co-author’s request for changes blocks', async () => {
    mockGitHub(answer([review('bob'), review('carol'), review('erin', 'CHANGES_REQUESTED')]));
    const verdict = await gate();
    expect(verdict.outcome).toBe('denied');
    expect(verdict.reasons).toContain(
      '@erin requested changes (co-author of commit 9f2c4e1: a request for changes from someone who wrote the change blocks too)',
    );
  });

  it('a co-author GitHub links to no account is named, and the change is denied', async () => {
    const stranger = { name: 'Gus Guest', email: 'gus@contractor.example' };
    mockGitHub(answer([review('bob'), review('carol')], [], stranger));
    const verdict = await gate();
    expect(verdict.outcome).toBe('denied');
    expect(verdict.reasons).toContainEqual(
      expect.stringMatching(
        /^cannot tell who wrote commit 9f2c4e1: its co-author Gus Guest <gus@contractor\.example> links to no GitHub account/,
      ),
    );
  });
});
