import nock from 'nock';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGitHub } from '../src/github/client.ts';
import { verifyProvenance } from '../src/provenance/provenance.ts';
import type { ProvenancePolicy } from '../src/provenance/schema.ts';
import type { TrustRoot } from '../src/provenance/trust-roots.ts';
import {
  ATTESTATIONS_PATH,
  attest,
  attestationsAnswer,
  COMMIT,
  DIGEST,
  rootsOf,
} from './support/attestations.ts';
import { offline } from './support/offline.ts';
import { type TestInstance, testInstance } from './support/sigstore-world.ts';

const API = 'https://api.github.com';
const POLICY: ProvenancePolicy = {
  workflow: '.github/workflows/release.yml',
  refs: ['refs/heads/main'],
  org: false,
};
const SUBJECT = { owner: 'acme', repo: 'shop', digest: DIGEST };

offline();

let publicGood: TestInstance;
let github: TestInstance;
let roots: TrustRoot[];

beforeAll(async () => {
  publicGood = await testInstance('public-good');
  github = await testInstance('github');
  roots = rootsOf(publicGood, github);
});

async function check(answer: unknown, policy = POLICY, trust = roots) {
  nock(API)
    .get(ATTESTATIONS_PATH)
    .query(true)
    .reply(200, answer as nock.Body);
  const octokit = await createGitHub({ token: 'ghp_test', baseUrl: API, retries: false });
  return verifyProvenance(octokit, policy, SUBJECT, trust);
}

function reasons(verdict: Awaited<ReturnType<typeof check>>): string {
  return verdict.ok ? `ok (ignored: ${verdict.ignored.join('; ')})` : verdict.reasons.join('\n');
}

/** Changes one field of a bundle's JSON: what an attacker with the bytes could do. */
// biome-ignore lint/suspicious/noExplicitAny: tampering reaches into raw bundle JSON
function tamper(bundle: Record<string, unknown>, change: (b: any) => void) {
  const copy = structuredClone(bundle);
  change(copy);
  return copy;
}

