import { type AddressInfo, createServer, type Socket } from 'node:net';
import nock from 'nock';
import type { Octokit } from 'octokit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decide, type GateRequest } from '../src/approval/decide.ts';
import { ApprovalSpec } from '../src/approval/schema.ts';
import type { ApprovalVerdict } from '../src/approval/verdict.ts';
import { main } from '../src/cli/main.ts';
import { createGitHub } from '../src/github/client.ts';
import commitPulls from './fixtures/github/commit-pulls.json' with { type: 'json' };
import { answerPullsOf } from './support/associated-pulls.ts';
import {
  activityNode,
  BASE_SHA,
  commitNode,
  dismissalNode,
  forcePushNode,
  type GitHubWorld,
  type GitPerson,
  isApproversQuery,
  isPullRequestQuery,
  replyApprovers,
  signatureOf,
  staff,
} from './support/github-answers.ts';
import { captureIo } from './support/io.ts';

/**
 * Ways to get a release past two-person approval, each played against the gate through
 * GitHub-shaped answers (nock), from the fetcher to the verdict.
 */

const API = 'https://api.github.test';
const HEAD = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
const OLD = 'e83c5163316f89bfbde7d9ab23ca2e25604af290';
const MERGE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

interface Commit {
  oid?: string;
  author?: string;
  committer?: string;
  coAuthors?: GitPerson[];
  message?: string;
  /** GitHub's count of the commit's authors, when it is more than one page holds. */
  authorsTotal?: number;
}
interface Review {
  login: string;
  state?: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  on?: string;
  type?: 'User' | 'Bot';
}
interface Scenario {
  author?: string;
  commits?: Commit[];
  reviews?: Review[];
  files?: string[];
  policy?: Record<string, unknown>;
  permissions?: GitHubWorld['permissions'];
  teams?: GitHubWorld['teams'];
  forbidden?: string[];
  /** Logins that force-pushed the branch, as the timeline records them. */
  forcePushes?: string[];
}

const PERMISSIONS: GitHubWorld['permissions'] = {
  alice: 'write',
  bob: 'write',
  carol: 'admin',
  dave: 'write',
  erin: 'maintain',
  frank: 'read',
  'deploy-bot': 'write',
};

let reviewId = 3000;
function review(r: Review) {
  reviewId += 1;
  return {
    databaseId: reviewId,
    state: r.state ?? 'APPROVED',
    submittedAt: `2026-11-02T10:${String(reviewId % 60).padStart(2, '0')}:00Z`,
    author: { login: r.login, __typename: r.type ?? 'User' },
    commit: { oid: r.on ?? HEAD },
  };
}

function commitOf(c: Commit) {
  const node = commitNode({
    oid: c.oid ?? HEAD,
    author: staff(c.author ?? 'alice'),
    committer: staff(c.committer ?? c.author ?? 'alice'),
    ...(c.coAuthors && { coAuthors: c.coAuthors }),
    ...(c.message !== undefined && { message: c.message }),
  });
  if (c.authorsTotal !== undefined) node.commit.authors.totalCount = c.authorsTotal;
  return node;
}

/** The branch's pushes: only alice's (she opened the pull request from it). */
function mockActivity() {
  nock(API)
    .get('/repos/acme/shop/activity')
    .query(true)
    .optionally()
    .reply(200, [activityNode({ login: 'alice', type: 'branch_creation', after: HEAD })]);
}

const page = <N>(nodes: N[]) => ({
  totalCount: nodes.length,
  pageInfo: { hasNextPage: false, endCursor: nodes.length ? 'end' : null },
  nodes,
});

/** Pull request #42 as GitHub's GraphQL API answers the gate's query. */
function pullRequestAnswer(s: Scenario) {
  const reviews = (s.reviews ?? [{ login: 'bob' }, { login: 'carol' }]).map(review);
  return {
    data: {
      repository: {
        pullRequest: {
          number: 42,
          author: { login: s.author ?? 'alice', __typename: 'User' },
          baseRefName: 'main',
          baseRefOid: BASE_SHA,
          headRefName: 'feature',
          headRefOid: HEAD,
          isCrossRepository: false,
          headRepository: { nameWithOwner: 'acme/shop' },
          mergeCommit: { oid: MERGE, signature: signatureOf() },
          commits: page((s.commits ?? [{}]).map(commitOf)),
          reviews: page(reviews),
          files: page((s.files ?? ['src/cart.ts']).map((path) => ({ path }))),
          timelineItems: page([
            ...(s.forcePushes ?? []).map((login) => forcePushNode(login, HEAD)),
            // Each dismissed review as the timeline records it: an approval, by the author.
            ...reviews
              .filter((r) => r.state === 'DISMISSED')
              .map((r) => dismissalNode('alice', r.databaseId, 'APPROVED')),
          ]),
        },
      },
    },
  };
}

