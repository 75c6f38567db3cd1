import nock from 'nock';
import type { Octokit } from 'octokit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { evaluate } from '../src/approval/evaluate.ts';
import { policyTeams } from '../src/approval/fetch-approvers.ts';
import { GitHubFactsError } from '../src/approval/fetch-errors.ts';
import { coAuthorsOf, fetchGateFacts } from '../src/approval/fetch-facts.ts';
import { fetchDeploySubject, MAX_PULL_PAGES } from '../src/approval/fetch-subject.ts';
import { ApprovalSpec } from '../src/approval/schema.ts';
import { countRequests, createGitHub, GitHubAuthError } from '../src/github/client.ts';
import activity from './fixtures/github/activity.json' with { type: 'json' };
import commitPulls from './fixtures/github/commit-pulls.json' with { type: 'json' };
import pullRequest from './fixtures/github/pull-request.json' with { type: 'json' };
import {
  commitNode,
  type GitHubWorld,
  type GraphqlBody,
  isApproversQuery,
  isPullRequestQuery,
  replyApprovers,
  staff,
} from './support/github-answers.ts';

const API = 'https://api.github.test';
const TOKEN = 'test-token';
const HEAD = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
const MERGE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const BASE = '1d3f5a7b9c0e2f4a6b8c0d1e3f5a7b9c1d3e5f70';
const query = { owner: 'acme', repo: 'shop', pullNumber: 42, deploySha: MERGE };

// Two approvals; changes to the chart also need one from SRE.
const policy = ApprovalSpec.parse({
  paths: [{ match: ['charts/**'], requireFrom: [{ teams: ['acme/sre'] }] }],
});

