import { parseTrustRoots, type TrustRoot } from '../../src/provenance/trust-roots.ts';
import type { AttestOptions, TestInstance } from './sigstore-world.ts';

/**
 * Attestations as GitHub's attest-build-provenance action makes them for a container
 * image, and the attestations API's answer around them.
 */

export const REPO_URL = 'https://github.com/acme/shop';

/**
 * How each kind of GitHub names itself: the API root vakt is configured with, and the
 * issuer and host its Fulcio writes into a certificate. Literal here, so a test fails
 * when vakt's own derivation of them changes.
 */
export interface GitHubKind {
  api: string;
  issuer: string;
  host: string;
}
export const DOTCOM: GitHubKind = {
  api: 'https://api.github.com',
  issuer: 'https://token.actions.githubusercontent.com',
  host: 'github.com',
};
export const GHES: GitHubKind = {
  api: 'https://ghes.example.com/api/v3',
  issuer: 'https://ghes.example.com/_services/token',
  host: 'ghes.example.com',
};
export const TENANT: GitHubKind = {
  api: 'https://api.acme.ghe.com',
  issuer: 'https://token.actions.acme.ghe.com',
  host: 'acme.ghe.com',
};
export const WORKFLOW = '.github/workflows/release.yml';
export const DIGEST = 'a3f1c2d4e5b60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00';
export const COMMIT = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export interface Build {
  digest?: string;
  commit?: string;
  /** The commit the CA writes into the certificate; default the statement's. */
  certificateCommit?: string;
  workflow?: string;
  ref?: string;
  predicateType?: string;
  issuer?: string;
  /** The host every URI in the certificate and statement names; default github.com. */
  host?: string;
}

/** A build on that kind of GitHub: its issuer and its host. */
export const on = (kind: GitHubKind, build: Build = {}): Build => ({
  issuer: kind.issuer,
  host: kind.host,
  ...build,
});

const repoUrl = (build: Build) => `https://${build.host ?? 'github.com'}/acme/shop`;

export function provenanceStatement(build: Build = {}) {
  const repo = repoUrl(build);
  const ref = build.ref ?? 'refs/heads/main';
  const workflow = build.workflow ?? WORKFLOW;
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'ghcr.io/acme/shop', digest: { sha256: build.digest ?? DIGEST } }],
    predicateType: build.predicateType ?? 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: {
          workflow: { ref, repository: repo, path: workflow },
        },
        internalParameters: {
          github: {
            event_name: 'push',
            repository_id: '701234567',
            repository_owner_id: '98765432',
            runner_environment: 'github-hosted',
          },
        },
        resolvedDependencies: [
          { uri: `git+${repo}@${ref}`, digest: { gitCommit: build.commit ?? COMMIT } },
        ],
      },
      runDetails: {
        builder: { id: `${repo}/${workflow}@${ref}` },
        metadata: { invocationId: `${repo}/actions/runs/12345678901/attempts/1` },
      },
    },
  };
}

/** What Fulcio writes for a GitHub Actions run (OIDs 1.3.6.1.4.1.57264.1.N). */
export function signing(build: Build = {}): AttestOptions {
  const repo = repoUrl(build);
  const ref = build.ref ?? 'refs/heads/main';
  const identity = `${repo}/${build.workflow ?? WORKFLOW}@${ref}`;
  const commit = build.certificateCommit ?? build.commit ?? COMMIT;
  return {
    statement: provenanceStatement(build),
    san: identity,
    ...(build.issuer !== undefined && { issuer: build.issuer }),
    extensions: {
      9: identity,
      10: commit,
      11: 'github-hosted',
      12: repo,
      13: commit,
      14: ref,
      15: '701234567',
      16: `https://${build.host ?? 'github.com'}/acme`,
      17: '98765432',
      18: identity,
      19: commit,
      20: 'push',
      21: `${repo}/actions/runs/12345678901/attempts/1`,
      22: 'public',
    },
  };
}

export function attest(instance: TestInstance, build: Build = {}) {
  return instance.attest(signing(build));
}

/** The API's answer: each bundle inline, with a bundle_url beside it as newer answers have. */
export function attestationsAnswer(bundles: unknown[]) {
  return {
    attestations: bundles.map((bundle, i) => ({
      bundle,
      repository_id: 701234567,
      bundle_url: `https://tmp.github.test/attestations/${i}.json.sn`,
    })),
  };
}

export const ATTESTATIONS_PATH = `/repos/acme/shop/attestations/sha256%3A${DIGEST}`;

/** The trusted roots of test instances, as an administrator's JSON Lines file gives them. */
export function rootsOf(...instances: TestInstance[]): TrustRoot[] {
  const lines = instances.map((i) => JSON.stringify(i.trustedRoot)).join('\n');
  return parseTrustRoots(lines, 'test roots');
}
