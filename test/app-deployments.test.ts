import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { beforeAll, describe, expect, it } from 'vitest';
import commitPulls from './fixtures/github/commit-pulls.json' with { type: 'json' };
import { deliver, MERGE, protectionRuleEvent, RUN_ID } from './support/app-webhooks.ts';
import {
  API,
  awaitPost,
  CONTENTS_PATH,
  mockInstallationToken,
  mockPolicy,
  mockPullRequest,
  startTestApp,
  WEBHOOK_SECRET,
} from './support/app-world.ts';
import { answerPullsOf, isDeployedCommitQuery } from './support/associated-pulls.ts';
import { ATTESTATIONS_PATH, attest, attestationsAnswer, DIGEST } from './support/attestations.ts';
import { offline } from './support/offline.ts';
import { type TestInstance, testInstance } from './support/sigstore-world.ts';

offline({ loopback: true });

const REVIEW_PATH = `/repos/acme/shop/actions/runs/${RUN_ID}/deployment_protection_rule`;
const IMAGE = `ghcr.io/acme/shop@sha256:${DIGEST}`;
const WITH_PROVENANCE = `apiVersion: vakt.dev/v1alpha1
kind: Policy
approval:
  minApprovals: 2
  requireFrom:
    - { teams: [acme/sre] }
  provenance: { workflow: .github/workflows/release.yml }
`;

interface Review {
  environment_name: string;
  state: string;
  comment: string;
}

/** GitHub as the gate reads the merge commit MERGE and pull request #42. */
function mockMergedPullRequest(keep?: (login: string) => boolean) {
  answerPullsOf(API, MERGE, commitPulls);
  nock(API).get('/repos/acme/shop/activity').query(true).optionally().reply(200, []);
  mockPullRequest(keep);
}

function awaitReview() {
  return awaitPost<Review>(REVIEW_PATH, 204, () => '');
}

let instance: TestInstance;
let rootFile: string;
beforeAll(async () => {
  instance = await testInstance('public-good');
  rootFile = join(await mkdtemp(join(tmpdir(), 'vakt-app-root-')), 'trusted-root.json');
  await writeFile(rootFile, JSON.stringify(instance.trustedRoot));
});