let octokit: Octokit;
beforeAll(async () => {
  nock.disableNetConnect();
  octokit = await createGitHub({ token: TOKEN, baseUrl: API, retries: false });
});
beforeEach(() => {
  // Who pushed to the head branch: alice, who opened it and then rebased it.
  nock(API)
    .persist()
    .get('/repos/acme/shop/activity')
    .query({ ref: 'refs/heads/cart-cache-per-tenant', per_page: '100' })
    .reply(200, activity);
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

const isMainQuery = isPullRequestQuery;
const isPage = (list: string, cursor: string) => (body: GraphqlBody) =>
  body.query.includes('vaktPullRequestPage') &&
  body.query.includes(`${list}(first: 100`) &&
  body.variables.cursor === cursor;

/** Permissions and SRE membership of the fixture's reviewers, as GitHub holds them. */
const WORLD: GitHubWorld = {
  pullRequest,
  permissions: { bob: 'write', carol: 'admin', erin: 'write', frank: 'maintain' },
  teams: { 'acme/sre': ['carol'] },
};

/** Answers the one approvers query; `forbidden` logins' permission the token may not read. */
function mockApprovers(forbidden: string[] = []) {
  return nock(API)
    .post('/graphql', isApproversQuery)
    .reply(replyApprovers({ ...WORLD, forbidden }));
}

describe('fetchGateFacts', () => {
  it('reads a pull request into facts that evaluate() approves', async () => {
    nock(API).post('/graphql', isMainQuery).reply(200, pullRequest);
    const approvers = mockApprovers();
    const counter = countRequests(octokit);
    const facts = await fetchGateFacts(octokit, { ...query, teams: policyTeams(policy) });
    expect(approvers.isDone()).toBe(true);

    const pr = facts.pullRequest;
    expect(facts.repository).toBe('acme/shop');
    expect(pr).toMatchObject({ number: 42, baseRef: 'main', baseSha: BASE, headSha: HEAD });
    expect(pr.mergeCommitSha).toBe(MERGE);
    expect(pr.author).toEqual({ login: 'alice', type: 'User' });
    expect(pr.truncated).toBeUndefined();
    expect(pr.files).toEqual(['src/cart/cache.ts', 'charts/shop/values.yaml']);
    expect(pr.commits.map((c) => c.coAuthors)).toEqual([
      [{ name: 'Erin Example', email: 'erin@acme.example' }],
      [
        { name: 'Gus Guest', email: 'gus@contractor.example' },
        { name: 'Alice A', email: 'alice@acme.example' },
      ],
    ]);
    // GitHub's own list links erin's plain company address to her account.
    expect(pr.commits[0]?.authors).toEqual([
      { login: 'alice', email: 'alice@acme.example', name: 'Alice Andersson' },
      { login: 'erin', email: 'erin@acme.example', name: 'Erin Example' },
    ]);
    // A contractor's own address, linked to the account that verified it.
    expect(pr.commits[1]?.authors[1]).toEqual({
      login: 'gus-guest',
      email: 'gus@contractor.example',
      name: 'Gus Guest',
    });
    expect(pr.commits[1]?.committer).toEqual({
      login: 'web-flow',
      email: 'noreply@github.com',
      name: 'GitHub',
    });
    // The author rebased once: the timeline names her as the force pusher.
    expect(pr.forcePushes).toEqual([{ login: 'alice', afterSha: HEAD }]);
    // The repository activity names her as the branch's only pusher.
    expect(pr.head).toEqual({ ref: 'cart-cache-per-tenant' });
    expect(pr.pushes).toEqual([
      { login: 'alice', kind: 'force_push', afterSha: HEAD },
      {
        login: 'alice',
        kind: 'branch_creation',
        afterSha: 'e83c5163316f89bfbde7d9ab23ca2e25604af290',
      },
    ]);
    expect(pr.reviews).toHaveLength(6);
    expect(pr.reviews[0]).toEqual({
      id: 2011112201,
      author: { login: 'Frank', type: 'User' },
      state: 'APPROVED',
      commitId: 'e83c5163316f89bfbde7d9ab23ca2e25604af290',
      submittedAt: '2026-11-02T09:14:05Z',
    });
    expect(facts.approvers.permission).toEqual({
      bob: 'write',
      carol: 'admin',
      erin: 'write',
      Frank: 'maintain',
    });
    expect(facts.approvers.teams).toEqual({ bob: [], carol: ['acme/sre'], erin: [], frank: [] });
    // One query for the pull request, one for the branch's pushers, one for the standing
    // of all four human approvers.
    expect(counter.count).toBe(3);

    const verdict = evaluate(policy, facts);
    expect(verdict.outcome).toBe('approved');
    expect(verdict.counted.map((c) => c.login).sort()).toEqual(['bob', 'carol']);
    const reasons = Object.fromEntries(verdict.notCounted.map((n) => [n.login, n.reason]));
    expect(reasons.erin).toBe('co-author of commit e83c516');
    expect(reasons.Frank).toMatch(/older commit/);
    expect(reasons.renovate).toBe('is a bot');
    expect(reasons.dave).toBe('commented without approving');
  });

  it('follows cursors past 100 reviews and 100 commits', async () => {
    const pr = structuredClone(pullRequest.data.repository.pullRequest);
    const commits = Array.from({ length: 230 }, (_, i) => stepCommit(i));
    const reviews = Array.from({ length: 205 }, (_, i) => commentNode(i));
    const main = {
      data: {
        repository: {
          pullRequest: {
            ...pr,
            commits: connection(commits, 0, 'c'),
            reviews: connection(reviews, 0, 'r'),
          },
        },
      },
    };
    const page = (list: 'commits' | 'reviews', nodes: unknown[], from: number, prefix: string) => ({
      data: { repository: { pullRequest: { [list]: connection(nodes, from, prefix) } } },
    });
    const api = nock(API)
      .post('/graphql', isMainQuery)
      .reply(200, main)
      .post('/graphql', isPage('commits', 'c100'))
      .reply(200, page('commits', commits, 100, 'c'))
      .post('/graphql', isPage('commits', 'c200'))
      .reply(200, page('commits', commits, 200, 'c'))
      .post('/graphql', isPage('reviews', 'r100'))
      .reply(200, page('reviews', reviews, 100, 'r'))
      .post('/graphql', isPage('reviews', 'r200'))
      .reply(200, page('reviews', reviews, 200, 'r'));
    const counter = countRequests(octokit);
    const facts = await fetchGateFacts(octokit, query);
    expect(api.isDone()).toBe(true);
    expect(counter.count).toBe(6);
    expect(facts.pullRequest.commits).toHaveLength(230);
    expect(facts.pullRequest.reviews).toHaveLength(205);
    expect(facts.pullRequest.commits[229]?.sha).toBe(sha(229));
    expect(facts.pullRequest.truncated).toBeUndefined();
  });

  it('marks the facts truncated when GitHub counts more than it returned', async () => {
    const answer = structuredClone(pullRequest);
    answer.data.repository.pullRequest.files.totalCount = 3200;
    nock(API).post('/graphql', isMainQuery).reply(200, answer);
    mockApprovers();
    const facts = await fetchGateFacts(octokit, { ...query, teams: ['acme/sre'] });
    expect(facts.pullRequest.truncated).toBe('read 2 of 3200 files');
    const verdict = evaluate(policy, facts);
    expect(verdict.outcome).toBe('undecided');
    expect(verdict.reasons[0]).toMatch(/could not be read completely: read 2 of 3200 files/);
  });

  it('follows the force pushes past 100, and fails closed when the timeline cannot be read to its end', async () => {
    const pushes = Array.from({ length: 130 }, (_, i) => ({
      __typename: 'HeadRefForcePushedEvent',
      actor: { login: i === 120 ? 'carol' : 'alice' },
      afterCommit: i === 0 ? null : { oid: sha(i) },
    }));
    const answer = structuredClone(pullRequest) as {
      data: { repository: { pullRequest: Record<string, unknown> } };
    };
    answer.data.repository.pullRequest.timelineItems = connection(pushes, 0, 't');
    const rest = connection(pushes, 100, 't');
    nock(API)
      .post('/graphql', isMainQuery)
      .reply(200, answer)
      .post('/graphql', isPage('timelineItems', 't100'))
      .reply(200, { data: { repository: { pullRequest: { timelineItems: rest } } } });
    mockApprovers();
    const facts = await fetchGateFacts(octokit, query);
    expect(facts.pullRequest.forcePushes).toHaveLength(130);
    expect(facts.pullRequest.forcePushes[0]).toEqual({ login: 'alice' });
    expect(facts.pullRequest.truncated).toBeUndefined();
    const verdict = evaluate(policy, facts);
    expect(verdict.notCounted).toContainEqual({
      login: 'carol',
      reason: `force-pushed the pull request's branch (to ${sha(120).slice(0, 7)})`,
    });

    const withTimeline = (timelineItems: unknown) => ({
      data: {
        repository: { pullRequest: { ...answer.data.repository.pullRequest, timelineItems } },
      },
    });
    // Whether totalCount counts the timeline's other kinds of items is not documented: it
    // is no evidence of a force push vakt did not read.
    const counted = { ...connection(pushes.slice(0, 100), 0, 't'), totalCount: 130 };
    nock(API).post('/graphql', isMainQuery).reply(200, withTimeline(counted));
    mockApprovers();
    expect((await fetchGateFacts(octokit, query)).pullRequest.truncated).toBeUndefined();

    // A next page GitHub announces but gives no cursor for: the rest cannot be read.
    const stuck = {
      ...connection(pushes, 0, 't'),
      pageInfo: { hasNextPage: true, endCursor: null },
    };
    nock(API).post('/graphql', isMainQuery).reply(200, withTimeline(stuck));
    mockApprovers();
    const short = await fetchGateFacts(octokit, query);
    expect(short.pullRequest.truncated).toBe(
      'force pushes, dismissals and base changes: more than 100 in the timeline',
    );
    expect(evaluate(policy, short).outcome).toBe('undecided');
  });

  it('leaves a permission the token may not read unknown, and the verdict undecided', async () => {
    nock(API).post('/graphql', isMainQuery).reply(200, pullRequest);
    mockApprovers(['carol']);
    const facts = await fetchGateFacts(octokit, { ...query, teams: ['acme/sre'] });
    expect(facts.approvers.permission.carol).toBeUndefined();
    expect(facts.approvers.permission.bob).toBe('write');
    const verdict = evaluate(policy, facts);
    expect(verdict.outcome).toBe('undecided');
    expect(verdict.notCounted).toContainEqual({ login: 'carol', reason: 'permission unknown' });
    expect(verdict.reasons).toContain(
      "cannot read @carol's permission on acme/shop: the token may not list its collaborators",
    );
  });

  it('takes a permission GitHub answered as null for unknown, not for no access', async () => {
    nock(API).post('/graphql', isMainQuery).reply(200, pullRequest);
    nock(API)
      .post('/graphql', isApproversQuery)
      .reply(async (request: Request) => {
        const [status, answer] = await replyApprovers(WORLD)(request);
        const data = (answer as { data: { repository: Record<string, unknown> } }).data;
        data.repository.p3 = null;
        return [status, answer];
      });
    const facts = await fetchGateFacts(octokit, { ...query, teams: ['acme/sre'] });
    // p3 is the fourth reviewer with an opinion: carol.
    expect(facts.approvers.permission).toEqual({ Frank: 'maintain', bob: 'write', erin: 'write' });
    expect(evaluate(policy, facts).outcome).toBe('undecided');
  });

  describe('fails with a reason, never with the token', () => {
    const cases: [string, (scope: nock.Scope) => void, RegExp][] = [
      ['a 500', (s) => s.post('/graphql').reply(502, 'Bad Gateway'), /GitHub answered 502/],
      [
        'a network error',
        (s) => s.post('/graphql').replyWithError('connect ECONNREFUSED 203.0.113.7:443'),
        /could not reach GitHub: .*ECONNREFUSED/,
      ],
      [
        'a malformed body',
        (s) =>
          s.post('/graphql').reply(200, '{"data": {"repos', { 'content-type': 'application/json' }),
        /pull request #42 was not JSON: empty, cut off or timed out/,
      ],
      [
        'a missing field',
        (s) => {
          const answer = structuredClone(pullRequest) as {
            data: { repository: Record<string, unknown> };
          };
          delete (answer.data.repository.pullRequest as Record<string, unknown>).headRefOid;
          s.post('/graphql').reply(200, answer);
        },
        /malformed: repository\.pullRequest\.headRefOid/,
      ],
      [
        'GraphQL errors',
        (s) =>
          s.post('/graphql').reply(200, {
            data: { repository: { pullRequest: null } },
            errors: [
              {
                type: 'NOT_FOUND',
                path: ['repository', 'pullRequest'],
                locations: [{ line: 4, column: 5 }],
                message: 'Could not resolve to a PullRequest with the number of 42.',
              },
            ],
          }),
        /GraphQL API answered with errors: Could not resolve to a PullRequest/,
      ],
      [
        'a rate limit',
        (s) =>
          s
            .post('/graphql')
            .reply(
              403,
              { message: `API rate limit exceeded for installation ID 77. token ${TOKEN}` },
              { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1793613600' },
            ),
        /GitHub rate limit exhausted until 10:00:00 UTC/,
      ],
    ];
    for (const [name, mock, reason] of cases) {
      it(name, async () => {
        mock(nock(API));
        const error = await fetchGateFacts(octokit, query).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GitHubFactsError);
        const message = (error as Error).message;
        expect(message).toMatch(reason);
        expect(message).not.toContain(TOKEN);
      });
    }
  });

  it('cannot tell a team that does not exist from one the token may not see: undecided', async () => {
    nock(API).post('/graphql', isMainQuery).reply(200, pullRequest);
    nock(API)
      .post('/graphql', isApproversQuery)
      .reply(replyApprovers({ ...WORLD, teams: {} }));
    const facts = await fetchGateFacts(octokit, { ...query, teams: ['acme/sre'] });
    expect(facts.approvers.teams).toEqual({ bob: [], carol: [], erin: [], frank: [] });
    expect(facts.approvers.unreadableTeams).toEqual({ 'acme/sre': 'hidden' });
    const verdict = evaluate(policy, facts);
    expect(verdict.outcome).toBe('undecided');
    expect(verdict.missing).toEqual(['needs 1 more approval from @acme/sre']);
    expect(verdict.reasons[0]).toBe(
      'cannot read team acme/sre: it does not exist or the token lacks read:org',
    );
  });

  it('is undecided when GitHub refuses the token the team', async () => {
    nock(API).post('/graphql', isMainQuery).reply(200, pullRequest);
    nock(API)
      .post('/graphql', isApproversQuery)
      .reply(replyApprovers({ ...WORLD, forbiddenTeams: ['acme/sre'] }));
    const facts = await fetchGateFacts(octokit, { ...query, teams: ['acme/sre'] });
    expect(facts.approvers.unreadableTeams).toEqual({ 'acme/sre': 'forbidden' });
    expect(facts.approvers.permission.carol).toBe('admin');
    const verdict = evaluate(policy, facts);
    expect(verdict.outcome).toBe('undecided');
    expect(verdict.reasons[0]).toMatch(/^cannot read team acme\/sre: GitHub refused the token/);
  });

  it('fails closed on any other error in the answer', async () => {
    nock(API).post('/graphql', isMainQuery).reply(200, pullRequest);
    nock(API)
      .post('/graphql', isApproversQuery)
      .reply(200, {
        data: { repository: null, t0: null },
        errors: [{ type: 'INTERNAL', path: ['t0'], message: 'Something went wrong' }],
      });
    const error = await fetchGateFacts(octokit, { ...query, teams: ['acme/sre'] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GitHubFactsError);
    expect((error as Error).message).toMatch(/answered with errors: Something went wrong/);
  });

  it('parses co-author trailers in any letter case', () => {
    expect(
      coAuthorsOf('x\n\nCO-authored-BY:  Zoe Z  <zoe@x.example> \nnot: trailer <a@b>'),
    ).toEqual([{ name: 'Zoe Z', email: 'zoe@x.example' }]);
  });
});

describe('fetchDeploySubject', () => {
  const subject = { owner: 'acme', repo: 'shop', protectedBranches: [] as string[] };
  const merged = commitPulls[0] as (typeof commitPulls)[number];
  const pullsOf = (sha: string, pulls: unknown[]) => {
    nock(API)
      .get(`/repos/acme/shop/commits/${sha}/pulls`)
      .query({ per_page: 100 })
      .reply(200, pulls);
  };

  it('finds the pull request whose merge commit is deployed', async () => {
    pullsOf(MERGE, commitPulls);
    expect(await fetchDeploySubject(octokit, { ...subject, sha: MERGE })).toEqual({
      ok: true,
      number: 42,
    });
  });

  it('asks for the default branch only when no pull request names it', async () => {
    const bare = { ...merged, base: { ...merged.base, repo: null } };
    pullsOf(MERGE, [bare]);
    const repository = nock(API)
      .get('/repos/acme/shop')
      .reply(200, { id: 647329, name: 'shop', full_name: 'acme/shop', default_branch: 'trunk' });
    const result = await fetchDeploySubject(octokit, { ...subject, sha: MERGE });
    expect(repository.isDone()).toBe(true);
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not a protected branch \(trunk\)/),
    });
  });

  it('refuses a commit no pull request contains', async () => {
    pullsOf(MERGE, []);
    const result = await fetchDeploySubject(octokit, { ...subject, sha: MERGE });
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/pushed directly/) });
  });

  it('refuses a commit only in an open pull request', async () => {
    const open = {
      ...merged,
      state: 'open',
      merged_at: null,
      closed_at: null,
      merge_commit_sha: 'f00dfeed00000000000000000000000000000000',
    };
    pullsOf(HEAD, [open]);
    const result = await fetchDeploySubject(octokit, { ...subject, sha: HEAD });
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/only in open pull request #42/),
    });
  });

  it('refuses a pull request merged into another branch', async () => {
    pullsOf(MERGE, [{ ...merged, base: { ...merged.base, ref: 'release-2026' } }]);
    const result = await fetchDeploySubject(octokit, { ...subject, sha: MERGE });
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/merged into release-2026/),
    });
  });

  /** Another pull request that contains the commit: branched off after it, still open. */
  const openPull = (number: number) => ({
    ...merged,
    number,
    state: 'open',
    merged_at: null,
    closed_at: null,
    merge_commit_sha: null,
    url: `https://api.github.com/repos/acme/shop/pulls/${number}`,
    head: {
      ...merged.head,
      ref: `branch-${number}`,
      sha: `${String(number).padStart(4, '0')}${'e'.repeat(36)}`,
    },
  });
  const page = (n: number) =>
    `${API}/repositories/654311828/commits/${MERGE}/pulls?per_page=100&page=${n}`;
  const link = (next: number, last: number) =>
    `<${page(next)}>; rel="next", <${page(last)}>; rel="last"`;

  it('reads every page of the pull requests that contain the commit', async () => {
    const first = Array.from({ length: 100 }, (_, i) => openPull(1000 + i));
    const api = nock(API)
      .get(`/repos/acme/shop/commits/${MERGE}/pulls`)
      .query({ per_page: 100 })
      .reply(200, first, { link: link(2, 2) })
      .get(`/repositories/654311828/commits/${MERGE}/pulls`)
      .query({ per_page: 100, page: 2 })
      .reply(200, [openPull(1100), merged]);
    const counter = countRequests(octokit);
    const result = await fetchDeploySubject(octokit, { ...subject, sha: MERGE });
    expect(api.isDone()).toBe(true);
    expect(counter.count).toBe(2);
    expect(result).toEqual({ ok: true, number: 42 });
  });

  it('fails closed when the pages do not end', async () => {
    const api = nock(API)
      .get(`/repos/acme/shop/commits/${MERGE}/pulls`)
      .query({ per_page: 100 })
      .reply(200, [openPull(1000)], { link: link(2, 99) })
      .get(`/repositories/654311828/commits/${MERGE}/pulls`)
      .query(true)
      .times(MAX_PULL_PAGES - 1)
      .reply((request: Request) => {
        // nock 15 hands reply functions a WHATWG Request.
        const n = Number(new URL(request.url).searchParams.get('page'));
        return [200, [openPull(1000 + n)], { link: link(n + 1, 99) }];
      });
    const counter = countRequests(octokit);
    await expect(fetchDeploySubject(octokit, { ...subject, sha: MERGE })).rejects.toThrow(
      new RegExp(`more than ${MAX_PULL_PAGES} pages of pull requests contain commit ${MERGE}`),
    );
    expect(api.isDone()).toBe(true);
    expect(counter.count).toBe(MAX_PULL_PAGES);
  });

  it('refuses the head of a pull request instead of its merge commit', async () => {
    pullsOf(HEAD, commitPulls);
    const result = await fetchDeploySubject(octokit, { ...subject, sha: HEAD });
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not its merge commit/),
    });
  });
});

describe('createGitHub', () => {
  it('refuses to start without a token or an app', async () => {
    await expect(createGitHub({ baseUrl: API })).rejects.toBeInstanceOf(GitHubAuthError);
  });
});

function sha(i: number): string {
  return i.toString(16).padStart(40, 'a');
}

function stepCommit(i: number) {
  return commitNode({ oid: sha(i), message: `Step ${i}`, author: staff('alice') });
}

function commentNode(i: number) {
  return {
    databaseId: 3000000000 + i,
    state: 'COMMENTED',
    submittedAt: `2026-11-02T10:${String(i % 60).padStart(2, '0')}:00Z`,
    author: { login: 'dave', __typename: 'User' },
    commit: { oid: HEAD },
  };
}

/** The page of `nodes` starting at `from`, with cursors as GitHub would hand them out. */
function connection(nodes: unknown[], from: number, prefix: string) {
  const slice = nodes.slice(from, from + 100);
  const end = from + slice.length;
  return {
    totalCount: nodes.length,
    pageInfo: { hasNextPage: end < nodes.length, endCursor: `${prefix}${end}` },
    nodes: slice,
  };
}
