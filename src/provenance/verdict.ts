/**
 * What the signed provenance of one image digest says, after every check. Pure data:
 * `ok` only when at least one attestation passed all of them and all that passed name
 * the same commit.
 */
export type ProvenanceVerdict =
  | {
      ok: true;
      /** The source commit (40 hex digits) the image was built from. */
      commit: string;
      /** The workflow file that signed, e.g. ".github/workflows/release.yml". */
      workflow: string;
      /** The ref the workflow ran on, e.g. "refs/heads/main". */
      ref: string;
      /** How many attestations passed every check. */
      bundles: number;
      /** Attestations that did not pass, and why (other predicate types, other workflows). */
      ignored: string[];
    }
  /** `undecided`: GitHub could not be read, so nothing was decided about the bytes. */
  | { ok: false; reasons: string[]; undecided?: true };

/** The subject: an image digest, and the repository whose workflow must have built it. */
export interface ProvenanceSubject {
  owner: string;
  repo: string;
  /** 64 lowercase hex digits, without "sha256:". */
  digest: string;
}

/** One attestation as the API returned it: a bundle to verify, or why there is none. */
export type AttestationEntry = { ok: true; bundle: unknown } | { ok: false; reason: string };
