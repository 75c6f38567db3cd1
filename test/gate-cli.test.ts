import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import activity from './fixtures/github/activity.json' with { type: 'json' };
import commitPulls from './fixtures/github/commit-pulls.json' with { type: 'json' };
import pullRequest from './fixtures/github/pull-request.json' with { type: 'json' };
import { answerActivity } from './support/activity.ts';
import { answerPullsOf } from './support/associated-pulls.ts';
import {
  type GitHubWorld,
  isApproversQuery,
  isPullRequestQuery,
  replyApprovers,
} from './support/github-answers.ts';
import { captureIo } from './support/io.ts';
import { offline } from './support/offline.ts';

const API = 'https://api.github.test';
const TOKEN = 'ghp_gateTestToken1234567890';
const HEAD = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
const MERGE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const POLICY = resolve(import.meta.dirname, 'fixtures/policies/gate.yaml');
const ENV = { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: API, VAKT_GITHUB_RETRIES: '0' };
const PR_ARGS = ['gate', '--policy', POLICY, '--repo', 'acme/shop', '--pr', '42'];

offline();
answerActivity(API, activity);

async function gate(args: string[], env: Record<string, string> = ENV) {
  const capture = captureIo(env);
  const code = await main(args, capture.io);
  return { code, stdout: capture.stdout, stderr: capture.stderr };
}

/** The fixture pull request, with only the reviews `keep` accepts. */
function pullRequestWith(keep: (login: string) => boolean) {
  const answer = structuredClone(pullRequest);
  const reviews = answer.data.repository.pullRequest.reviews;
  reviews.nodes = reviews.nodes.filter((r) => keep(r.author.login));
  reviews.totalCount = reviews.nodes.length;
  return answer;
}

const WORLD: GitHubWorld = {
  pullRequest,
  permissions: { bob: 'write', carol: 'admin', erin: 'write', frank: 'maintain' },
  teams: { 'acme/sre': ['carol'] },
};

/** GitHub as it answers for pull request #42 and its reviewers. */
function mockPullRequest(answer: unknown = pullRequest) {
  const world: GitHubWorld = { ...WORLD, pullRequest: answer };
  nock(API)
    .post('/graphql', isPullRequestQuery)
    .reply(200, answer as nock.Body);
  return mockPullRequestReviewers(world);
}

function mockPullRequestReviewers(world = WORLD) {
  return nock(API).post('/graphql', isApproversQuery).optionally().reply(replyApprovers(world));
}

/** `vakt gate --sha MERGE`, expected to approve; the GitHub requests its JSON report counts. */
async function approvedMergeCommit(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'vakt-gate-'));
  const json = join(dir, 'gate.json');
  const args = ['gate', '--policy', POLICY, '--repo', 'acme/shop', '--sha', MERGE];
  const out = await gate([...args, '--json', json]);
  expect(out.code).toBe(0);
  expect(out.stdout).toContain('deployed 4b825dc');
  return (JSON.parse(await readFile(json, 'utf8')) as { requests: number }).requests;
}

