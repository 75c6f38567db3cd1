import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import commitPulls from './fixtures/github/commit-pulls.json' with { type: 'json' };
import pullRequest from './fixtures/github/pull-request.json' with { type: 'json' };
import { answerPullsOf } from './support/associated-pulls.ts';
import {
  ATTESTATIONS_PATH,
  attest,
  attestationsAnswer,
  COMMIT,
  DIGEST,
  GHES,
  on,
} from './support/attestations.ts';
import { type GitHubWorld, isApproversQuery, replyApprovers } from './support/github-answers.ts';
import { captureIo } from './support/io.ts';
import { offline } from './support/offline.ts';
import { type TestInstance, testInstance } from './support/sigstore-world.ts';

const API = 'https://api.github.com';
const ENV = {
  GITHUB_TOKEN: 'ghp_imageTestToken123456',
  GITHUB_API_URL: API,
  VAKT_GITHUB_RETRIES: '0',
};
const IMAGE = `ghcr.io/acme/shop@sha256:${DIGEST}`;
const WORLD: GitHubWorld = {
  pullRequest,
  permissions: { bob: 'write', carol: 'admin', erin: 'write', frank: 'maintain' },
  teams: { 'acme/sre': ['carol'] },
};

offline();

let instance: TestInstance;
let dir: string;
let rootFile: string;

beforeAll(async () => {
  instance = await testInstance('public-good');
  dir = await mkdtemp(join(tmpdir(), 'vakt-image-'));
  rootFile = join(dir, 'trusted-root.json');
  await writeFile(rootFile, JSON.stringify(instance.trustedRoot));
});

