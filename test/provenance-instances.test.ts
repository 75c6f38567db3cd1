import nock from 'nock';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGitHub } from '../src/github/client.ts';
import { githubInstance } from '../src/provenance/instance.ts';
import { verifyProvenance } from '../src/provenance/provenance.ts';
import type { ProvenancePolicy } from '../src/provenance/schema.ts';
import { loadTrustRoots, type TrustRoot } from '../src/provenance/trust-roots.ts';
import {
  attestationsAnswer,
  type Build,
  COMMIT,
  DIGEST,
  DOTCOM,
  GHES,
  type GitHubKind,
  on,
  rootsOf,
  signing,
  TENANT,
} from './support/attestations.ts';
import { offline } from './support/offline.ts';
import { type TestInstance, testInstance } from './support/sigstore-world.ts';

const POLICY: ProvenancePolicy = {
  workflow: '.github/workflows/release.yml',
  refs: ['refs/heads/main'],
  org: false,
};
const SUBJECT = { owner: 'acme', repo: 'shop', digest: DIGEST };
const PATH = `/repos/acme/shop/attestations/sha256%3A${DIGEST}`;

offline();

// An Enterprise instance signs with its own Sigstore (an RFC 3161 timestamp authority, no
// public log), as GitHub's own instance does; the administrator passes its root.
let instance: TestInstance;
let roots: TrustRoot[];

beforeAll(async () => {
  instance = await testInstance('github');
  roots = rootsOf(instance);
});

/** The verdict of vakt configured with `configured`'s API root, for one bundle. */
async function verdictFor(
  configured: GitHubKind,
  build: Build,
  options: {
    trust?: TrustRoot[];
    org?: boolean;
    change?: (s: ReturnType<typeof signing>) => void;
  } = {},
) {
  const signed = signing(build);
  options.change?.(signed);
  const bundle = await instance.attest(signed);
  const { origin, pathname } = new URL(configured.api);
  const prefix = pathname.replace(/\/$/, '');
  const route = options.org ? `/orgs/acme/attestations/sha256%3A${DIGEST}` : PATH;
  const scope = nock(origin)
    .get(`${prefix}${route}`)
    .query(true)
    .reply(200, attestationsAnswer([bundle]));
  const octokit = await createGitHub({
    token: 'ghp_test',
    baseUrl: configured.api,
    retries: false,
  });
  const verdict = await verifyProvenance(
    octokit,
    { ...POLICY, org: options.org ?? false },
    SUBJECT,
    options.trust ?? roots,
  );
  expect(scope.isDone()).toBe(true);
  return verdict;
}

const reasons = (v: Awaited<ReturnType<typeof verdictFor>>) =>
  v.ok ? `ok: ${v.commit}` : v.reasons.join('\n');

describe('which GitHub an API root belongs to', () => {
  it.each([
    [
      'https://api.github.com',
      'github.com',
      'https://token.actions.githubusercontent.com',
      'https://github.com',
    ],
    [
      'https://api.github.com/',
      'github.com',
      'https://token.actions.githubusercontent.com',
      'https://github.com',
    ],
    [
      'https://ghes.example.com/api/v3',
      'ghes.example.com',
      'https://ghes.example.com/_services/token',
      'https://ghes.example.com',
    ],
    [
      'https://GHES.Example.com/api/v3/',
      'ghes.example.com',
      'https://ghes.example.com/_services/token',
      'https://ghes.example.com',
    ],
    [
      'https://api.acme.ghe.com',
      'acme.ghe.com',
      'https://token.actions.acme.ghe.com',
      'https://acme.ghe.com',
    ],
    // Stand-ins for api.github.com (a local proxy, a gateway, an emulator) expect github.com.
    ...[
      'http://127.0.0.1:8080',
      'https://api.github.test',
      'http://github.internal:3000/',
      'https://ghes.example.com/api/v4',
    ].map((api) => [
      api,
      'github.com',
      'https://token.actions.githubusercontent.com',
      'https://github.com',
    ]),
    [
      'http://ghes.example.com/api/v3',
      'ghes.example.com',
      'https://ghes.example.com/_services/token',
      'https://ghes.example.com',
    ],
  ])('%s is %s', (api, host, issuer, webUrl) => {
    expect(githubInstance(api)).toMatchObject({ ok: true, instance: { host, issuer, webUrl } });
  });

  it.each([
    ['https://github.com/api/v3', 'https://api.github.com'],
    ['https://uploads.github.com', 'https://api.github.com'],
    ['https://acme.ghe.com', 'https://api.TENANT.ghe.com'],
    ['https://api.a.b.ghe.com', 'https://api.TENANT.ghe.com'],
    ['https://api.acme.ghe.com/api/v3', 'https://api.TENANT.ghe.com'],
    ['https://user:pass@ghes.example.com/api/v3', 'credentials'],
    ['ghes.example.com', 'not a URL'],
  ])('%s names no instance (%s)', (api, why) => {
    const result = githubInstance(api);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain(why);
      expect(result.reason).toContain('expected https://api.github.com, https://HOST/api/v3');
    }
  });
});

