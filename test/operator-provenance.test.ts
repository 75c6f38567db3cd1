import nock from 'nock';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApprovalSpec } from '../src/approval/schema.ts';
import { createGitHub } from '../src/github/client.ts';
import { createLogger } from '../src/log.ts';
import { ApprovalChecker } from '../src/operator/approvals.ts';
import { choose } from '../src/operator/provenance-check.ts';
import { parseTrustRoots, type TrustRoot } from '../src/provenance/trust-roots.ts';
import type { ProvenanceVerdict } from '../src/provenance/verdict.ts';
import type { ApprovalReport } from '../src/release/state.ts';
import { attest, attestationsAnswer, GHES, on, WORKFLOW } from './support/attestations.ts';
import { MemoryCluster } from './support/memory-cluster.ts';
import { offline } from './support/offline.ts';
import { API, digestOf, github, mockGitHub, SHA } from './support/operator-fixtures.ts';
import { type TestInstance, testInstance } from './support/sigstore-world.ts';

/** How the operator turns the provenance of each image digest into one commit, or a refusal. */

offline();

const C = SHA.v2;
const built = (commit: string): ProvenanceVerdict => ({
  ok: true,
  commit,
  workflow: WORKFLOW,
  ref: 'refs/heads/main',
  bundles: 1,
  ignored: [],
});
const D1 = 'a'.repeat(64);
const D2 = 'b'.repeat(64);

describe('one commit from the digests', () => {
  it('takes the commit all digests name; a short revision of it agrees', () => {
    expect(
      choose(
        [
          [D1, built(C)],
          [D2, built(C)],
        ],
        C.slice(0, 7),
      ),
    ).toEqual({
      ok: true,
      sha: C,
      warnings: [],
    });
  });

  it('denies images built from different commits, naming each', () => {
    const choice = choose(
      [
        [D1, built(C)],
        [D2, built(SHA.v4)],
      ],
      C,
    );
    expect(choice.ok).toBe(false);
    const reasons = choice.ok ? [] : choice.reasons;
    expect(reasons[0]).toContain(`sha256:${D1.slice(0, 12)} from ${C}`);
    expect(reasons[0]).toContain(`sha256:${D2.slice(0, 12)} from ${SHA.v4}`);
  });

  it('is undecided only when every failure is GitHub not answering', () => {
    const unread: ProvenanceVerdict = {
      ok: false,
      reasons: ['GitHub answered 503'],
      undecided: true,
    };
    const forged: ProvenanceVerdict = { ok: false, reasons: ['not verified'] };
    expect(
      choose(
        [
          [D1, unread],
          [D2, built(C)],
        ],
        C,
      ),
    ).toMatchObject({ outcome: 'undecided' });
    expect(
      choose(
        [
          [D1, unread],
          [D2, forged],
        ],
        C,
      ),
    ).toMatchObject({ outcome: 'denied' });
  });
});

describe('the approval check with provenance', () => {
  let instance: TestInstance;
  let roots: TrustRoot[];
  beforeAll(async () => {
    instance = await testInstance('public-good');
    roots = parseTrustRoots(JSON.stringify(instance.trustedRoot), 'the test root');
  });

  const hexOf = (tag: string) => digestOf(tag).slice('sha256:'.length);
  const path = (tag: string) => `/repos/acme/shop/attestations/sha256%3A${hexOf(tag)}`;

  async function check(tags: string[], baseUrl = API): Promise<ApprovalReport | undefined> {
    const cluster = new MemoryCluster();
    cluster.secrets.set('vakt/gh', { token: 't' });
    const reports: ApprovalReport[] = [];
    const checker = new ApprovalChecker({
      cluster,
      github: {
        secret: { namespace: 'vakt', name: 'gh' },
        baseUrl,
        createOctokit: (options) => createGitHub({ ...options, retries: false }),
        trustRoots: roots,
      },
      log: createLogger({ level: 'silent' }),
      report: (_ref, r) => reports.push(r),
    });
    const policy = ApprovalSpec.parse({ provenance: { workflow: WORKFLOW } });
    const action = {
      kind: 'checkApproval' as const,
      templateHash: 'h',
      revision: C,
      repository: 'acme/shop',
      digests: tags.map(hexOf),
    };
    checker.check({ namespace: 'shop', name: 'shop' }, action, policy);
    await checker.idle();
    return reports[0];
  }

  it('checks an init container image too: one built by another workflow denies the release', async () => {
    github.reset();
    github.approvers.set(C, ['bob', 'carol']);
    mockGitHub();
    const app = await attest(instance, { digest: hexOf('app'), commit: C });
    const init = await attest(instance, {
      digest: hexOf('migrate'),
      commit: C,
      workflow: '.github/workflows/anything.yml',
    });
    nock(API)
      .get(path('app'))
      .query(true)
      .reply(200, attestationsAnswer([app]));
    nock(API)
      .get(path('migrate'))
      .query(true)
      .reply(200, attestationsAnswer([init]));
    const report = await check(['app', 'migrate']);
    expect(report?.verdict.outcome).toBe('denied');
    expect(report?.verdict.reasons.join(' ')).toContain(
      `no verified provenance for sha256:${hexOf('migrate').slice(0, 12)}`,
    );
    expect(report?.revision).toBe(C);
    expect(github.asked.get(C)).toBeUndefined();
  });

  it('is undecided, not denied, when GitHub cannot be read', async () => {
    nock(API).get(path('app')).query(true).reply(503, { message: 'unavailable' });
    const report = await check(['app']);
    expect(report?.verdict.outcome).toBe('undecided');
    expect(report?.verdict.reasons[0]).toContain('GitHub answered 503');
  });

  it('asks the gate about the commit the provenance names when all agree', async () => {
    github.reset();
    github.approvers.set(C, ['bob', 'carol']);
    mockGitHub();
    const app = await attest(instance, { digest: hexOf('app'), commit: C });
    nock(API)
      .get(path('app'))
      .query(true)
      .reply(200, attestationsAnswer([app]));
    const report = await check(['app']);
    expect(report?.verdict.outcome).toBe('approved');
    expect(report?.verdict.evidence.deploySha).toBe(C);
    expect(report?.warnings).toBeUndefined();
  });

  it("on GitHub Enterprise Server (github.apiUrl), takes only the instance's attestations", async () => {
    const dotcom = await attest(instance, { digest: hexOf('app'), commit: C });
    const ghes = nock(new URL(GHES.api).origin);
    ghes
      .get(`/api/v3${path('app')}`)
      .query(true)
      .reply(200, attestationsAnswer([dotcom]));
    const report = await check(['app'], GHES.api);
    expect(report?.verdict.outcome).toBe('denied');
    expect(report?.verdict.reasons.join(' ')).toContain(
      'certificate issuer https://token.actions.githubusercontent.com is not GitHub Actions on GitHub Enterprise Server ghes.example.com',
    );

    github.reset();
    const signed = await attest(instance, on(GHES, { digest: hexOf('app'), commit: C }));
    ghes
      .get(`/api/v3${path('app')}`)
      .query(true)
      .reply(200, attestationsAnswer([signed]));
    // The gate comes next, on the same instance: its first question is enough here.
    ghes.get(`/api/v3/repos/acme/shop/commits/${C}/pulls`).query(true).reply(200, []);
    const next = await check(['app'], GHES.api);
    expect(next?.revision).toBe(C);
    // Denied by the gate (no pull request), so the provenance passed.
    expect(next?.verdict.reasons).toEqual([
      expect.stringContaining('it was pushed directly, bypassing review'),
    ]);
    expect(next?.verdict.evidence.deploySha).toBe(C);
  });
});
