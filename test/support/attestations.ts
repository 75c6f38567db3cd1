import type { AttestOptions, TestInstance } from './sigstore-world.ts';

/**
 * Attestations as GitHub's attest-build-provenance action makes them for a container
 * image, and the attestations API's answer around them.
 */

export const REPO_URL = 'https://github.com/acme/shop';
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
}

export function provenanceStatement(build: Build = {}) {
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
          workflow: { ref, repository: REPO_URL, path: workflow },
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
          { uri: `git+${REPO_URL}@${ref}`, digest: { gitCommit: build.commit ?? COMMIT } },
        ],
      },
      runDetails: {
        builder: { id: `${REPO_URL}/${workflow}@${ref}` },
        metadata: { invocationId: `${REPO_URL}/actions/runs/12345678901/attempts/1` },
      },
    },
  };
}

/** What Fulcio writes for a GitHub Actions run (OIDs 1.3.6.1.4.1.57264.1.N). */
export function signing(build: Build = {}): AttestOptions {
  const ref = build.ref ?? 'refs/heads/main';
  const identity = `${REPO_URL}/${build.workflow ?? WORKFLOW}@${ref}`;
  const commit = build.certificateCommit ?? build.commit ?? COMMIT;
  return {
    statement: provenanceStatement(build),
    san: identity,
    ...(build.issuer !== undefined && { issuer: build.issuer }),
    extensions: {
      9: identity,
      10: commit,
      11: 'github-hosted',
      12: REPO_URL,
      13: commit,
      14: ref,
      15: '701234567',
      16: 'https://github.com/acme',
      17: '98765432',
      18: identity,
      19: commit,
      20: 'push',
      21: `${REPO_URL}/actions/runs/12345678901/attempts/1`,
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