function mockGitHub(s: Scenario) {
  nock(API).post('/graphql', isPullRequestQuery).reply(200, pullRequestAnswer(s));
  mockActivity();
  nock(API)
    .post('/graphql', isApproversQuery)
    .optionally()
    .reply(
      replyApprovers({
        pullRequest: null,
        permissions: s.permissions ?? PERMISSIONS,
        teams: s.teams ?? { 'acme/sre': ['carol'], 'acme/release-managers': ['erin'] },
        forbidden: s.forbidden ?? [],
      }),
    );
}

let octokit: Octokit;
beforeAll(async () => {
  nock.disableNetConnect();
  octokit = await createGitHub({ token: 'ghp_adversarial', baseUrl: API, retries: false });
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
});

const PR: GateRequest = { owner: 'acme', repo: 'shop', pullNumber: 42 };

async function verdictOf(s: Scenario, request = PR, client = octokit): Promise<ApprovalVerdict> {
  return decide(client, ApprovalSpec.parse(s.policy ?? {}), request);
}

/** Everything the verdict says, to match the reason against. */
const said = (v: ApprovalVerdict) =>
  [...v.reasons, ...v.missing, ...v.notCounted.map((n) => `@${n.login}: ${n.reason}`)].join('\n');

type Case = [name: string, scenario: Scenario, outcome: ApprovalVerdict['outcome'], says: RegExp];

