import type { Octokit } from 'octokit';
import { checkAttestation, combine } from './check.ts';
import { fetchAttestations, MAX_PAGES } from './fetch.ts';
import { describeInstance, type GitHubInstance, githubInstance } from './instance.ts';
import type { ProvenancePolicy } from './schema.ts';
import type { TrustRoot } from './trust-roots.ts';
import type { ProvenanceSubject, ProvenanceVerdict } from './verdict.ts';

/**
 * The source commit an image digest was built from, as its signed provenance on GitHub
 * proves it. The GitHub instance whose workflow must have signed is the one `octokit`
 * reaches (its API root), so the identity checked and the API asked cannot disagree.
 * Never throws: whatever cannot be read or verified is a reason.
 */
export async function verifyProvenance(
  octokit: Octokit,
  policy: ProvenancePolicy,
  subject: ProvenanceSubject,
  roots: TrustRoot[],
): Promise<ProvenanceVerdict> {
  const found = instanceOf(octokit);
  if (!found.ok) return { ok: false, reasons: [found.reason] };
  const instance = found.instance;
  const fetched = await fetchAttestations(octokit, subject, { org: policy.org });
  if (!fetched.ok) {
    return { ok: false, reasons: [fetched.reason], ...(fetched.undecided && { undecided: true }) };
  }
  const results = fetched.entries.map((entry) => {
    try {
      return checkAttestation(entry, roots, policy, subject, instance);
    } catch (error) {
      // The checks are written not to throw; a library surprise still only denies.
      const text = error instanceof Error ? error.message : String(error);
      return { ok: false as const, reason: `unexpected failure while verifying: ${text}` };
    }
  });
  const notes = fetched.truncated
    ? [`more attestations than the ${MAX_PAGES * 100} read exist; the rest were not checked`]
    : [];
  const verdict = combine(results, notes);
  const hint = rootHint(instance, roots);
  return !verdict.ok && hint ? { ...verdict, reasons: [...verdict.reasons, hint] } : verdict;
}

/** The instance of the API root the client was made with (GITHUB_API_URL and the like). */
export function instanceOf(octokit: Octokit): ReturnType<typeof githubInstance> {
  const baseUrl = (octokit.request.endpoint.DEFAULTS as { baseUrl?: unknown }).baseUrl;
  return githubInstance(typeof baseUrl === 'string' ? baseUrl : '');
}

/**
 * Said with a denial when only the shipped public-good root is trusted but vakt talks to
 * an instance other than github.com: such an instance signs with its own Sigstore, whose
 * root the administrator must pass; vakt fetches no root from anywhere.
 */
function rootHint(instance: GitHubInstance, roots: TrustRoot[]): string | undefined {
  if (instance.kind === 'github.com' || !roots.every((r) => r.shipped)) return undefined;
  const source =
    instance.kind === 'data-residency'
      ? `\`gh attestation trusted-root --hostname ${instance.host}\` prints it`
      : "ask the instance's administrator for it";
  return (
    `vakt reaches ${describeInstance(instance)}, whose attestations are signed by its own Sigstore instance, ` +
    `but trusts only the shipped public-good root: pass that instance's trusted root with --trusted-root ` +
    `(operator and app: the chart's provenance.trustedRootConfigMap); ${source}`
  );
}