describe('a credential in the API root', () => {
  it.each([
    // Unparseable (a space in the host; an unclosed IPv6 bracket): no URL to mask parts of.
    ['https://x-access-token:ghp_SECRET123@ghes corp/api/v3'],
    ['https://ghp_SECRET123:@[::1/api/v3'],
    // A token pasted into GITHUB_API_URL by mistake.
    ['ghp_SECRET123'],
    // Parsed, with the token in the fragment.
    ['https://api.github.com/#ghp_SECRET123'],
  ])('%s is refused without showing the secret', (api) => {
    const result = githubInstance(api);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain('cannot tell which GitHub signs attestations');
      expect(result.reason).not.toContain('SECRET123');
    }
  });
});

describe('provenance on GitHub Enterprise Server', () => {
  it('accepts a bundle of the instance when vakt is configured for it', async () => {
    const verdict = await verdictFor(GHES, on(GHES));
    expect(verdict).toMatchObject({ ok: true, commit: COMMIT, ref: 'refs/heads/main' });
  });

  it("reads the organization's endpoint under /api/v3", async () => {
    expect(await verdictFor(GHES, on(GHES), { org: true })).toMatchObject({ ok: true });
  });

  it('compares the host in the identity without case', async () => {
    const verdict = await verdictFor(GHES, on(GHES, { host: 'GHES.example.com' }));
    expect(verdict).toMatchObject({ ok: true, commit: COMMIT });
  });

  it('refuses a bundle of the instance when vakt is configured for github.com', async () => {
    const verdict = await verdictFor(DOTCOM, on(GHES));
    expect(reasons(verdict)).toContain(
      'certificate issuer https://ghes.example.com/_services/token is not GitHub Actions on github.com (https://token.actions.githubusercontent.com)',
    );
  });

  it('refuses a github.com bundle when vakt is configured for the instance', async () => {
    const verdict = await verdictFor(GHES, on(DOTCOM));
    expect(reasons(verdict)).toContain(
      'certificate issuer https://token.actions.githubusercontent.com is not GitHub Actions on GitHub Enterprise Server ghes.example.com (https://ghes.example.com/_services/token)',
    );
  });

  it("refuses github.com's issuer with URIs on the instance, whichever vakt is configured for", async () => {
    const mixed = on(GHES, { issuer: DOTCOM.issuer });
    expect(reasons(await verdictFor(GHES, mixed))).toContain(
      'certificate issuer https://token.actions.githubusercontent.com is not GitHub Actions on GitHub Enterprise Server',
    );
    expect(reasons(await verdictFor(DOTCOM, mixed))).toContain(
      "certificate identity https://ghes.example.com/acme/shop/.github/workflows/release.yml@refs/heads/main is not the policy's workflow (https://github.com/acme/shop/",
    );
  });

  it("refuses the instance's issuer with URIs on github.com, whichever vakt is configured for", async () => {
    const mixed = on(DOTCOM, { issuer: GHES.issuer });
    expect(reasons(await verdictFor(GHES, mixed))).toContain(
      "certificate identity https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main is not the policy's workflow (https://ghes.example.com/acme/shop/",
    );
    expect(reasons(await verdictFor(DOTCOM, mixed))).toContain(
      'certificate issuer https://ghes.example.com/_services/token is not GitHub Actions on github.com',
    );
  });

  it('refuses a Source Repository URI on another host than the identity', async () => {
    const verdict = await verdictFor(GHES, on(GHES), {
      change: (signed) => {
        if (signed.extensions) signed.extensions[12] = 'https://github.com/acme/shop';
      },
    });
    expect(reasons(verdict)).toContain(
      'certificate Source Repository URI https://github.com/acme/shop is not https://ghes.example.com/acme/shop',
    );
  });

  it("takes the commit from the dependency on the instance's own repository", async () => {
    // A github.com checkout beside the build's own: its commit is not the source commit.
    const verdict = await verdictFor(GHES, on(GHES), {
      change: (signed) => {
        // biome-ignore lint/suspicious/noExplicitAny: reaches into the statement's JSON
        const deps = (signed.statement as any).predicate.buildDefinition.resolvedDependencies;
        deps.unshift({
          uri: 'git+https://github.com/acme/shop@refs/heads/main',
          digest: { gitCommit: 'e'.repeat(40) },
        });
      },
    });
    expect(verdict).toMatchObject({ ok: true, commit: COMMIT });
  });

  it('says which trusted root is missing when only the shipped public-good one is trusted', async () => {
    const shipped = await loadTrustRoots();
    const verdict = await verdictFor(GHES, on(GHES), { trust: shipped });
    expect(verdict.ok).toBe(false);
    expect(reasons(verdict)).toContain(
      "vakt reaches GitHub Enterprise Server ghes.example.com, whose attestations are signed by its own Sigstore instance, but trusts only the shipped public-good root: pass that instance's trusted root with --trusted-root",
    );
  });

  it('adds no such hint when the administrator gave roots', async () => {
    const verdict = await verdictFor(GHES, on(GHES, { workflow: '.github/workflows/other.yml' }));
    expect(verdict.ok).toBe(false);
    expect(reasons(verdict)).not.toContain('--trusted-root');
  });
});