const CASES: Case[] = [
  ['two independent approvals on the head (control)', {}, 'approved', /^$/],
  [
    'self-approval by the author',
    { reviews: [{ login: 'alice' }, { login: 'bob' }] },
    'denied',
    /@alice: .*author/,
  ],
  [
    'self-approval with the login in another letter case',
    { author: 'Alice', reviews: [{ login: 'alice' }, { login: 'bob' }] },
    'denied',
    /@alice: .*author/,
  ],
  [
    'approval by the author of one of the commits',
    { commits: [{ oid: OLD, author: 'dave' }, {}], reviews: [{ login: 'dave' }, { login: 'bob' }] },
    'denied',
    /@dave: .*author/,
  ],
  ['approval by a committer', { commits: [{ committer: 'carol' }] }, 'denied', /@carol: .*commit/],
  [
    'approval by a co-author named in a trailer, in capitals',
    {
      commits: [{ message: 'Cart\n\nCO-AUTHORED-BY: Carol <4242+CAROL@users.noreply.github.com>' }],
    },
    'denied',
    /@carol: .*co-author/,
  ],
  [
    'approval by a co-author named by a plain company address GitHub linked to them',
    {
      commits: [
        { coAuthors: [{ name: 'C. Ortiz', email: 'c.ortiz@acme.example', login: 'carol' }] },
      ],
    },
    'denied',
    /@carol: co-author of commit 9f2c4e1$/m,
  ],
  [
    'approval by a co-author GitHub could not link, named like their login',
    { commits: [{ coAuthors: [{ name: 'CAROL', email: 'carol@home.example' }] }] },
    'denied',
    /@carol: co-author of commit 9f2c4e1 \(by name\)/,
  ],
  [
    'a co-author who is none of the reviewers changes nothing',
    { commits: [{ coAuthors: [staff('gus')] }] },
    'approved',
    /^$/,
  ],
  [
    'a co-author GitHub links to no account: who wrote the commit is unknown',
    { commits: [{ coAuthors: [{ name: 'Gus Guest', email: 'gus@contractor.example' }] }] },
    'denied',
    /cannot tell who wrote commit 9f2c4e1: its co-author Gus Guest <gus@contractor\.example> links to no GitHub account/,
  ],
  [
    'a commit with more authors than GitHub listed',
    { commits: [{ authorsTotal: 140 }] },
    'undecided',
    /read 1 of 140 authors of commit 9f2c4e1/,
  ],
  [
    'approval by someone who force-pushed the branch',
    { forcePushes: ['alice', 'Carol'] },
    'denied',
    /@carol: force-pushed the pull request's branch \(to 9f2c4e1\)/,
  ],
  [
    'approve, then push: the approval was for an older commit',
    { reviews: [{ login: 'bob' }, { login: 'carol', on: OLD }] },
    'denied',
    /@carol: .*older commit/,
  ],
  [
    're-approval on the new head counts',
    { reviews: [{ login: 'carol', on: OLD }, { login: 'bob' }, { login: 'carol' }] },
    'approved',
    /^$/,
  ],
  [
    'one person approving twice counts once',
    { reviews: [{ login: 'bob' }, { login: 'bob' }] },
    'denied',
    /needs 1 more approval/,
  ],
  [
    'a bot approval does not count',
    { reviews: [{ login: 'renovate', type: 'Bot' }, { login: 'bob' }] },
    'denied',
    /@renovate: is a bot/,
  ],
  [
    'a service account does not count',
    {
      policy: { serviceAccounts: ['deploy-bot'] },
      reviews: [{ login: 'deploy-bot' }, { login: 'bob' }],
    },
    'denied',
    /@deploy-bot: .*service account/,
  ],
  [
    'an approver with read access only',
    { reviews: [{ login: 'frank' }, { login: 'bob' }] },
    'denied',
    /@frank: .*read/,
  ],
  [
    'an approver who is no collaborator at all',
    { reviews: [{ login: 'mallory' }, { login: 'bob' }] },
    'denied',
    /@mallory: .*none/,
  ],
  [
    'an approver whose permission the token may not read: undecided, not denied',
    { forbidden: ['carol'] },
    'undecided',
    /cannot read @carol's permission on acme\/shop/,
  ],
  [
    'a required team that does not exist or the token may not see: undecided',
    {
      policy: { requireFrom: [{ teams: ['acme/ghosts'] }] },
      reviews: [{ login: 'bob' }, { login: 'dave' }],
    },
    'undecided',
    /cannot read team acme\/ghosts: it does not exist or the token lacks read:org/,
  ],
  [
    'team rule unmet',
    {
      policy: { requireFrom: [{ teams: ['acme/release-managers'] }] },
      reviews: [{ login: 'bob' }, { login: 'dave' }],
    },
    'denied',
    /needs 1 more approval from @acme\/release-managers/,
  ],
  [
    'team rule met by a member in another letter case',
    {
      policy: { requireFrom: [{ teams: ['acme/release-managers'] }] },
      reviews: [{ login: 'bob' }, { login: 'Erin' }],
    },
    'approved',
    /^$/,
  ],
  [
    'CHANGES_REQUESTED, then APPROVED by the same person',
    {
      reviews: [
        { login: 'carol', state: 'CHANGES_REQUESTED' },
        { login: 'carol' },
        { login: 'bob' },
      ],
    },
    'approved',
    /^$/,
  ],
  [
    'APPROVED, then CHANGES_REQUESTED by the same person blocks',
    {
      reviews: [
        { login: 'carol' },
        { login: 'dave' },
        { login: 'bob' },
        { login: 'carol', state: 'CHANGES_REQUESTED' },
      ],
    },
    'denied',
    /@carol: .*changes/i,
  ],
  [
    'COMMENTED after APPROVED keeps the approval',
    { reviews: [{ login: 'carol' }, { login: 'bob' }, { login: 'carol', state: 'COMMENTED' }] },
    'approved',
    /^$/,
  ],
  [
    'a dismissed approval does not count',
    { reviews: [{ login: 'carol', state: 'DISMISSED' }, { login: 'bob' }] },
    'denied',
    /needs 1 more approval/,
  ],
  [
    'a path rule triggers on the chart',
    {
      policy: { paths: [{ match: ['charts/**'], requireFrom: [{ teams: ['acme/sre'] }] }] },
      files: ['src/cart.ts', 'charts/shop/values.yaml'],
      reviews: [{ login: 'bob' }, { login: 'dave' }],
    },
    'denied',
    /needs 1 more approval from @acme\/sre/,
  ],
  [
    'a path rule that is met',
    {
      policy: { paths: [{ match: ['charts/**'], requireFrom: [{ teams: ['acme/sre'] }] }] },
      files: ['charts/shop/values.yaml'],
    },
    'approved',
    /^$/,
  ],
];