describe('provenance of an image digest', () => {
  it('names the commit of a bundle signed through the public-good log', async () => {
    const verdict = await check(attestationsAnswer([await attest(publicGood)]));
    expect(verdict).toEqual({
      ok: true,
      commit: COMMIT,
      workflow: '.github/workflows/release.yml',
      ref: 'refs/heads/main',
      bundles: 1,
      ignored: [],
    });
  });

  it("names the commit of a bundle timestamped by GitHub's own instance (no log)", async () => {
    const verdict = await check(attestationsAnswer([await attest(github)]));
    expect(verdict).toMatchObject({ ok: true, commit: COMMIT, bundles: 1 });
  });

  it('denies a bundle signed by another workflow, naming its identity', async () => {
    const bundle = await attest(publicGood, { workflow: '.github/workflows/other.yml' });
    const verdict = await check(attestationsAnswer([bundle]));
    expect(verdict.ok).toBe(false);
    expect(reasons(verdict)).toContain(
      "attestation 1: certificate identity https://github.com/acme/shop/.github/workflows/other.yml@refs/heads/main is not the policy's workflow",
    );
  });

  it('denies a bundle from a ref the policy does not list', async () => {
    const bundle = await attest(publicGood, { ref: 'refs/heads/feature' });
    const verdict = await check(attestationsAnswer([bundle]));
    expect(reasons(verdict)).toContain('release.yml@refs/heads/feature is not the policy');
  });

  it('accepts a ref the policy lists', async () => {
    const bundle = await attest(publicGood, { ref: 'refs/tags/v1.2.3' });
    const policy = { ...POLICY, refs: ['refs/heads/main', 'refs/tags/v1.2.3'] };
    expect(await check(attestationsAnswer([bundle]), policy)).toMatchObject({
      ok: true,
      ref: 'refs/tags/v1.2.3',
    });
  });

  it('denies a certificate from another OIDC issuer', async () => {
    const bundle = await attest(publicGood, { issuer: 'https://accounts.example.test' });
    expect(reasons(await check(attestationsAnswer([bundle])))).toContain(
      'certificate issuer https://accounts.example.test is not GitHub Actions',
    );
  });

  it('denies provenance for another digest', async () => {
    const other = 'b'.repeat(64);
    const bundle = await attest(publicGood, { digest: other });
    const verdict = await check(attestationsAnswer([bundle]));
    expect(reasons(verdict)).toContain(
      `attestation 1: no subject has digest sha256:${DIGEST} (the statement names sha256:${other})`,
    );
  });

  it('denies an attestation of another predicate type', async () => {
    const bundle = await attest(publicGood, { predicateType: 'https://spdx.dev/Document/v2.3' });
    expect(reasons(await check(attestationsAnswer([bundle])))).toContain(
      'predicate type https://spdx.dev/Document/v2.3 is not https://slsa.dev/provenance/v1',
    );
  });

  it('denies a statement whose commit was changed after signing (log instance)', async () => {
    const bundle = await attest(publicGood);
    const forged = tamper(bundle, (b) => {
      const statement = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString());
      statement.predicate.buildDefinition.resolvedDependencies[0].digest.gitCommit = 'f'.repeat(40);
      b.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    });
    const verdict = await check(attestationsAnswer([forged]));
    expect(verdict.ok).toBe(false);
    expect(reasons(verdict)).toMatch(/attestation 1: not verified against any trusted root/);
  });

  it('denies a statement changed after signing (timestamp instance)', async () => {
    const bundle = await attest(github);
    const forged = tamper(bundle, (b) => {
      b.dsseEnvelope.payload = Buffer.from('{"_type":"x"}').toString('base64');
    });
    const verdict = await check(attestationsAnswer([forged]), POLICY, rootsOf(github));
    expect(reasons(verdict)).toContain('the signature over the DSSE envelope does not verify');
  });

  it('denies a tampered signature', async () => {
    const bundle = await attest(github);
    const forged = tamper(bundle, (b) => {
      const sig = Buffer.from(b.dsseEnvelope.signatures[0].sig, 'base64');
      sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
      b.dsseEnvelope.signatures[0].sig = sig.toString('base64');
    });
    const verdict = await check(attestationsAnswer([forged]), POLICY, rootsOf(github));
    expect(verdict.ok).toBe(false);
    expect(reasons(verdict)).toMatch(/attestation 1: not verified against fulcio\.github\.test/);
  });

  it('denies a bundle whose CA is not in the trusted roots', async () => {
    const stranger = await testInstance('public-good');
    const verdict = await check(attestationsAnswer([await attest(stranger)]));
    expect(reasons(verdict)).toMatch(/certificate: Failed to verify certificate chain/);
  });

  it('denies a public-good bundle without its transparency-log entry', async () => {
    const bundle = await attest(publicGood);
    const stripped = tamper(bundle, (b) => {
      b.verificationMaterial.tlogEntries = [];
    });
    const verdict = await check(attestationsAnswer([stripped]), POLICY, rootsOf(publicGood));
    expect(reasons(verdict)).toMatch(/not verified against fulcio\.public-good\.test: timestamp/);
  });

  it('denies when the certificate and the statement name different commits', async () => {
    const bundle = await attest(publicGood, { certificateCommit: 'c'.repeat(40) });
    expect(reasons(await check(attestationsAnswer([bundle])))).toContain(
      `the certificate's commit ${'c'.repeat(40)} differs from the provenance's ${COMMIT}`,
    );
  });

  it('denies when no attestation exists (404)', async () => {
    nock(API).get(ATTESTATIONS_PATH).query(true).reply(404, { message: 'Not Found' });
    const octokit = await createGitHub({ token: 'ghp_test', baseUrl: API, retries: false });
    const verdict = await verifyProvenance(octokit, POLICY, SUBJECT, roots);
    expect(verdict).toEqual({
      ok: false,
      reasons: [`no attestations for sha256:${DIGEST} in acme/shop (GitHub answered 404)`],
    });
  });

  it('denies an empty list of attestations', async () => {
    expect(await check({ attestations: [] })).toEqual({
      ok: false,
      reasons: [`no attestations for sha256:${DIGEST} in acme/shop`],
    });
  });

  it('denies malformed bundles and answers without crashing', async () => {
    const bundles = [{ mediaType: 'nonsense' }, 'not json', null, [1, 2]];
    const verdict = await check({ attestations: bundles.map((bundle) => ({ bundle })) });
    expect(verdict.ok).toBe(false);
    expect(reasons(verdict)).toMatch(/attestation 1: malformed bundle/);
    expect(reasons(verdict)).toMatch(/attestation 2: the bundle is a string that is not JSON/);
    expect(reasons(verdict)).toMatch(/attestation 3: the entry has no bundle/);
    expect(reasons(verdict)).toMatch(/attestation 4: the entry has no bundle/);
    expect(await check({ attestations: 'many' })).toEqual({
      ok: false,
      reasons: ['acme/shop: the attestations answer has no "attestations" list'],
    });
    expect(await check('<html>')).toMatchObject({ ok: false });
  });

  it('does not follow a bundle_url', async () => {
    const verdict = await check({
      attestations: [{ bundle: null, bundle_url: 'https://x.test/b' }],
    });
    expect(reasons(verdict)).toContain('only a bundle_url and no inline bundle');
  });

  it('passes on one good attestation beside failing ones, and lists those', async () => {
    const sbom = await attest(publicGood, { predicateType: 'https://spdx.dev/Document/v2.3' });
    const verdict = await check(attestationsAnswer([sbom, await attest(publicGood)]));
    expect(verdict).toMatchObject({ ok: true, commit: COMMIT, bundles: 1 });
    expect(reasons(verdict)).toContain('attestation 1: predicate type');
  });

  it('denies when verified attestations name different commits', async () => {
    const other = 'd'.repeat(40);
    const bundles = [await attest(publicGood), await attest(publicGood, { commit: other })];
    expect(await check(attestationsAnswer(bundles))).toEqual({
      ok: false,
      reasons: [`verified attestations name different commits: ${COMMIT}, ${other}`],
    });
  });

  it('reads every page', async () => {
    const next = `<${API}${ATTESTATIONS_PATH}?per_page=100&after=abc>; rel="next"`;
    const sbom = await attest(publicGood, { predicateType: 'https://spdx.dev/Document/v2.3' });
    nock(API)
      .get(ATTESTATIONS_PATH)
      .query({ per_page: '100' })
      .reply(200, attestationsAnswer([sbom]), { link: next })
      .get(ATTESTATIONS_PATH)
      .query({ per_page: '100', after: 'abc' })
      .reply(200, attestationsAnswer([await attest(publicGood)]));
    const octokit = await createGitHub({ token: 'ghp_test', baseUrl: API, retries: false });
    const verdict = await verifyProvenance(octokit, POLICY, SUBJECT, roots);
    expect(verdict).toMatchObject({ ok: true, bundles: 1 });
    expect(nock.isDone()).toBe(true);
  });

  it("reads the organization's endpoint when the policy says org", async () => {
    nock(API)
      .get(`/orgs/acme/attestations/sha256%3A${DIGEST}`)
      .query(true)
      .reply(200, attestationsAnswer([await attest(publicGood)]));
    const octokit = await createGitHub({ token: 'ghp_test', baseUrl: API, retries: false });
    const verdict = await verifyProvenance(octokit, { ...POLICY, org: true }, SUBJECT, roots);
    expect(verdict).toMatchObject({ ok: true, commit: COMMIT });
  });

  it('says why when GitHub fails', async () => {
    nock(API).get(ATTESTATIONS_PATH).query(true).reply(500, { message: 'boom' });
    const octokit = await createGitHub({ token: 'ghp_test', baseUrl: API, retries: false });
    expect(await verifyProvenance(octokit, POLICY, SUBJECT, roots)).toEqual({
      ok: false,
      reasons: [
        `could not read attestations for sha256:${DIGEST} in acme/shop: GitHub answered 500`,
      ],
      // Nothing was said about the bytes: a caller may ask again rather than deny.
      undecided: true,
    });
  });
});
