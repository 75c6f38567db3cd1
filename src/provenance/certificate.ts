import type { X509Certificate } from '@sigstore/core';

/**
 * What a Fulcio certificate says about the workflow run that asked for it. The CA writes
 * these from the run's OIDC token, so the workflow cannot choose them; the statement it
 * signs is another matter (see statement.ts).
 */
export interface SignerClaims {
  /** The subject alternative name: for GitHub Actions, the workflow file at a ref. */
  san: string | undefined;
  issuer: string | undefined;
  buildSignerUri: string | undefined;
  sourceRepositoryUri: string | undefined;
  sourceRepositoryDigest: string | undefined;
  sourceRepositoryRef: string | undefined;
}

const FULCIO = '1.3.6.1.4.1.57264.1';

/** Fulcio's extension OIDs (github.com/sigstore/fulcio docs/oid-info.md). */
const OID = {
  issuerV1: `${FULCIO}.1`,
  issuer: `${FULCIO}.8`,
  buildSignerUri: `${FULCIO}.9`,
  sourceRepositoryUri: `${FULCIO}.12`,
  sourceRepositoryDigest: `${FULCIO}.13`,
  sourceRepositoryRef: `${FULCIO}.14`,
} as const;

export function signerClaims(certificate: X509Certificate): SignerClaims {
  return {
    san: safe(() => certificate.subjectAltName),
    issuer: utf8(certificate, OID.issuer) ?? raw(certificate, OID.issuerV1),
    buildSignerUri: utf8(certificate, OID.buildSignerUri),
    sourceRepositoryUri: utf8(certificate, OID.sourceRepositoryUri),
    sourceRepositoryDigest: utf8(certificate, OID.sourceRepositoryDigest),
    sourceRepositoryRef: utf8(certificate, OID.sourceRepositoryRef),
  };
}

/** The newer extensions hold a DER UTF8String inside the extension's OCTET STRING. */
function utf8(certificate: X509Certificate, oid: string): string | undefined {
  return safe(() => certificate.extension(oid)?.valueObj.subs[0]?.value.toString('utf8'));
}

/** The first-generation ones hold the bare bytes. */
function raw(certificate: X509Certificate, oid: string): string | undefined {
  return safe(() => certificate.extension(oid)?.value.toString('utf8'));
}

/** A malformed extension reads as absent; the identity check then fails closed. */
function safe(read: () => string | undefined): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