describe('adversarial approvals through GitHub-shaped answers', () => {
  for (const [name, scenario, outcome, says] of CASES) {
    it(name, async () => {
      mockGitHub(scenario);
      const verdict = await verdictOf(scenario);
      expect(verdict.outcome).toBe(outcome);
      if (outcome === 'approved') expect(verdict.reasons).toEqual([]);
      else expect(said(verdict)).toMatch(says);
    });
  }

  it('more than 100 reviews and 100 commits: approvals on the last pages still count', async () => {
    const commits = Array.from({ length: 130 }, (_, i) =>
      commitOf({ oid: i === 129 ? HEAD : `${i}`.padStart(40, 'a') }),
    );
    const reviews = [
      ...Array.from({ length: 115 }, () => review({ login: 'dave', state: 'COMMENTED' })),
      review({ login: 'bob' }),
      review({ login: 'carol' }),
    ];
    const first = pullRequestAnswer({});
    const pr = first.data.repository.pullRequest;
    pr.commits = {
      totalCount: 130,
      pageInfo: { hasNextPage: true, endCursor: 'c1' },
      nodes: commits.slice(0, 100),
    };
    pr.reviews = {
      totalCount: 117,
      pageInfo: { hasNextPage: true, endCursor: 'r1' },
      nodes: reviews.slice(0, 100),
    };
    const rest = (list: string, nodes: unknown[]) => ({
      data: {
        repository: {
          pullRequest: {
            [list]: {
              totalCount: nodes.length,
              pageInfo: { hasNextPage: false, endCursor: 'z' },
              nodes,
            },
          },
        },
      },
    });
    // First: the body filters below would throw on a GET, which has no body.
    mockActivity();
    nock(API)
      .post('/graphql', isPullRequestQuery)
      .reply(200, first)
      .post('/graphql', (b: { query: string }) => b.query.includes('commits(first: 100, after'))
      .reply(200, rest('commits', commits.slice(100)))
      .post('/graphql', (b: { query: string }) => b.query.includes('reviews(first: 100, after'))
      .reply(200, rest('reviews', reviews.slice(100)));
    nock(API)
      .post('/graphql', isApproversQuery)
      .reply(replyApprovers({ pullRequest: null, permissions: PERMISSIONS, teams: {} }));
    const verdict = await verdictOf({});
    expect(verdict.outcome).toBe('approved');
    expect(verdict.counted.map((c) => c.login).sort()).toEqual(['bob', 'carol']);
  });
});