describe('vakt gate', () => {
  it('approves a pull request with two qualified approvals', async () => {
    mockPullRequest();
    const out = await gate(PR_ARGS);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^vakt gate: APPROVED {2}2\/2 qualified approvals/);
    expect(out.stdout).toMatch(/counted +@bob \(review \d+ on 9f2c4e1\)/);
    expect(out.stdout).toMatch(/counted +@carol/);
    expect(out.stdout).toMatch(/not counted +@erin: .*co-author/);
    expect(out.stdout).toContain('acme/shop#42 into main, head 9f2c4e1');
  });

  it('denies a pull request with one approval', async () => {
    mockPullRequest(pullRequestWith((login) => login !== 'carol'));
    const out = await gate(PR_ARGS);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^vakt gate: DENIED/);
    expect(out.stdout).toContain('needs 1 more approval');
  });

  it('is undecided, and says why, when GitHub fails', async () => {
    nock(API).post('/graphql').reply(500, { message: 'Server Error' });
    const out = await gate(PR_ARGS);
    expect(out.code).toBe(3);
    expect(out.stdout).toMatch(
      /^vakt gate: UNDECIDED {2}could not read pull request #42: GitHub answered 500/,
    );
    expect(out.stderr).toBe('');
  });

  it('denies a deployed commit that no pull request contains', async () => {
    answerPullsOf(API, MERGE, []);
    const out = await gate(['gate', '--policy', POLICY, '--repo', 'acme/shop', '--sha', MERGE]);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(
      /DENIED {2}no pull request contains 4b825dc: it was pushed directly/,
    );
  });

  it('expands an abbreviated SHA before comparing it with merge commits', async () => {
    nock(API).get('/repos/acme/shop/commits/4b825dc').reply(200, { sha: MERGE });
    answerPullsOf(API, MERGE, []);
    const out = await gate(['gate', '--policy', POLICY, '--repo', 'acme/shop', '--sha', '4B825DC']);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`deployed 4b825dc`);
  });

  it('checks the pull request a deployed merge commit came from', async () => {
    const github = answerPullsOf(API, MERGE, commitPulls, { fast: { pullRequest } });
    mockPullRequestReviewers();
    const requests = await approvedMergeCommit();
    expect(github.isDone()).toBe(true);
    // The commit's pull request with all of its facts, its branch's pushes, the standing
    // of its reviewers.
    expect(requests).toBe(3);
  });

  it('finds the same pull request the long way on a GitHub without associatedPullRequests', async () => {
    const github = answerPullsOf(API, MERGE, commitPulls);
    mockPullRequest();
    const requests = await approvedMergeCommit();
    expect(github.isDone()).toBe(true);
    // The refused GraphQL question, then as before: the commit's pull requests, the pull
    // request itself, the pushes, the standing of its reviewers.
    expect(requests).toBe(5);
  });

  it('needs a token', async () => {
    const out = await gate(PR_ARGS, { GITHUB_API_URL: API });
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      'vakt gate: no GitHub token: set GITHUB_TOKEN or pass --token (or a GitHub App: --app-id, --app-key, --installation)\n',
    );
  });

  it('authenticates as a GitHub App installation and never prints its key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const dir = await mkdtemp(join(tmpdir(), 'vakt-app-'));
    await writeFile(join(dir, 'app.pem'), pem);
    const installationToken = 'ghs_installationToken0123456789';
    const tokens = nock(API)
      .post('/app/installations/77/access_tokens')
      .matchHeader('authorization', /^bearer [\w-]+\.[\w-]+\.[\w-]+$/i)
      .reply(201, {
        token: installationToken,
        expires_at: '2099-01-01T00:00:00Z',
        permissions: {},
      });
    nock(API)
      .post('/graphql', isPullRequestQuery)
      .matchHeader('authorization', `token ${installationToken}`)
      .reply(200, pullRequest);
    mockPullRequestReviewers();
    const env = { GITHUB_API_URL: API, VAKT_GITHUB_RETRIES: '0' };
    const args = ['--app-id', '1234', '--app-key', join(dir, 'app.pem'), '--installation', '77'];
    const out = await gate([...PR_ARGS, ...args], env);
    expect(tokens.isDone()).toBe(true);
    expect(out.code).toBe(0);
    const body = pem.split('\n')[1] ?? 'missing';
    expect(out.stdout + out.stderr).not.toContain(body);

    const missing = await gate([...PR_ARGS, '--app-id', '1234', '--installation', '77'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/needs its private key in PEM form/);
  });

  it('refuses an App key that is not a PEM private key before asking GitHub', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vakt-app-'));
    const file = join(dir, 'app.pem');
    await writeFile(
      file,
      '-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END RSA PRIVATE KEY-----\n',
    );
    const env = { GITHUB_API_URL: API, VAKT_GITHUB_RETRIES: '0' };
    const app = ['--app-id', '1234', '--installation', '77'];
    const out = await gate([...PR_ARGS, ...app, '--app-key', file], env);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      'vakt gate: --app-key: not a PEM private key GitHub could have issued (an RSA key, "-----BEGIN RSA PRIVATE KEY-----")\n',
    );
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ec = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const fromEnv = await gate([...PR_ARGS, ...app], { ...env, GITHUB_APP_PRIVATE_KEY: ec });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/^vakt gate: GITHUB_APP_PRIVATE_KEY: not a PEM private key/);
  });

  it.each([
    [['--pr', 'abc'], /--pr expects a pull request number, got "abc"/],
    [['--pr', '0'], /--pr expects a pull request number/],
    [['--pr', '1', '--sha', MERGE], /exactly one of --pr N and --sha SHA/],
    [[], /exactly one of --pr N and --sha SHA/],
    [['--sha', 'xyz'], /--sha expects 7 to 40 hex digits/],
  ])('refuses %j', async (extra, message) => {
    const out = await gate(['gate', '--policy', POLICY, '--repo', 'acme/shop', ...extra]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a bad repository, a missing policy and a policy without an approval section', async () => {
    const repo = await gate(['gate', '--policy', POLICY, '--repo', 'nope', '--pr', '1']);
    expect(repo.code).toBe(2);
    expect(repo.stderr).toMatch(/--repo expects OWNER\/NAME, got "nope"/);
    const none = await gate(['gate', '--repo', 'acme/shop', '--pr', '1']);
    expect(none.stderr).toMatch(/--policy FILE is required/);
    const probeOnly = resolve(import.meta.dirname, 'fixtures/policies/valid.yaml');
    const noSection = await gate([
      'gate',
      '--policy',
      probeOnly,
      '--repo',
      'acme/shop',
      '--pr',
      '1',
    ]);
    expect(noSection.code).toBe(2);
    expect(noSection.stderr).toMatch(/has no approval section/);
    const broken = resolve(import.meta.dirname, 'fixtures/policies/many-problems.yaml');
    const problems = await gate(['gate', '--policy', broken, '--repo', 'acme/shop', '--pr', '1']);
    expect(problems.code).toBe(2);
    expect(problems.stderr).toMatch(/many-problems\.yaml:\d+:\d+ /);
  });

  it('posts the commit status on the head commit', async () => {
    mockPullRequest(pullRequestWith((login) => login !== 'carol'));
    let body: Record<string, unknown> = {};
    const posted = nock(API)
      .post(`/repos/acme/shop/statuses/${HEAD}`)
      .reply(async (req: Request) => {
        body = (await req.json()) as Record<string, unknown>;
        return [201, { id: 1, state: body.state }];
      });
    const out = await gate([...PR_ARGS, '--post-status']);
    expect(out.code).toBe(1);
    expect(posted.isDone()).toBe(true);
    expect(body).toEqual({
      state: 'failure',
      description: 'needs 1 more approval',
      context: 'vakt/two-person',
    });
    expect(String(body.description).length).toBeLessThanOrEqual(140);
  });

  it('keeps the status description within 140 characters when many approve', async () => {
    // Five approvers with 39-character logins, the longest GitHub allows.
    const logins = ['a', 'b', 'c', 'd', 'e'].map((c) => `${c}-reviewer-${'x'.repeat(28)}`);
    const answer = structuredClone(pullRequest);
    const reviews = answer.data.repository.pullRequest.reviews;
    const template = reviews.nodes.find((r) => r.author.login === 'bob');
    if (!template) throw new Error('the fixture lost bob');
    reviews.nodes = logins.map((login, i) => ({
      ...template,
      databaseId: template.databaseId + 100 + i,
      author: { login, __typename: 'User' },
    }));
    reviews.totalCount = reviews.nodes.length;
    nock(API).post('/graphql', isPullRequestQuery).reply(200, answer);
    nock(API)
      .post('/graphql', isApproversQuery)
      .reply(
        replyApprovers({
          ...WORLD,
          permissions: Object.fromEntries(logins.map((l) => [l, 'write' as const])),
          teams: { 'acme/sre': [logins[0] as string] },
        }),
      );
    let body: { description?: string; state?: string } = {};
    nock(API)
      .post(`/repos/acme/shop/statuses/${HEAD}`)
      .reply(async (req: Request) => {
        body = (await req.json()) as typeof body;
        return [201, {}];
      });
    const out = await gate([...PR_ARGS, '--post-status']);
    expect(out.code).toBe(0);
    expect(body.state).toBe('success');
    const description = body.description ?? '';
    expect(description).toMatch(/^5\/2 approvals: @a-reviewer-x+, @b-reviewer-/);
    expect([...description]).toHaveLength(140);
    expect(description.endsWith('…')).toBe(true);
  });

  it('fails when it cannot post the status', async () => {
    nock(API)
      .post('/graphql')
      .reply(200, { errors: [{ message: 'Something went wrong while executing your query.' }] });
    const statuses = nock(API)
      .post(/\/repos\/acme\/shop\/statuses\//)
      .reply(201, {});
    // Undecided before the pull request was read: there is no head commit to post to.
    const out = await gate([...PR_ARGS, '--post-status']);
    expect(out.code).toBe(3);
    expect(out.stderr).toMatch(/could not post the commit status: the head commit/);
    expect(statuses.isDone()).toBe(false);

    nock.cleanAll();
    nock(API).get('/repos/acme/shop/activity').query(true).reply(200, activity);
    mockPullRequest();
    nock(API).post(`/repos/acme/shop/statuses/${HEAD}`).reply(500, { message: 'boom' });
    const failed = await gate([...PR_ARGS, '--post-status']);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(/could not post the commit status: GitHub answered 500/);
  });

  it('writes JSON and Markdown reports without the token', async () => {
    mockPullRequest();
    const dir = await mkdtemp(join(tmpdir(), 'vakt-gate-'));
    const json = join(dir, 'out/gate.json');
    const markdown = join(dir, 'gate.md');
    const out = await gate([...PR_ARGS, '--token', TOKEN, '--json', json, '--markdown', markdown]);
    expect(out.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report.outcome).toBe('approved');
    expect(report.requests).toBeGreaterThan(0);
    const md = await readFile(markdown, 'utf8');
    expect(md).toMatch(/^## ✅ vakt gate: APPROVED/);
    expect(md).toMatch(/\| @bob \| yes \|/);
    for (const text of [out.stdout, out.stderr, JSON.stringify(report), md]) {
      expect(text).not.toContain(TOKEN);
    }
  });

  it('writes a report on stdout for -, the summary on stderr, and never a file named -', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vakt-gate-'));
    for (const flag of ['--json', '--markdown']) {
      mockPullRequest();
      const capture = captureIo(ENV, dir);
      expect(await main([...PR_ARGS, flag, '-'], capture.io)).toBe(0);
      expect(capture.stderr).toMatch(/^vakt gate: APPROVED/);
      if (flag === '--json') expect(JSON.parse(capture.stdout).outcome).toBe('approved');
      else expect(capture.stdout).toMatch(/^## ✅ vakt gate: APPROVED/);
    }
    expect(await readdir(dir)).toEqual([]);
    const both = captureIo(ENV, dir);
    expect(await main([...PR_ARGS, '--json', '-', '--markdown', '-'], both.io)).toBe(2);
    expect(both.stderr).toBe(
      'vakt gate: only one report can go to stdout, got --json - and --markdown -\n',
    );
  });

  it('never prints the token, even when GitHub echoes it', async () => {
    nock(API)
      .post('/graphql')
      .reply(200, {
        errors: [{ message: `bad credentials ${TOKEN} and raw-${ENV.GITHUB_TOKEN}` }],
      });
    const out = await gate(PR_ARGS);
    expect(out.code).toBe(3);
    expect(out.stdout).toContain('[redacted]');
    expect(`${out.stdout}${out.stderr}`).not.toContain(TOKEN);
  });
});
