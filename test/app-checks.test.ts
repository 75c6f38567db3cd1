import nock from 'nock';
import { describe, expect, it, vi } from 'vitest';
import activity from './fixtures/github/activity.json' with { type: 'json' };
import { answerActivity } from './support/activity.ts';
import {
  checkSuiteEvent,
  deliver,
  HEAD,
  HEAD_REF,
  pullRequestEvent,
  reviewEvent,
} from './support/app-webhooks.ts';
import {
  API,
  awaitPost,
  CONTENTS_PATH,
  checkRunAnswer,
  contentsAnswer,
  mockInstallationToken,
  mockPolicy,
  mockPolicyAt,
  mockPullRequest,
  POLICY_PATH,
  STRICT_POLICY,
  startTestApp,
  WEBHOOK_SECRET,
} from './support/app-world.ts';
import { offline } from './support/offline.ts';

offline({ loopback: true });
answerActivity(API, activity);

interface CheckRun {
  name: string;
  head_sha: string;
  status: string;
  conclusion: string;
  external_id: string;
  output: { title: string; summary: string };
}

function awaitCheckRun() {
  return awaitPost<CheckRun>('/repos/acme/shop/check-runs', 201, checkRunAnswer);
}

/** Delivers a signed webhook and resolves with the check run vakt posts for it. */
async function checkRunFor(url: string, event: string, payload: unknown): Promise<CheckRun> {
  const check = awaitCheckRun();
  await deliver(url, event, payload, { secret: WEBHOOK_SECRET });
  return check.body;
}

/** A policy asking for `n` approvals and nothing else. */
const needing = (n: number) =>
  `apiVersion: vakt.dev/v1alpha1\nkind: Policy\napproval:\n  minApprovals: ${n}\n`;