describe('a deployed commit must be the merge commit of an approved pull request', () => {
  const merged = commitPulls[0] as (typeof commitPulls)[number];
  const deploy = (sha: string): GateRequest => ({ owner: 'acme', repo: 'shop', sha });
  // The long way (REST's list, the pull request by number), which every case but the
  // approval takes anyway; gate-deployed-commit.test.ts puts each to both ways.
  const pullsOf = (sha: string, pulls: unknown[]) => answerPullsOf(API, sha, pulls);

  it('denies a commit no pull request contains (a direct push)', async () => {
    pullsOf(MERGE, []);
    expect(said(await verdictOf({}, deploy(MERGE)))).toMatch(/pushed directly/);
  });

  it('denies a commit only in an open pull request', async () => {
    const open = {
      ...merged,
      state: 'open',
      merged_at: null,
      merge_commit_sha: null,
      head: { ...merged.head, sha: MERGE },
    };
    pullsOf(MERGE, [open]);
    const v = await verdictOf({}, deploy(MERGE));
    expect(v.outcome).toBe('denied');
    expect(said(v)).toMatch(/only in open pull request #42/);
  });

  it('denies a pull request merged into another branch', async () => {
    pullsOf(MERGE, [{ ...merged, base: { ...merged.base, ref: 'release-test' } }]);
    expect(said(await verdictOf({}, deploy(MERGE)))).toMatch(
      /merged into release-test, not a protected branch \(main\)/,
    );
  });

  it('denies the head of the pull request instead of its merge commit', async () => {
    pullsOf(HEAD, [merged]);
    expect(said(await verdictOf({}, deploy(HEAD)))).toMatch(
      /head of pull request #42, not its merge commit/,
    );
  });

  it('approves the merge commit of an approved pull request', async () => {
    pullsOf(MERGE, [merged]);
    mockGitHub({});
    const v = await verdictOf({}, deploy(MERGE));
    expect(v.outcome).toBe('approved');
    expect(v.evidence.deploySha).toBe(MERGE);
  });
});

describe('anything GitHub fails to answer is undecided, never approved', () => {
  const failures: [string, () => void, RegExp][] = [
    [
      'a 500',
      () => nock(API).post('/graphql').reply(500, { message: 'Server Error' }),
      /GitHub answered 500/,
    ],
    [
      'a rate limit',
      () =>
        nock(API)
          .post('/graphql')
          .reply(
            403,
            { message: 'API rate limit exceeded' },
            { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1893456000' },
          ),
      /GitHub rate limit exhausted until \d\d:\d\d:\d\d UTC/,
    ],
    [
      'malformed JSON',
      () =>
        nock(API)
          .post('/graphql')
          .reply(200, '{"data": {"repository": {', { 'content-type': 'application/json' }),
      /answer to the query for pull request #42 was not JSON/,
    ],
    [
      'a truncated answer missing the reviews',
      () => {
        const answer = pullRequestAnswer({}) as {
          data: { repository: { pullRequest: Record<string, unknown> } };
        };
        delete answer.data.repository.pullRequest.reviews;
        nock(API).post('/graphql').reply(200, answer);
      },
      /malformed: repository\.pullRequest\.reviews/,
    ],
    [
      'a token that may not read the team',
      () => {
        nock(API).post('/graphql', isPullRequestQuery).reply(200, pullRequestAnswer({}));
        mockActivity();
        nock(API)
          .post('/graphql', isApproversQuery)
          .reply(
            replyApprovers({
              pullRequest: null,
              permissions: PERMISSIONS,
              teams: {},
              forbiddenTeams: ['acme/sre'],
            }),
          );
      },
      /cannot read team acme\/sre: GitHub refused the token/,
    ],
  ];
  for (const [name, mock, reason] of failures) {
    it(name, async () => {
      mock();
      const v = await verdictOf({ policy: { requireFrom: [{ teams: ['acme/sre'] }] } });
      expect(v.outcome).toBe('undecided');
      expect(said(v)).toMatch(reason);
    });
  }

  it('a timeout', async () => {
    // A real server that accepts and never answers: the way a hung GitHub looks.
    const sockets = new Set<Socket>();
    const hung = createServer((socket) => sockets.add(socket));
    await new Promise<void>((done) => hung.listen(0, '127.0.0.1', done));
    nock.enableNetConnect('127.0.0.1');
    try {
      const { port } = hung.address() as AddressInfo;
      const slow = await createGitHub({
        token: 't',
        baseUrl: `http://127.0.0.1:${port}`,
        retries: false,
        timeoutMs: 200,
      });
      const v = await verdictOf({}, PR, slow);
      expect(v.outcome).toBe('undecided');
      expect(said(v)).toMatch(/did not answer in time/);
    } finally {
      nock.disableNetConnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => hung.close(done));
    }
  });

  it('no token: exit 2 with a clear message, before any request', async () => {
    // Answers to anything the gate might ask; any request would use one up.
    const github = nock(API).post(/.*/).reply(200, {}).get(/.*/).reply(200, {});
    const capture = captureIo({ GITHUB_API_URL: API });
    const code = await main(
      ['gate', '--policy', 'test/fixtures/policies/gate.yaml', '--repo', 'acme/shop', '--pr', '42'],
      capture.io,
    );
    expect(code).toBe(2);
    expect(capture.stderr).toBe(
      'vakt gate: no GitHub token: set GITHUB_TOKEN or pass --token (or a GitHub App: --app-id, --app-key, --installation)\n',
    );
    expect(github.pendingMocks()).toHaveLength(2);
  });
});
