import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import nock from 'nock';
import { afterEach } from 'vitest';
import { type RunningApp, startApp } from '../../src/app/app.ts';
import { createLogger } from '../../src/log.ts';
import pullRequest from '../fixtures/github/pull-request.json' with { type: 'json' };
import { contentsAnswer, INSTALLATION_ID } from './app-webhooks.ts';
import {
  type GitHubWorld,
  isApproversQuery,
  isPullRequestQuery,
  replyApprovers,
} from './github-answers.ts';

export { contentsAnswer };

/**
 * A `vakt app` on loopback, its GitHub faked with nock, its log kept as JSON lines. The
 * App's key is made per run, so a test can show that none of it reaches the log.
 */

export const API = 'https://api.github.com';
export const APP_ID = '1234';
export const WEBHOOK_SECRET = 'whsec-7f3a9c2e51b84d06a1e2c3d4';
export const INSTALLATION_TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';
export const POLICY_PATH = '.github/vakt-policy.yaml';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const PRIVATE_KEY = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

export const STRICT_POLICY = `apiVersion: vakt.dev/v1alpha1
kind: Policy
approval:
  minApprovals: 2
  requireFrom:
    - { teams: [acme/sre] }
`;

export interface TestApp {
  app: RunningApp;
  url: string;
  /** Every log line so far, parsed. */
  lines(): Record<string, unknown>[];
  /** The raw log text. */
  text(): string;
}

const running: RunningApp[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

export async function startTestApp(options: { trustedRoot?: string } = {}): Promise<TestApp> {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const app = await startApp({
    appId: APP_ID,
    privateKey: PRIVATE_KEY,
    webhookSecret: WEBHOOK_SECRET,
    policyPath: POLICY_PATH,
    port: 0,
    host: '127.0.0.1',
    baseUrl: API,
    retries: false,
    ...(options.trustedRoot && { trustedRoot: options.trustedRoot }),
    log: createLogger({ level: 'debug', destination }),
  });
  running.push(app);
  const text = () => chunks.join('');
  return {
    app,
    url: app.url,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** The installation token exchange, as GitHub answers it; `times` exchanges expected. */
export function mockInstallationToken(times = 1) {
  return nock(API)
    .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
    .matchHeader('authorization', /^bearer [\w-]+\.[\w-]+\.[\w-]+$/i)
    .times(times)
    .reply(201, {
      token: INSTALLATION_TOKEN,
      expires_at: '2099-01-01T00:00:00Z',
      permissions: {
        actions: 'read',
        checks: 'write',
        contents: 'read',
        deployments: 'write',
        metadata: 'read',
        pull_requests: 'read',
      },
      repository_selection: 'selected',
    });
}

export const CONTENTS_PATH = `/repos/acme/shop/contents/${encodeURIComponent(POLICY_PATH)}`;

/** The policy file on `branch`, read by the branch's full name with the installation token. */
export function mockPolicy(branch: string, text = STRICT_POLICY) {
  return mockPolicyAt(`refs/heads/${branch}`, text, branch);
}

/** The policy file at `ref` exactly as the request names it (a bare name, a SHA). */
export function mockPolicyAt(ref: string, text = STRICT_POLICY, name = ref) {
  return nock(API)
    .get(CONTENTS_PATH)
    .query({ ref })
    .matchHeader('authorization', `token ${INSTALLATION_TOKEN}`)
    .reply(200, contentsAnswer(POLICY_PATH, text, name));
}

const WORLD: GitHubWorld = {
  pullRequest,
  permissions: { bob: 'write', carol: 'admin', erin: 'write', frank: 'maintain' },
  teams: { 'acme/sre': ['carol'] },
};

/**
 * GitHub as the gate reads pull request #42 into `base`, with only the reviews `keep`
 * accepts, and who of the reviewers may write and is in acme/sre.
 */
export function mockPullRequest(keep: (login: string) => boolean = () => true, base = 'main') {
  const answer = structuredClone(pullRequest);
  answer.data.repository.pullRequest.baseRefName = base;
  const reviews = answer.data.repository.pullRequest.reviews;
  reviews.nodes = reviews.nodes.filter((r) => keep(r.author.login));
  reviews.totalCount = reviews.nodes.length;
  nock(API).post('/graphql', isPullRequestQuery).reply(200, answer);
  nock(API).post('/graphql', isApproversQuery).optionally().reply(replyApprovers(WORLD));
}

/**
 * Answers `POST path` with `status` and resolves with the body vakt sent: the test
 * waits for the post itself, not for a time.
 */
export function awaitPost<T = Record<string, unknown>>(
  path: string,
  status: number,
  answer: (body: T) => unknown,
): { body: Promise<T>; scope: nock.Scope } {
  let resolve: (body: T) => void = () => {};
  const body = new Promise<T>((done) => {
    resolve = done;
  });
  const scope = nock(API)
    .post(path)
    .matchHeader('authorization', `token ${INSTALLATION_TOKEN}`)
    .reply(async (request: Request) => {
      const sent = (await request.json()) as T;
      resolve(sent);
      return [status, answer(sent) as nock.Body];
    });
  return { body, scope };
}

/** The check run GitHub creates from vakt's POST (GitHub's "check-run" shape). */
export function checkRunAnswer(body: object) {
  const sent = body as Record<string, unknown>;
  return {
    id: 31855123991,
    head_sha: sent.head_sha,
    node_id: 'CR_kwDOJv_ClM8AAAAHaz1Xlw',
    external_id: sent.external_id,
    url: 'https://api.github.com/repos/acme/shop/check-runs/31855123991',
    html_url: 'https://github.com/acme/shop/runs/31855123991',
    status: sent.status,
    conclusion: sent.conclusion,
    started_at: '2026-11-02T10:12:10Z',
    completed_at: sent.completed_at,
    output: { ...(sent.output as object), annotations_count: 0 },
    name: sent.name,
    check_suite: { id: 31417923884 },
    app: { id: Number(APP_ID), slug: 'vakt', name: 'vakt' },
    pull_requests: [],
  };
}