describe('provenance on GitHub Enterprise Cloud with data residency', () => {
  it('accepts a bundle of the tenant when vakt is configured for it', async () => {
    expect(await verdictFor(TENANT, on(TENANT))).toMatchObject({ ok: true, commit: COMMIT });
  });

  it('refuses a bundle of the tenant when vakt is configured for github.com', async () => {
    expect(reasons(await verdictFor(DOTCOM, on(TENANT)))).toContain(
      'certificate issuer https://token.actions.acme.ghe.com is not GitHub Actions on github.com',
    );
  });

  it('refuses a github.com bundle when vakt is configured for the tenant', async () => {
    expect(reasons(await verdictFor(TENANT, on(DOTCOM)))).toContain(
      'certificate issuer https://token.actions.githubusercontent.com is not GitHub Actions on GitHub Enterprise Cloud acme.ghe.com (https://token.actions.acme.ghe.com)',
    );
  });

  it("refuses the tenant's issuer with another tenant's URIs, and the reverse", async () => {
    const otherUris = on(TENANT, { host: 'other.ghe.com' });
    expect(reasons(await verdictFor(TENANT, otherUris))).toContain(
      "certificate identity https://other.ghe.com/acme/shop/.github/workflows/release.yml@refs/heads/main is not the policy's workflow",
    );
    const otherIssuer = on(TENANT, { issuer: 'https://token.actions.other.ghe.com' });
    expect(reasons(await verdictFor(TENANT, otherIssuer))).toContain(
      'certificate issuer https://token.actions.other.ghe.com is not GitHub Actions on GitHub Enterprise Cloud acme.ghe.com',
    );
  });

  it('points at `gh attestation trusted-root --hostname` for the missing root', async () => {
    const verdict = await verdictFor(TENANT, on(TENANT), { trust: await loadTrustRoots() });
    expect(reasons(verdict)).toContain('`gh attestation trusted-root --hostname acme.ghe.com`');
  });
});

describe('an API root of none of the known forms (a proxy, a gateway, an emulator)', () => {
  const STAND_IN = { ...DOTCOM, api: 'http://github.internal:3000' };

  it("expects github.com's identities: a github.com bundle passes", async () => {
    expect(await verdictFor(STAND_IN, on(DOTCOM))).toMatchObject({ ok: true, commit: COMMIT });
  });

  it("never an Enterprise instance's: whoever runs the stand-in cannot pick the issuer", async () => {
    const verdict = await verdictFor(STAND_IN, on(GHES));
    expect(reasons(verdict)).toContain(
      'certificate issuer https://ghes.example.com/_services/token is not GitHub Actions on github.com',
    );
  });

  it('denies a root with credentials in it before asking anything', async () => {
    // offline(): a request would fail as "could not read" and be undecided; none is sent.
    const octokit = await createGitHub({
      token: 'ghp_test',
      baseUrl: 'https://user:pass@ghes.example.com/api/v3',
      retries: false,
    });
    const verdict = await verifyProvenance(octokit, POLICY, SUBJECT, roots);
    expect(reasons(verdict)).toContain('it carries credentials, a query or a fragment');
  });
});
