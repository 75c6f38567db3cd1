import type { SignerClaims } from './certificate.ts';
import { describeInstance, type GitHubInstance } from './instance.ts';
import type { ProvenancePolicy } from './schema.ts';
import type { ProvenanceSubject } from './verdict.ts';

export type IdentityCheck =
  | { ok: true; workflow: string; ref: string; certificateCommit: string | undefined }
  | { ok: false; reason: string };

/**
 * Whether the certificate was issued to the policy's workflow in the subject's own
 * repository on the GitHub vakt is configured for, on one of the policy's refs. Pure.
 * The issuer and every URI must name that one instance: a certificate from github.com's
 * issuer whose URIs name an Enterprise Server (or the reverse) is refused. Host, owner
 * and repository compare case-insensitively (GitHub treats them so); the workflow path
 * and ref exactly.
 */
export function checkIdentity(
  claims: SignerClaims,
  policy: ProvenancePolicy,
  subject: ProvenanceSubject,
  instance: GitHubInstance,
): IdentityCheck {
  if (claims.issuer !== instance.issuer) {
    return {
      ok: false,
      reason: `certificate issuer ${claims.issuer ?? '(none)'} is not GitHub Actions on ${describeInstance(instance)} (${instance.issuer})`,
    };
  }
  const san = claims.san;
  const repoUrl = `${instance.webUrl}/${subject.owner}/${subject.repo}`;
  const allowed = policy.refs.map((ref) => `${repoUrl}/${policy.workflow}@${ref}`);
  const match = san === undefined ? -1 : allowed.findIndex((a) => sameIdentity(a, san));
  const ref = policy.refs[match];
  if (san === undefined || ref === undefined) {
    return {
      ok: false,
      reason:
        `certificate identity ${san ?? '(none)'} is not the policy's workflow ` +
        `(${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`})`,
    };
  }
  if (claims.buildSignerUri !== undefined && !sameIdentity(claims.buildSignerUri, san)) {
    return {
      ok: false,
      reason: `certificate Build Signer URI ${claims.buildSignerUri} differs from its identity ${san}`,
    };
  }
  if (
    claims.sourceRepositoryUri !== undefined &&
    claims.sourceRepositoryUri.toLowerCase() !== repoUrl.toLowerCase()
  ) {
    return {
      ok: false,
      reason: `certificate Source Repository URI ${claims.sourceRepositoryUri} is not ${repoUrl}`,
    };
  }
  if (claims.sourceRepositoryRef !== undefined && claims.sourceRepositoryRef !== ref) {
    return {
      ok: false,
      reason: `certificate Source Repository Ref ${claims.sourceRepositoryRef} is not ${ref}, the ref its identity names`,
    };
  }
  const digest = claims.sourceRepositoryDigest;
  if (digest !== undefined && !/^[0-9a-f]{40}$/.test(digest)) {
    return {
      ok: false,
      reason: `certificate Source Repository Digest "${digest}" is not a commit SHA`,
    };
  }
  return { ok: true, workflow: policy.workflow, ref, certificateCommit: digest };
}

/** "https://HOST/Owner/Repo/<path>@<ref>": host, owner and repo without case. */
function sameIdentity(expected: string, actual: string): boolean {
  const split = (uri: string) => {
    const m = /^(https:\/\/[^/]+\/[^/]+\/[^/]+)(\/.*)$/i.exec(uri);
    return m ? [m[1]?.toLowerCase(), m[2]] : [undefined, uri];
  };
  const [a1, a2] = split(expected);
  const [b1, b2] = split(actual);
  return a1 !== undefined && a1 === b1 && a2 === b2;
}
