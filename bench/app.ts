// vakt app's figures: from a signed webhook to the check run (or the deployment review)
// GitHub receives, and the requests to GitHub each webhook costs. GitHub is nock, in the
// same process as the App; the webhooks come over loopback HTTP as GitHub sends them.
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import nock from 'nock';
import { startApp } from '../src/app/app.ts';
import { createLogger } from '../src/log.ts';
import commitPulls from '../test/fixtures/github/commit-pulls.json' with { type: 'json' };
import pullRequest from '../test/fixtures/github/pull-request.json' with { type: 'json' };
import {
  contentsAnswer,
  deliver,
  INSTALLATION_ID,
  MERGE,
  protectionRuleEvent,
  RUN_ID,
  reviewEvent,
} from '../test/support/app-webhooks.ts';
import { deployedCommitAnswer, isDeployedCommitQuery } from '../test/support/associated-pulls.ts';
import { isPullRequestQuery, replyApprovers } from '../test/support/github-answers.ts';
import { type Figure, median } from './support.ts';

const API = 'https://api.github.bench';
const SECRET = 'bench-webhook-secret';
const POLICY = '.github/vakt-policy.yaml';
const TEXT =
  'apiVersion: vakt.dev/v1alpha1\nkind: Policy\napproval:\n  requireFrom:\n    - { teams: [acme/sre] }\n';
const WEBHOOKS = 60;
const WARM_UP = 5;

/** GitHub as nock, answering everything the App asks, counting each request by route. */
function fakeGitHub(onPosted: (verdict: string) => void): Map<string, number> {
  const counts = new Map<string, number>();
  const count = (route: string) => counts.set(route, (counts.get(route) ?? 0) + 1);
  const world = {
    pullRequest,
    permissions: { bob: 'write', carol: 'admin', erin: 'write', frank: 'maintain' } as const,
    teams: { 'acme/sre': ['carol'] },
  };
  const approvers = replyApprovers(world);
  nock(API)
    .persist()
    .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
    .reply(() => {
      count('token exchange');
      return [201, { token: 'ghs_bench', expires_at: '2099-01-01T00:00:00Z', permissions: {} }];
    })
    .get(/\/contents\//)
    .query(true)
    .reply(() => {
      count('policy (contents)');
      return [200, contentsAnswer(POLICY, TEXT, 'main')];
    })
    .get('/repos/acme/shop/activity')
    .query(true)
    .reply(() => {
      count('pushers (activity)');
      return [200, []];
    })
    .get(`/repos/acme/shop/commits/${MERGE}/pulls`)
    .query(true)
    .reply(() => {
      count("commit's pull requests");
      return [200, commitPulls];
    })
    .post('/graphql')
    .reply(async (request: Request) => {
      const body = (await request.clone().json()) as { query: string };
      if (isDeployedCommitQuery(body as never)) {
        count("commit's pull request, in full (GraphQL)");
        return [200, deployedCommitAnswer(MERGE, commitPulls, pullRequest)];
      }
      if (isPullRequestQuery(body as never)) {
        count('pull request (GraphQL)');
        return [200, pullRequest];
      }
      count('approvers (GraphQL)');
      return approvers(request);
    })
    .post('/repos/acme/shop/check-runs')
    .reply(async (request: Request) => {
      count('check run (POST)');
      onPosted(((await request.json()) as { conclusion: string }).conclusion);
      return [201, { id: 1 }];
    })
    .post(`/repos/acme/shop/actions/runs/${RUN_ID}/deployment_protection_rule`)
    .reply(async (request: Request) => {
      count('deployment review (POST)');
      onPosted(((await request.json()) as { state: string }).state);
      return [204, ''];
    });
  return counts;
}

export async function benchApp(): Promise<Figure[]> {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1/);
  let posted: (verdict: string) => void = () => {};
  const counts = fakeGitHub((verdict) => posted(verdict));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const app = await startApp({
    appId: '1234',
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    webhookSecret: SECRET,
    policyPath: POLICY,
    port: 0,
    host: '127.0.0.1',
    baseUrl: API,
    // Off: as shipped, posts are spaced a second apart per installation (pacing.ts), which
    // would measure that pause and not the App.
    retries: false,
    log: createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) }),
  });
  const total = () => [...counts.values()].reduce((a, b) => a + b, 0);
  /** Milliseconds from sending the webhook to GitHub receiving the answer. */
  const once = async (event: string, payload: unknown) => {
    const received = new Promise<string>((done) => {
      posted = done;
    });
    const t0 = performance.now();
    const sent = await deliver(app.url, event, payload, { secret: SECRET });
    if (sent.status !== 202) throw new Error(`webhook answered ${sent.status}: ${sent.text}`);
    const verdict = await received;
    const ms = performance.now() - t0;
    // Only the path that approves is measured: a failure would be quicker and prove nothing.
    if (verdict !== 'success' && verdict !== 'approved') throw new Error(`bench world: ${verdict}`);
    await app.idle();
    return ms;
  };

  const figures: Figure[] = [];
  try {
    const before = total();
    await once('pull_request_review', reviewEvent());
    const first = total() - before;
    const perRoute = [...counts].map(([route, n]) => `${route} ${n}`).join(', ');
    const times: number[] = [];
    const start = total();
    for (let i = 0; i < WEBHOOKS; i++) times.push(await once('pull_request_review', reviewEvent()));
    const perWebhook = (total() - start) / WEBHOOKS;
    const warm = times.slice(WARM_UP).sort((a, b) => a - b);
    figures.push(
      {
        name: 'webhook to check run, pull_request_review, nock GitHub',
        value: median(warm),
        unit: 'ms median',
        note: `p90 ${warm[Math.floor(warm.length * 0.9)]?.toFixed(1)} ms over ${warm.length} webhooks one after another, ${WARM_UP} warm-up excluded`,
      },
      {
        name: 'GitHub requests per pull request webhook',
        value: perWebhook,
        unit: 'requests',
        note: `the first webhook of an installation ${first} (${perRoute}); the token is cached after`,
      },
    );

    counts.clear();
    const deployTimes: number[] = [];
    for (let i = 0; i < WEBHOOKS / 2; i++) {
      deployTimes.push(await once('deployment_protection_rule', protectionRuleEvent()));
    }
    const deployRoutes = [...counts]
      .map(([route, n]) => `${route} ${n / (WEBHOOKS / 2)}`)
      .join(', ');
    const warmDeploys = deployTimes.slice(WARM_UP).sort((a, b) => a - b);
    figures.push(
      {
        name: 'webhook to deployment review, deployment_protection_rule, nock GitHub',
        value: median(warmDeploys),
        unit: 'ms median',
        note: `over ${warmDeploys.length} webhooks, ${WARM_UP} warm-up excluded`,
      },
      {
        name: 'GitHub requests per deployment_protection_rule webhook',
        value: total() / (WEBHOOKS / 2),
        unit: 'requests',
        note: deployRoutes,
      },
    );
  } finally {
    await app.stop();
    nock.cleanAll();
    nock.enableNetConnect();
  }
  return figures;
}
