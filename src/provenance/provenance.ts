import type { Octokit } from 'octokit';
import { checkAttestation, combine } from './check.ts';
import { fetchAttestations, MAX_PAGES } from './fetch.ts';
import type { ProvenancePolicy } from './schema.ts';
import type { TrustRoot } from './trust-roots.ts';
import type { ProvenanceSubject, ProvenanceVerdict } from './verdict.ts';

/**
 * The source commit an image digest was built from, as its signed provenance on GitHub
 * proves it. Never throws: whatever cannot be read or verified is a reason.
 */
export async function verifyProvenance(
  octokit: Octokit,
  policy: ProvenancePolicy,
  subject: ProvenanceSubject,
  roots: TrustRoot[],
): Promise<ProvenanceVerdict> {
  const fetched = await fetchAttestations(octokit, subject, { org: policy.org });
  if (!fetched.ok) {
    return { ok: false, reasons: [fetched.reason], ...(fetched.undecided && { undecided: true }) };
  }
  const results = fetched.entries.map((entry) => {
    try {
      return checkAttestation(entry, roots, policy, subject);
    } catch (error) {
      // The checks are written not to throw; a library surprise still only denies.
      const text = error instanceof Error ? error.message : String(error);
      return { ok: false as const, reason: `unexpected failure while verifying: ${text}` };
    }
  });
  const notes = fetched.truncated
    ? [`more attestations than the ${MAX_PAGES * 100} read exist; the rest were not checked`]
    : [];
  return combine(results, notes);
}
