import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../src/app/server.ts';
import { appSettings } from '../src/cli/app-run.ts';
import { main } from '../src/cli/main.ts';
import pullRequest from './fixtures/github/pull-request.json' with { type: 'json' };
import {
  deliver,
  protectionRuleEvent,
  pullRequestEvent,
  reviewEvent,
  sign,
} from './support/app-webhooks.ts';
import {
  API,
  awaitPost,
  checkRunAnswer,
  INSTALLATION_TOKEN,
  mockInstallationToken,
  mockPolicy,
  PRIVATE_KEY,
  startTestApp,
  WEBHOOK_SECRET,
} from './support/app-world.ts';
import { isApproversQuery, isPullRequestQuery, replyApprovers } from './support/github-answers.ts';
import { captureIo } from './support/io.ts';
import { offline } from './support/offline.ts';

offline({ loopback: true });

const secret = { secret: WEBHOOK_SECRET };

/** GitHub, ready to be asked: if anything is asked, the test sees it. */
function armedGitHub() {
  return [
    mockInstallationToken(),
    nock(API).post('/repos/acme/shop/check-runs').reply(201, {}),
    nock(API)
      .post(/deployment_protection_rule$/)
      .reply(204),
  ];
}

describe('vakt app: webhooks it refuses', () => {
  it.each([
    ['a wrong signature', sign('{"other":"body"}', WEBHOOK_SECRET)],
    ['a signature made with another secret', undefined],
    ['no signature', null],
    ['a signature of the wrong shape', 'sha1=0123456789abcdef'],
  ])(
    'refuses %s with 401, one log line without the payload, and acts on nothing',
    async (_name, signature) => {
      const { url, app, lines, text } = await startTestApp();
      const github = armedGitHub();
      const payload = reviewEvent();
      const options =
        signature === undefined
          ? { secret: 'not-the-secret' }
          : { secret: WEBHOOK_SECRET, signature };
      const sent = await deliver(url, 'pull_request_review', payload, options);
      expect(sent.status).toBe(401);
      await app.idle();
      for (const scope of github) expect(scope.isDone()).toBe(false);
      expect(lines()).toHaveLength(1);
      const [line] = lines();
      expect(line).toMatchObject({ level: 40, status: 401, event: 'pull_request_review' });
      expect(line?.delivery).toBe(sent.delivery);
      expect(line?.msg).toMatch(
        /^webhook refused: (no X-Hub-Signature-256|the signature does not match)/,
      );
      expect(text()).not.toContain(payload.pull_request.body);
      expect(text()).not.toContain('acme/shop');
    },
  );

  it.each([
    [
      'an event it does not answer',
      'issues',
      JSON.stringify({ action: 'opened' }),
      400,
      /event "issues" is not one vakt app answers/,
    ],
    [
      'a body that is not JSON',
      'pull_request',
      '{"action": "opened",',
      400,
      /the body is not JSON/,
    ],
    [
      'a pull request without a head',
      'pull_request',
      JSON.stringify({
        ...pullRequestEvent('opened'),
        pull_request: { number: 42, base: { ref: 'main' } },
      }),
      400,
      /^pull_request: pull_request\.head: missing, expected object$/,
    ],
    [
      'a review without an installation',
      'pull_request_review',
      JSON.stringify({ ...reviewEvent(), installation: undefined }),
      400,
      /^pull_request_review: installation: missing, expected object$/,
    ],
    [
      'a head SHA that is not one',
      'pull_request',
      JSON.stringify(pullRequestEvent('synchronize', { head: 'HEAD~1' })),
      400,
      /pull_request\.head\.sha: expected a 40-digit commit SHA/,
    ],
    [
      'a deployment without its callback URL',
      'deployment_protection_rule',
      JSON.stringify({ ...protectionRuleEvent(), deployment_callback_url: undefined }),
      400,
      /^deployment_protection_rule: deployment_callback_url: missing, expected string$/,
    ],
  ])(
    'refuses %s, signed, with a 4xx and one log line, acting on nothing',
    async (_name, event, body, status, reason) => {
      const { url, app, lines } = await startTestApp();
      const github = armedGitHub();
      const sent = await deliver(url, event, undefined, {
        secret: WEBHOOK_SECRET,
        body,
        signature: sign(body, WEBHOOK_SECRET),
      });
      expect(sent.status).toBe(status);
      expect(sent.text.trim()).toMatch(reason);
      await app.idle();
      for (const scope of github) expect(scope.isDone()).toBe(false);
      expect(lines()).toHaveLength(1);
      expect(lines()[0]).toMatchObject({ level: 40, status, event });
      expect(lines()[0]?.msg).toBe(`webhook refused: ${sent.text.trim()}`);
    },
  );

  it('answers a ping, and refuses a body too large to be a webhook without reading it all', async () => {
    const { url } = await startTestApp();
    const ping = await deliver(
      url,
      'ping',
      { zen: 'Keep it logically awesome.', hook_id: 512386214 },
      secret,
    );
    expect(ping.status).toBe(200);
    const huge = 'x'.repeat(MAX_BODY_BYTES + 1);
    const big = await deliver(url, 'pull_request', undefined, {
      ...secret,
      body: huge,
      signature: sign(huge, WEBHOOK_SECRET),
    });
    expect(big.status).toBe(413);
  });

  it('wants JSON, POST on /webhook, and answers health checks', async () => {
    const { url } = await startTestApp();
    const body = 'payload=%7B%7D';
    const form = await fetch(`${url}/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-github-event': 'ping',
        'x-hub-signature-256': sign(body, WEBHOOK_SECRET),
      },
      body,
    });
    expect(form.status).toBe(415);
    expect((await fetch(`${url}/webhook`)).status).toBe(405);
    expect((await fetch(`${url}/other`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });
});

describe('vakt app: secrets', () => {
  it('never logs the private key, the webhook secret or an installation token', async () => {
    const { url, app, text } = await startTestApp();
    mockInstallationToken();
    mockPolicy('main');
    nock(API).get('/repos/acme/shop/activity').query(true).reply(200, []);
    nock(API).post('/graphql', isPullRequestQuery).reply(200, pullRequest);
    nock(API)
      .post('/graphql', isApproversQuery)
      .optionally()
      .reply(
        replyApprovers({
          pullRequest,
          permissions: { bob: 'write', carol: 'admin' },
          teams: { 'acme/sre': ['carol'] },
        }),
      );
    const check = awaitPost('/repos/acme/shop/check-runs', 201, checkRunAnswer);
    await deliver(url, 'pull_request_review', reviewEvent(), secret);
    await check.body;
    // GitHub echoing the token in an error, and a refused delivery, are logged too.
    nock(API)
      .get(/\/contents\//)
      .query(true)
      .reply(401, { message: `Bad credentials for ${INSTALLATION_TOKEN}` });
    nock(API).post('/repos/acme/shop/check-runs').reply(201, {});
    await deliver(url, 'pull_request', pullRequestEvent('opened'), secret);
    await deliver(url, 'pull_request', pullRequestEvent('opened'), { secret: 'guess' });
    await app.idle();

    const log = text();
    expect(log).toContain('check run posted');
    expect(log).not.toContain(WEBHOOK_SECRET);
    expect(log).not.toContain(INSTALLATION_TOKEN);
    expect(log).not.toContain('ghs_');
    for (const line of PRIVATE_KEY.split('\n').filter((l) => l.length >= 16)) {
      expect(log).not.toContain(line);
    }
  });
});

describe('vakt app: the command', () => {
  async function run(args: string[], env: Record<string, string> = {}) {
    const capture = captureIo({ VAKT_GITHUB_RETRIES: '0', ...env });
    const code = await main(['app', ...args], capture.io);
    return { code, stdout: capture.stdout, stderr: capture.stderr };
  }

  it('prints its help', async () => {
    const out = await run(['--help']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^vakt app: the two-person gate as a GitHub App/);
  });

  it.each([
    [[], {}, "vakt app: --app-id ID is required (or GITHUB_APP_ID): the GitHub App's id\n"],
    [['--app-id', 'one'], {}, 'vakt app: --app-id expects a number, got "one"\n'],
    [
      ['--app-id', '1234'],
      {},
      'vakt app: a GitHub App needs its private key in PEM form: --app-key FILE or GITHUB_APP_PRIVATE_KEY\n',
    ],
    [
      ['--app-id', '1234'],
      { GITHUB_APP_PRIVATE_KEY: PRIVATE_KEY },
      'vakt app: the App needs its webhook secret: --webhook-secret-file FILE or GITHUB_WEBHOOK_SECRET (unsigned webhooks are refused)\n',
    ],
    [
      ['--app-id', '1234', '--policy-path', '../etc/passwd'],
      { GITHUB_APP_PRIVATE_KEY: PRIVATE_KEY, GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET },
      'vakt app: --policy-path expects a file path inside the repository such as .github/vakt-policy.yaml, got "../etc/passwd"\n',
    ],
    [
      ['--app-id', '1234', '--port', '70000'],
      { GITHUB_APP_PRIVATE_KEY: PRIVATE_KEY, GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET },
      'vakt app: --port expects a port (0-65535), got 70000\n',
    ],
    [
      ['--log-level', 'loud'],
      {},
      'vakt app: --log-level expects one of trace, debug, info, warn, error, fatal, got "loud"\n',
    ],
    [['--app-idd', '1'], {}, "vakt app: Unknown option '--app-idd': did you mean --app-id?\n"],
  ])('refuses %j with one line and exit 2', async (args, env, message) => {
    const out = await run(args, env);
    expect(out.stderr).toBe(message);
    expect(out.code).toBe(2);
  });

  it('reads the webhook secret from a file, without its trailing newline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vakt-app-'));
    await writeFile(join(dir, 'webhook-secret'), '\n');
    const empty = await run(
      ['--app-id', '1234', '--webhook-secret-file', join(dir, 'webhook-secret')],
      {
        GITHUB_APP_PRIVATE_KEY: PRIVATE_KEY,
      },
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/the App needs its webhook secret/);
    const missing = await run(['--app-id', '1234', '--webhook-secret-file', join(dir, 'absent')], {
      GITHUB_APP_PRIVATE_KEY: PRIVATE_KEY,
    });
    expect(missing.stderr).toBe(
      `vakt app: --webhook-secret-file: cannot read ${join(dir, 'absent')}\n`,
    );
    expect(missing.stderr).not.toContain(PRIVATE_KEY.split('\n')[1] ?? 'missing');

    await writeFile(join(dir, 'webhook-secret'), `${WEBHOOK_SECRET}\n`);
    await writeFile(join(dir, 'private-key'), PRIVATE_KEY);
    const args = ['--app-id', '1234', '--app-key', join(dir, 'private-key')];
    const settings = await appSettings(
      [...args, '--webhook-secret-file', join(dir, 'webhook-secret')],
      captureIo().io,
    );
    expect(settings).toMatchObject({
      appId: '1234',
      privateKey: PRIVATE_KEY,
      webhookSecret: WEBHOOK_SECRET,
      policyPath: '.github/vakt-policy.yaml',
      port: 8080,
    });
  });
});
