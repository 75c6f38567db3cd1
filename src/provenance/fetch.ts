import type { Octokit } from 'octokit';
import { factsError } from '../approval/fetch-errors.ts';
import { parseAttestationPage } from './answer.ts';
import type { AttestationEntry, ProvenanceSubject } from './verdict.ts';

/** Pages of 100; a digest with more attestations than this is read no further. */
const PER_PAGE = 100;
export const MAX_PAGES = 5;

export type FetchedAttestations =
  | { ok: true; entries: AttestationEntry[]; truncated: boolean }
  /** `undecided`: GitHub could not be read (unreachable, rate-limited), which may pass. */
  | { ok: false; reason: string; undecided?: true };

/**
 * Every attestation GitHub holds for the image digest, from the repository's endpoint or,
 * when the policy says `org: true`, the organization's. Never throws: a failed or odd
 * answer is a reason.
 */
export async function fetchAttestations(
  octokit: Octokit,
  subject: ProvenanceSubject,
  options: { org: boolean },
): Promise<FetchedAttestations> {
  const digest = `sha256:${subject.digest}`;
  const where = options.org ? `organization ${subject.owner}` : `${subject.owner}/${subject.repo}`;
  const route = options.org
    ? 'GET /orgs/{org}/attestations/{subject_digest}'
    : 'GET /repos/{owner}/{repo}/attestations/{subject_digest}';
  const params = options.org
    ? { org: subject.owner, subject_digest: digest, per_page: PER_PAGE }
    : { owner: subject.owner, repo: subject.repo, subject_digest: digest, per_page: PER_PAGE };
  const entries: AttestationEntry[] = [];
  let pages = 0;
  try {
    for await (const response of octokit.paginate.iterator(route, params)) {
      const page = parseAttestationPage(response.data as unknown);
      if (!page.ok) return { ok: false, reason: `${where}: ${page.reason}` };
      entries.push(...page.entries);
      pages += 1;
      if (pages >= MAX_PAGES) {
        const more = /rel="next"/.test(String(response.headers.link ?? ''));
        return { ok: true, entries, truncated: more };
      }
    }
  } catch (error) {
    if ((error as { status?: unknown }).status === 404) {
      return {
        ok: false,
        reason: `no attestations for ${digest} in ${where} (GitHub answered 404)`,
      };
    }
    return {
      ok: false,
      reason: factsError(error, `could not read attestations for ${digest} in ${where}`).message,
      undecided: true,
    };
  }
  if (entries.length === 0) {
    return { ok: false, reason: `no attestations for ${digest} in ${where}` };
  }
  return { ok: true, entries, truncated: false };
}