async function policyFile(provenance: string | null): Promise<string> {
  const file = join(dir, `policy-${Math.random().toString(36).slice(2)}.yaml`);
  const lines = ['apiVersion: vakt.dev/v1alpha1', 'kind: Policy', 'approval:', '  minApprovals: 2'];
  lines.push('  requireFrom:', '    - { teams: [acme/sre] }');
  if (provenance !== null) lines.push(`  provenance: ${provenance}`);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

const RELEASE = '{ workflow: .github/workflows/release.yml }';

/** `provenance` null: the policy has none. */
async function gate(extra: string[], provenance: string | null = RELEASE, env = {}) {
  const policy = await policyFile(provenance);
  const capture = captureIo({ ...ENV, ...env });
  const args = ['gate', '--policy', policy, '--repo', 'acme/shop', ...extra];
  const code = await main(args, capture.io);
  return { code, stdout: capture.stdout, stderr: capture.stderr };
}

/** The API root's origin and its REST and GraphQL paths (GHES: /api/v3 and /api/graphql). */
function routes(api: string) {
  const { origin, pathname } = new URL(api);
  const rest = pathname.replace(/\/$/, '');
  return { origin, rest, graphql: rest === '/api/v3' ? '/api/graphql' : '/graphql' };
}

function mockAttestations(bundles: unknown[], api = API) {
  const { origin, rest } = routes(api);
  nock(origin)
    .get(`${rest}${ATTESTATIONS_PATH}`)
    .query(true)
    .reply(200, attestationsAnswer(bundles));
}

/** GitHub as the two-person gate reads it for the merge commit COMMIT. */
function mockApprovedCommit(api = API) {
  const { origin, rest, graphql } = routes(api);
  const github = nock(origin);
  // The pull request comes with the commit, in one GraphQL answer.
  answerPullsOf(api, COMMIT, commitPulls, { fast: { pullRequest } });
  // Nobody but the author pushed to the pull request's branch.
  github.get(`${rest}/repos/acme/shop/activity`).query(true).optionally().reply(200, []);
  github.post(graphql, isApproversQuery).optionally().reply(replyApprovers(WORLD));
}

describe('vakt gate --image', () => {
  it('checks the commit the verified provenance names, and says each step', async () => {
    mockAttestations([await attest(instance)]);
    mockApprovedCommit();
    const json = join(dir, 'image.json');
    const out = await gate(['--image', IMAGE, '--trusted-root', rootFile, '--json', json]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines[0]).toMatch(/^vakt gate: APPROVED/);
    expect(lines[1]).toBe(`  image         ${IMAGE}`);
    expect(lines[2]).toBe(
      `  provenance    built by .github/workflows/release.yml on refs/heads/main from ${COMMIT} (1 attestation verified)`,
    );
    expect(out.stdout).toContain('deployed 4b825dc');
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report).toMatchObject({
      outcome: 'approved',
      digest: DIGEST,
      provenance: { ok: true, commit: COMMIT },
      evidence: { deploySha: COMMIT },
    });
    // The attestations, the commit with its pull request's facts, the branch's pushes, the
    // reviewers' standing.
    expect(report.requests).toBe(4);
  });

  it('denies an image whose provenance does not verify, without reading the pull request', async () => {
    mockAttestations([await attest(instance, { workflow: '.github/workflows/other.yml' })]);
    const out = await gate(['--image', IMAGE, '--trusted-root', rootFile]);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(
      /^vakt gate: DENIED {2}no verified provenance for sha256:a3f1c2d4e5b6/,
    );
    expect(out.stdout).toContain(
      "attestation 1: certificate identity https://github.com/acme/shop/.github/workflows/other.yml@refs/heads/main is not the policy's workflow",
    );
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('denies when --sha names another commit than the provenance, naming both', async () => {
    mockAttestations([await attest(instance)]);
    const other = '9f2c4e1b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
    const out = await gate(['--image', IMAGE, '--sha', other, '--trusted-root', rootFile]);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(
      `--sha ${other} is not the commit the image was built from: its provenance names ${COMMIT}`,
    );
  });

  it('accepts --sha when it names the provenance commit', async () => {
    mockAttestations([await attest(instance)]);
    mockApprovedCommit();
    const out = await gate([
      '--image',
      IMAGE,
      '--sha',
      COMMIT.slice(0, 7),
      '--trusted-root',
      rootFile,
    ]);
    expect(out.code).toBe(0);
  });

  it('trusts only the shipped public-good root without --trusted-root', async () => {
    mockAttestations([await attest(instance)]);
    const out = await gate(['--image', IMAGE]);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain('not verified against fulcio.sigstore.dev: certificate');
  });

  it('refuses a tag without a digest in one line (exit 2)', async () => {
    const out = await gate(['--image', 'ghcr.io/acme/shop:v1.2.3']);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      'vakt gate: --image "ghcr.io/acme/shop:v1.2.3" is not pinned by digest: pass ghcr.io/acme/shop:v1.2.3@sha256:<64 hex digits> (e.g. from `docker buildx imagetools inspect ghcr.io/acme/shop:v1.2.3` or the build\'s digest output)\n',
    );
  });

  it('needs approval.provenance in the policy', async () => {
    const out = await gate(['--image', IMAGE], null);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/has no approval\.provenance: --image needs one/);
  });

  it('with provenance off, checks --sha and warns that the image is not bound', async () => {
    mockApprovedCommit();
    const json = join(dir, 'off.json');
    const out = await gate(['--image', IMAGE, '--sha', COMMIT, '--json', json], 'off');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      'warning       approval.provenance is off: the approved commit is not bound to the image that runs',
    );
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report).toMatchObject({
      provenance: 'off',
      warnings: [expect.stringMatching(/is off/)],
    });
  });

  it('with provenance off and no --sha, says what to pass (exit 2)', async () => {
    const out = await gate(['--image', IMAGE], 'off');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('pass --sha SHA as well');
  });

  it('names a trusted-root file it cannot use', async () => {
    const bad = join(dir, 'bad-root.json');
    await writeFile(bad, '{"mediaType": "text/plain"}');
    const out = await gate(['--image', IMAGE, '--trusted-root', bad]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('mediaType must be application/vnd.dev.sigstore.trustedroot+json');
  });

  it('refuses --image with --pr', async () => {
    const out = await gate(['--image', IMAGE, '--pr', '42']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--image checks a deployed image: drop --pr');
  });

  it('on GitHub Enterprise Server, verifies against the root passed with --trusted-root', async () => {
    // The instance's own Sigstore: a timestamp authority, no public log.
    const ghes = await testInstance('github');
    const ghesRoot = join(dir, 'ghes-root.json');
    await writeFile(ghesRoot, JSON.stringify(ghes.trustedRoot));
    mockAttestations([await attest(ghes, on(GHES))], GHES.api);
    mockApprovedCommit(GHES.api);
    const env = { GITHUB_API_URL: GHES.api };
    const out = await gate(['--image', IMAGE, '--trusted-root', ghesRoot], RELEASE, env);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`from ${COMMIT} (1 attestation verified)`);
  });

  it('on GitHub Enterprise Server, refuses an image attested on github.com', async () => {
    mockAttestations([await attest(instance)], GHES.api);
    const env = { GITHUB_API_URL: GHES.api };
    const out = await gate(['--image', IMAGE, '--trusted-root', rootFile], RELEASE, env);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(
      'certificate issuer https://token.actions.githubusercontent.com is not GitHub Actions on GitHub Enterprise Server ghes.example.com',
    );
  });

  it('refuses an API URL with credentials in it, before any request (exit 2)', async () => {
    const env = { GITHUB_API_URL: 'https://user:pass@git.example.com/api/v3' };
    const out = await gate(['--image', IMAGE, '--trusted-root', rootFile], RELEASE, env);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(
      /^vakt gate: GITHUB_API_URL: cannot tell which GitHub signs attestations from the API URL .*it carries credentials/,
    );
    expect(`${out.stdout}${out.stderr}`).not.toContain('user:pass');
  });
});
