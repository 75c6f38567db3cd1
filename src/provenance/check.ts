import { signerClaims } from './certificate.ts';
import { checkIdentity } from './identity.ts';
import type { GitHubInstance } from './instance.ts';
import type { ProvenancePolicy } from './schema.ts';
import { checkStatement } from './statement.ts';
import type { TrustRoot } from './trust-roots.ts';
import type { AttestationEntry, ProvenanceSubject, ProvenanceVerdict } from './verdict.ts';
import { verifyBundle } from './verify-bundle.ts';

export type AttestationResult =
  | { ok: true; commit: string; workflow: string; ref: string }
  | { ok: false; reason: string };

/**
 * Every check on one attestation, in order: the bundle verifies; the certificate is the
 * policy's workflow on the configured GitHub instance; the statement is provenance for
 * this digest; and the commit the CA wrote into the certificate agrees with the one the
 * statement names.
 */
export function checkAttestation(
  entry: AttestationEntry,
  roots: TrustRoot[],
  policy: ProvenancePolicy,
  subject: ProvenanceSubject,
  instance: GitHubInstance,
): AttestationResult {
  if (!entry.ok) return entry;
  const verified = verifyBundle(entry.bundle, roots);
  if (!verified.ok) return verified;
  const identity = checkIdentity(signerClaims(verified.certificate), policy, subject, instance);
  if (!identity.ok) return identity;
  const statement = checkStatement(verified.payloadType, verified.payload, subject, instance);
  if (!statement.ok) return statement;
  const fromCertificate = identity.certificateCommit;
  const fromStatement = statement.commit;
  if (fromCertificate && fromStatement && fromCertificate !== fromStatement) {
    return {
      ok: false,
      reason: `the certificate's commit ${fromCertificate} differs from the provenance's ${fromStatement}`,
    };
  }
  const commit = fromCertificate ?? fromStatement;
  if (!commit) {
    return {
      ok: false,
      reason: 'neither the certificate nor the provenance names a source commit',
    };
  }
  return { ok: true, commit, workflow: identity.workflow, ref: identity.ref };
}

/**
 * The verdict over all attestations of a digest. An attestation that fails is no
 * objection by itself (a digest also carries SBOMs and other predicates); approval needs
 * at least one that passes, and all that pass must name one commit. Pure.
 */
export function combine(results: AttestationResult[], notes: string[] = []): ProvenanceVerdict {
  const failed = results.flatMap((r, i) => (r.ok ? [] : [`attestation ${i + 1}: ${r.reason}`]));
  const passed = results.filter((r): r is Extract<AttestationResult, { ok: true }> => r.ok);
  const first = passed[0];
  if (!first) return { ok: false, reasons: [...failed, ...notes] };
  const commits = [...new Set(passed.map((p) => p.commit))];
  if (commits.length > 1) {
    return {
      ok: false,
      reasons: [`verified attestations name different commits: ${commits.join(', ')}`],
    };
  }
  return {
    ok: true,
    commit: first.commit,
    workflow: first.workflow,
    ref: first.ref,
    bundles: passed.length,
    ignored: [...failed, ...notes],
  };
}