describe('vakt app: the vakt/two-person check run', () => {
  it('posts a passing check with who counted and who did not after a review', async () => {
    const { url, lines } = await startTestApp();
    mockInstallationToken();
    mockPolicy('main');
    mockPullRequest();
    const check = awaitCheckRun();

    const sent = await deliver(url, 'pull_request_review', reviewEvent(), {
      secret: WEBHOOK_SECRET,
    });
    expect(sent.status).toBe(202);
    const run = await check.body;

    expect(run).toMatchObject({
      name: 'vakt/two-person',
      head_sha: HEAD,
      status: 'completed',
      conclusion: 'success',
      external_id: 'pull/42',
    });
    expect(run.output.title).toBe('APPROVED: 2/2 qualified approvals');
    const summary = run.output.summary;
    expect(summary).toContain('| @bob | yes |');
    expect(summary).toContain('| @carol | yes |');
    expect(summary).toMatch(/\| @erin \| no \| .*co-author/);
    expect(summary).toContain('| @Frank | no | approved an older commit (e83c516), not the head |');
    expect(summary).toContain('acme/shop#42 into main, head 9f2c4e1');
    expect(summary).toContain('Policy: `.github/vakt-policy.yaml@main`');
    expect(nock.pendingMocks()).toEqual([]);
    const received = lines().find((l) => l.msg === 'webhook accepted');
    expect(received).toMatchObject({ event: 'pull_request_review', status: 202, work: 1 });
  });

  it('posts a failing check that says what is missing', async () => {
    const { url } = await startTestApp();
    mockInstallationToken();
    mockPolicy('main');
    mockPullRequest((login) => login !== 'carol');
    const run = await checkRunFor(url, 'pull_request', pullRequestEvent('synchronize'));
    expect(run.conclusion).toBe('failure');
    expect(run.output.title).toMatch(/^DENIED: /);
    expect(run.output.summary).toContain('### Missing');
    expect(run.output.summary).toMatch(/needs 1 more approval/);
  });

  it("judges by the base branch's policy, never the one the pull request brings", async () => {
    const { url } = await startTestApp();
    mockInstallationToken();
    // The pull request's branch lowers the bar to one approval; main asks for three.
    const lenient = needing(1);
    const strict = needing(3);
    const fromHead = [
      mockPolicy(HEAD_REF, lenient),
      mockPolicyAt(HEAD_REF, lenient),
      mockPolicyAt(HEAD, lenient),
    ];
    mockPolicy('main', strict);
    mockPullRequest();
    const run = await checkRunFor(url, 'pull_request_review', reviewEvent());
    expect(run.conclusion).toBe('failure');
    expect(run.output.summary).toContain('needs 1 more approval');
    for (const scope of fromHead) expect(scope.isDone()).toBe(false);
  });

  it('reads the policy from the base branch by its full name: a tag called main cannot stand in for it', async () => {
    const { url } = await startTestApp();
    mockInstallationToken();
    // Anyone with write access can push a tag named like the branch; git resolves the
    // bare name "main" to refs/tags/main before refs/heads/main.
    const own = needing(1);
    const strict = needing(3);
    const tag = mockPolicyAt('main', own);
    mockPolicy('main', strict);
    mockPullRequest();
    const run = await checkRunFor(url, 'pull_request_review', reviewEvent());
    expect(run.conclusion).toBe('failure');
    expect(run.output.summary).toContain('needs 1 more approval');
    expect(tag.isDone()).toBe(false);
  });

  it('passes nothing into a branch the default branch does not guard, whatever policy it holds', async () => {
    const { url } = await startTestApp();
    mockInstallationToken();
    // Whoever can push a branch can give it a policy of their own: this one asks for one
    // approval. A pass earned there would sit on the same head commit as the pull request
    // into main, where GitHub would count it.
    const fromUnguarded = mockPolicy('try-this', needing(1));
    mockPolicy('main');
    mockPullRequest(undefined, 'try-this');
    const opened = pullRequestEvent('opened', { base: 'try-this' });
    const run = await checkRunFor(url, 'pull_request', opened);
    expect(run.conclusion).toBe('failure');
    expect(run.head_sha).toBe(HEAD);
    expect(run.output.title).toBe(
      'DENIED: try-this is neither main nor in approval.protectedBranches of .github/vakt-policy.yaml@main: whoever can push to it could write its policy',
    );
    expect(fromUnguarded.isDone()).toBe(false);
  });

  it("judges a pull request into a protected branch the default branch's policy names by that branch's policy", async () => {
    const { url } = await startTestApp();
    mockInstallationToken();
    mockPolicy('main', `${STRICT_POLICY}  protectedBranches: [main, release]\n`);
    mockPolicy('release', needing(3));
    mockPullRequest(undefined, 'release');
    const opened = pullRequestEvent('opened', { base: 'release' });
    const run = await checkRunFor(url, 'pull_request', opened);
    expect(run.conclusion).toBe('failure');
    expect(run.output.summary).toContain('needs 1 more approval');
    expect(run.output.summary).toContain('Policy: `.github/vakt-policy.yaml@release`');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('fails closed, saying so, when the base branch has no policy or a broken one', async () => {
    const { url, app } = await startTestApp();
    mockInstallationToken();
    nock(API).get(CONTENTS_PATH).query({ ref: 'refs/heads/main' }).reply(404, {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content',
      status: '404',
    });
    const first = await checkRunFor(url, 'pull_request', pullRequestEvent('opened'));
    expect(first.conclusion).toBe('failure');
    expect(first.output.title).toBe(
      'DENIED: no policy at .github/vakt-policy.yaml on main: without one vakt approves nothing (add the file to main)',
    );
    await app.idle();

    mockPolicy(
      'main',
      'apiVersion: vakt.dev/v1alpha1\nkind: Policy\napproval:\n  minApprovals: two\n',
    );
    const second = await checkRunFor(url, 'pull_request', pullRequestEvent('opened'));
    expect(second.conclusion).toBe('failure');
    expect(second.output.title).toBe(
      'DENIED: the policy .github/vakt-policy.yaml@main is not valid',
    );
    expect(second.output.summary).toMatch(
      /\.github\/vakt-policy\.yaml@main:4:17 approval\.minApprovals: /,
    );
  });

  it('fails closed when GitHub fails while deciding: a failing check, never a pass', async () => {
    const { url, app } = await startTestApp();
    mockInstallationToken();
    mockPolicy('main');
    nock(API).post('/graphql').reply(502, { message: 'Server Error' });
    const run = await checkRunFor(url, 'pull_request_review', reviewEvent());
    expect(run.conclusion).toBe('failure');
    expect(run.output.title).toBe(
      'UNDECIDED: could not read pull request #42: GitHub answered 502',
    );
    expect(run.head_sha).toBe(HEAD);
    await app.idle();

    nock(API)
      .get(CONTENTS_PATH)
      .query({ ref: 'refs/heads/main' })
      .reply(500, { message: 'Server Error' });
    const second = await checkRunFor(url, 'pull_request_review', reviewEvent());
    expect(second.conclusion).toBe('failure');
    expect(second.output.title).toBe(
      'UNDECIDED: could not read the policy .github/vakt-policy.yaml@main: GitHub answered 500',
    );
  });

  it('posts nothing when the installation token cannot be had, and logs why', async () => {
    const { url, app, lines } = await startTestApp();
    nock(API)
      .post('/app/installations/77/access_tokens')
      .times(3)
      .reply(401, { message: 'A JSON web token could not be decoded', status: '401' });
    const posted = nock(API).post('/repos/acme/shop/check-runs').reply(201, {});
    await deliver(url, 'pull_request_review', reviewEvent(), { secret: WEBHOOK_SECRET });
    await app.idle();
    expect(posted.isDone()).toBe(false);
    const failure = lines().find((l) => l.level === 50);
    expect(failure).toMatchObject({
      repository: 'acme/shop',
      pullRequest: 42,
      outcome: 'undecided',
    });
    expect(failure?.msg).toMatch(/^could not post the check run: /);
  });

  it('re-evaluates for a check suite, and folds a burst of events into one more decision', async () => {
    const { url, app } = await startTestApp();
    mockInstallationToken();
    // The first decision waits at its first request until every delivery is in.
    let release: () => void = () => {};
    const allIn = new Promise<void>((done) => {
      release = done;
    });
    const answer = contentsAnswer(POLICY_PATH, STRICT_POLICY, 'main');
    nock(API)
      .get(CONTENTS_PATH)
      .query({ ref: 'refs/heads/main' })
      .reply(async () => {
        await allIn;
        return [200, answer];
      });
    mockPolicy('main');
    mockPullRequest();
    mockPullRequest();
    const runs: CheckRun[] = [];
    nock(API)
      .post('/repos/acme/shop/check-runs')
      .times(2)
      .reply(async (request: Request) => {
        runs.push((await request.json()) as CheckRun);
        return [201, {}];
      });
    const bursts = [];
    for (let i = 0; i < 5; i++) {
      bursts.push(await deliver(url, 'check_suite', checkSuiteEvent(), { secret: WEBHOOK_SECRET }));
    }
    expect(bursts.map((b) => b.status)).toEqual([202, 202, 202, 202, 202]);
    release();
    await app.idle();
    // One decision under way, one more for the four that came while it ran.
    expect(runs.map((r) => r.conclusion)).toEqual(['success', 'success']);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('caches the installation token, and fetches a new one before it expires', async () => {
    const { url, app } = await startTestApp();
    const token = mockInstallationToken();
    for (let i = 0; i < 2; i++) {
      mockPolicy('main');
      mockPullRequest();
      const run = await checkRunFor(url, 'pull_request_review', reviewEvent());
      expect(run.conclusion).toBe('success');
      await app.idle();
    }
    expect(token.isDone()).toBe(true);

    // An hour on, the cached token is past its lifetime: a fresh one is fetched.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60 * 60 * 1000 });
    try {
      const fresh = mockInstallationToken();
      mockPolicy('main');
      mockPullRequest();
      const run = await checkRunFor(url, 'pull_request_review', reviewEvent());
      expect(run.conclusion).toBe('success');
      expect(fresh.isDone()).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ignores events that cannot change the verdict, with one log line', async () => {
    const { url, app, lines } = await startTestApp();
    const token = mockInstallationToken();
    const labeled = await deliver(url, 'pull_request', pullRequestEvent('labeled'), {
      secret: WEBHOOK_SECRET,
    });
    expect(labeled.status).toBe(200);
    expect(labeled.text).toBe('pull_request.labeled: nothing to do\n');
    await app.idle();
    expect(lines()).toHaveLength(1);
    expect(token.isDone()).toBe(false);
  });
});
