import { readFile } from 'node:fs/promises';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { type TrustMaterial, toTrustMaterial, type VerifierOptions } from '@sigstore/verify';
// Imported, not read from disk: the bundled Action has no file beside it to read.
import publicGood from './trusted-roots/public-good.json' with { type: 'json' };

/**
 * The Sigstore trusted roots a bundle may chain to. Shipped with vakt (public-good, as
 * published in Sigstore's TUF repository) or replaced by the administrator's own file;
 * never fetched from anywhere a policy, template or API answer names.
 */
export interface TrustRoot {
  /** For reasons: the CA's URI, e.g. "fulcio.sigstore.dev". */
  name: string;
  material: TrustMaterial;
  /** What this root requires of a bundle's evidence (see `thresholdsFor`). */
  thresholds: VerifierOptions;
  /** Shipped with vakt (public-good), not given by the administrator. */
  shipped: boolean;
}

export class TrustRootError extends Error {
  override name = 'TrustRootError';
}

/** The shipped roots, or (when given) only those in the administrator's file. */
export async function loadTrustRoots(file?: string): Promise<TrustRoot[]> {
  if (file === undefined) {
    return [{ ...toRoot(publicGood, 'the shipped public-good root'), shipped: true }];
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new TrustRootError(`--trusted-root: cannot read ${file}`);
  }
  return parseTrustRoots(text, file);
}

/**
 * One trusted root (JSON), or several as JSON Lines: the shape `gh attestation
 * trusted-root` prints, which holds both public-good and GitHub's own instance.
 */
export function parseTrustRoots(text: string, source: string): TrustRoot[] {
  const trimmed = text.trim();
  let documents: unknown[];
  try {
    documents = [JSON.parse(trimmed)];
  } catch {
    try {
      documents = trimmed
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown);
    } catch {
      throw new TrustRootError(`${source}: not a trusted root (JSON, or JSON Lines of them)`);
    }
  }
  if (documents.length === 0) throw new TrustRootError(`${source}: no trusted root in the file`);
  return documents.map((document, i) =>
    toRoot(document, `${source}${documents.length > 1 ? ` line ${i + 1}` : ''}`),
  );
}

function toRoot(document: unknown, where: string): TrustRoot {
  if (typeof document !== 'object' || document === null) {
    throw new TrustRootError(`${where}: a trusted root must be a JSON object`);
  }
  const media = (document as { mediaType?: unknown }).mediaType;
  if (typeof media !== 'string' || !media.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw new TrustRootError(
      `${where}: mediaType must be application/vnd.dev.sigstore.trustedroot+json, got ${JSON.stringify(media)}`,
    );
  }
  let root: TrustedRoot;
  let material: TrustMaterial;
  try {
    root = TrustedRoot.fromJSON(document);
    material = toTrustMaterial(root);
  } catch (error) {
    throw new TrustRootError(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (material.certificateAuthorities.length === 0) {
    throw new TrustRootError(`${where}: no certificate authority, so no bundle could chain to it`);
  }
  const name = root.certificateAuthorities[0]?.uri.replace(/^https:\/\//, '') || where;
  return { name, material, thresholds: thresholdsFor(material), shipped: false };
}

/**
 * Evidence a bundle must carry, from what the root lists: a root with transparency logs
 * (public-good) requires an entry in one, with an inclusion proof or promise; a root with
 * CT logs requires an SCT in the certificate; every bundle needs one verified timestamp
 * (from the log, or RFC 3161 from a listed authority, as GitHub's own instance signs),
 * so the certificate is checked at signing time, not against the clock.
 */
export function thresholdsFor(material: TrustMaterial): VerifierOptions {
  return {
    tlogThreshold: material.tlogs.length > 0 ? 1 : 0,
    ctlogThreshold: material.ctlogs.length > 0 ? 1 : 0,
    timestampThreshold: 1,
  };
}