describe('vakt app: custom deployment protection rules', () => {
  it('approves the environment when the deployed commit had two-person approval', async () => {
    const { url, app, lines } = await startTestApp();
    mockInstallationToken();
    mockPolicy('main');
    mockMergedPullRequest();
    const review = awaitReview();
    const sent = await deliver(url, 'deployment_protection_rule', protectionRuleEvent(), {
      secret: WEBHOOK_SECRET,
    });
    expect(sent.status).toBe(202);
    const body = await review.body;
    expect(body.environment_name).toBe('production');
    expect(body.state).toBe('approved');
    expect(body.comment.split('\n')[0]).toBe('vakt gate: APPROVED  2/2 qualified approvals');
    expect(body.comment).toContain('acme/shop#42 into main, head 9f2c4e1, deployed 4b825dc');
    expect(body.comment).toContain('  policy        .github/vakt-policy.yaml@main');
    await app.idle();
    expect(lines().map((l) => l.msg)).toEqual(['webhook accepted', 'deployment approved']);
  });

  it('rejects it, saying what is missing, when an approval is missing', async () => {
    const { url } = await startTestApp();
    mockInstallationToken();
    mockPolicy('main');
    mockMergedPullRequest((login) => login !== 'carol');
    const review = awaitReview();
    await deliver(
      url,
      'deployment_protection_rule',
      protectionRuleEvent({ environment: 'eu-prod' }),
      {
        secret: WEBHOOK_SECRET,
      },
    );
    const body = await review.body;
    expect(body).toMatchObject({ environment_name: 'eu-prod', state: 'rejected' });
    expect(body.comment).toMatch(/^vakt gate: DENIED/);
    expect(body.comment).toContain('needs 1 more approval');
  });

  it('rejects a commit no pull request merged', async () => {
    const { url } = await startTestApp();
    mockInstallationToken();
    mockPolicy('main');
    const direct = 'c0ffee0000000000000000000000000000c0ffee';
    answerPullsOf(API, direct, []);
    const review = awaitReview();
    await deliver(url, 'deployment_protection_rule', protectionRuleEvent({ sha: direct }), {
      secret: WEBHOOK_SECRET,
    });
    const body = await review.body;
    expect(body.state).toBe('rejected');
    expect(body.comment).toContain('no pull request contains c0ffee0: it was pushed directly');
  });

  it('rejects, never approves, when GitHub fails while deciding', async () => {
    const { url, app } = await startTestApp();
    mockInstallationToken();
    mockPolicy('main');
    nock(API)
      .post('/graphql', isDeployedCommitQuery)
      .reply(503, {})
      .get(`/repos/acme/shop/commits/${MERGE}/pulls`)
      .query(true)
      .reply(503, {});
    const review = awaitReview();
    await deliver(url, 'deployment_protection_rule', protectionRuleEvent(), {
      secret: WEBHOOK_SECRET,
    });
    const body = await review.body;
    expect(body.state).toBe('rejected');
    expect(body.comment).toBe(
      `vakt gate: UNDECIDED  could not read the pull requests of commit ${MERGE}: GitHub answered 503\n  pull request  acme/shop (pull request not read), deployed 4b825dc\n  reason        could not read the pull requests of commit ${MERGE}: GitHub answered 503\n  policy        .github/vakt-policy.yaml@main`,
    );
    await app.idle();

    nock(API).get(CONTENTS_PATH).query({ ref: 'refs/heads/main' }).reply(500, {});
    const second = awaitReview();
    await deliver(url, 'deployment_protection_rule', protectionRuleEvent(), {
      secret: WEBHOOK_SECRET,
    });
    const unread = await second.body;
    expect(unread.state).toBe('rejected');
    expect(unread.comment).toBe(
      'vakt gate: UNDECIDED  could not read the policy .github/vakt-policy.yaml@main: GitHub answered 500',
    );
  });

  it('checks the image the deployment names by its signed provenance, as vakt gate --image does', async () => {
    const { url } = await startTestApp({ trustedRoot: rootFile });
    mockInstallationToken();
    mockPolicy('main', WITH_PROVENANCE);
    nock(API)
      .get(ATTESTATIONS_PATH)
      .query(true)
      .reply(200, attestationsAnswer([await attest(instance)]));
    mockMergedPullRequest();
    const review = awaitReview();
    const event = protectionRuleEvent({ payload: { image: IMAGE } });
    await deliver(url, 'deployment_protection_rule', event, { secret: WEBHOOK_SECRET });
    const body = await review.body;
    expect(body.state).toBe('approved');
    const lines = body.comment.split('\n');
    expect(lines[1]).toBe(`  image         ${IMAGE}`);
    expect(lines[2]).toBe(
      `  provenance    built by .github/workflows/release.yml on refs/heads/main from ${MERGE} (1 attestation verified)`,
    );
  });

  it.each([
    [
      'an image whose provenance is another workflow',
      WITH_PROVENANCE,
      { image: IMAGE },
      /no verified provenance for sha256:a3f1c2d4e5b6/,
    ],
    [
      'an image not pinned by digest',
      WITH_PROVENANCE,
      JSON.stringify({ image: 'ghcr.io/acme/shop:v1.4.2' }),
      /image "ghcr\.io\/acme\/shop:v1\.4\.2" is not pinned by digest/,
    ],
    [
      'an image under a policy without approval.provenance',
      undefined,
      { image: IMAGE },
      /has no approval\.provenance to check it by/,
    ],
  ])('rejects %s', async (_name, policy, payload, reason) => {
    const { url } = await startTestApp({ trustedRoot: rootFile });
    mockInstallationToken();
    mockPolicy('main', policy);
    nock(API)
      .get(ATTESTATIONS_PATH)
      .query(true)
      .optionally()
      .reply(
        200,
        attestationsAnswer([await attest(instance, { workflow: '.github/workflows/other.yml' })]),
      );
    const review = awaitReview();
    const event = protectionRuleEvent({ payload });
    await deliver(url, 'deployment_protection_rule', event, { secret: WEBHOOK_SECRET });
    const body = await review.body;
    expect(body.state).toBe('rejected');
    expect(body.comment).toMatch(reason);
  });

  it('refuses a callback URL of another repository with 400, answering nothing', async () => {
    const { url, app, lines } = await startTestApp();
    const token = mockInstallationToken();
    const callback = `https://api.github.com/repos/evil/shop/actions/runs/${RUN_ID}/deployment_protection_rule`;
    const sent = await deliver(
      url,
      'deployment_protection_rule',
      protectionRuleEvent({ callback }),
      {
        secret: WEBHOOK_SECRET,
      },
    );
    expect(sent.status).toBe(400);
    expect(sent.text).toBe(
      'deployment_protection_rule: deployment_callback_url is not a workflow run of acme/shop\n',
    );
    await app.idle();
    expect(token.isDone()).toBe(false);
    expect(lines()).toHaveLength(1);
  });
});
