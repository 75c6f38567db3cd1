import type { GitHubInstance } from './instance.ts';
import type { ProvenanceSubject } from './verdict.ts';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

export type StatementCheck =
  | { ok: true; commit: string | undefined }
  | { ok: false; reason: string };

interface Dependency {
  uri?: unknown;
  digest?: { gitCommit?: unknown };
}

/**
 * Whether a signed in-toto statement is SLSA provenance for the image digest, and the
 * source commit it names. Pure. The statement is written by the workflow that signed
 * it; the certificate's commit (from the CA) must agree with it (see check.ts).
 */
export function checkStatement(
  payloadType: string,
  payload: Buffer,
  subject: ProvenanceSubject,
  instance: GitHubInstance,
): StatementCheck {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { ok: false, reason: `payload type ${payloadType} is not ${IN_TOTO_PAYLOAD_TYPE}` };
  }
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the signed statement is not JSON' };
  }
  if (typeof statement !== 'object' || statement === null) {
    return { ok: false, reason: 'the signed statement is not a JSON object' };
  }
  const s = statement as {
    _type?: unknown;
    predicateType?: unknown;
    subject?: unknown;
    predicate?: unknown;
  };
  if (s._type !== STATEMENT_V1) {
    return { ok: false, reason: `statement type ${String(s._type)} is not ${STATEMENT_V1}` };
  }
  if (s.predicateType !== SLSA_PROVENANCE_V1) {
    return {
      ok: false,
      reason: `predicate type ${String(s.predicateType)} is not ${SLSA_PROVENANCE_V1}`,
    };
  }
  const digests = Array.isArray(s.subject)
    ? s.subject.map((x) => (x as { digest?: { sha256?: unknown } })?.digest?.sha256)
    : [];
  if (!digests.some((d) => typeof d === 'string' && d.toLowerCase() === subject.digest)) {
    const named = digests.filter((d) => typeof d === 'string').map((d) => `sha256:${d}`);
    return {
      ok: false,
      reason: `no subject has digest sha256:${subject.digest} (the statement names ${named.join(', ') || 'none'})`,
    };
  }
  return predicateCommit(s.predicate, subject, instance);
}

/**
 * The commit in buildDefinition.resolvedDependencies: the entries for the subject's own
 * repository when they name one, and all must agree.
 */
function predicateCommit(
  predicate: unknown,
  subject: ProvenanceSubject,
  instance: GitHubInstance,
): StatementCheck {
  const deps = (predicate as { buildDefinition?: { resolvedDependencies?: unknown } } | null)
    ?.buildDefinition?.resolvedDependencies;
  const list: Dependency[] = Array.isArray(deps)
    ? deps.filter((d): d is Dependency => typeof d === 'object' && d !== null)
    : [];
  const withCommit = list.filter((d) => d.digest?.gitCommit !== undefined);
  const prefix = `git+${instance.webUrl}/${subject.owner}/${subject.repo}@`.toLowerCase();
  const own = withCommit.filter(
    (d) => typeof d.uri === 'string' && d.uri.toLowerCase().startsWith(prefix),
  );
  const chosen = own.length > 0 ? own : withCommit;
  const commits = [...new Set(chosen.map((d) => String(d.digest?.gitCommit).toLowerCase()))];
  if (commits.length > 1) {
    return { ok: false, reason: `the provenance names several commits: ${commits.join(', ')}` };
  }
  const commit = commits[0];
  if (commit !== undefined && !/^[0-9a-f]{40}$/.test(commit)) {
    return { ok: false, reason: `the provenance's gitCommit "${commit}" is not a commit SHA` };
  }
  return { ok: true, commit };
}
