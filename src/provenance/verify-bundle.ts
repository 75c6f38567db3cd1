import { type Bundle, bundleFromJSON } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { toSignedEntity, Verifier } from '@sigstore/verify';
import type { TrustRoot } from './trust-roots.ts';

/** A bundle whose signature, certificate chain and timestamps all verified. */
export type VerifiedBundle =
  | { ok: true; root: string; payloadType: string; payload: Buffer; certificate: X509Certificate }
  | { ok: false; reason: string };

/**
 * Verifies a Sigstore bundle (any JSON) against the trusted roots: the signature over the
 * DSSE envelope, the certificate chain to a root's CA at the verified signing time, and
 * the transparency-log or RFC 3161 evidence that root requires. Never throws.
 */
export function verifyBundle(json: unknown, roots: TrustRoot[]): VerifiedBundle {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (error) {
    return { ok: false, reason: `malformed bundle: ${message(error)}` };
  }
  if (bundle.content.$case !== 'dsseEnvelope') {
    return {
      ok: false,
      reason: 'the bundle signs a message, not a DSSE envelope (an in-toto statement)',
    };
  }
  const leaf = leafCertificate(bundle);
  if (!leaf) {
    return { ok: false, reason: 'the bundle is signed by a bare public key, not a certificate' };
  }
  let certificate: X509Certificate;
  try {
    certificate = X509Certificate.parse(Buffer.from(leaf));
  } catch (error) {
    return { ok: false, reason: `the signing certificate does not parse: ${message(error)}` };
  }
  const failures: string[] = [];
  for (const root of roots) {
    try {
      const entity = toSignedEntity(bundle);
      new Verifier(root.material, root.thresholds).verify(entity);
      const envelope = bundle.content.dsseEnvelope;
      return {
        ok: true,
        root: root.name,
        payloadType: envelope.payloadType,
        payload: Buffer.from(envelope.payload),
        certificate,
      };
    } catch (error) {
      failures.push(`${root.name}: ${explain(error)}`);
    }
  }
  if (roots.length === 1) return { ok: false, reason: `not verified against ${failures[0]}` };
  return { ok: false, reason: `not verified against any trusted root (${failures.join('; ')})` };
}

function leafCertificate(bundle: Bundle): Uint8Array | undefined {
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'certificate') return material.certificate.rawBytes;
  if (material.$case === 'x509CertificateChain') {
    return material.x509CertificateChain.certificates[0]?.rawBytes;
  }
  return undefined;
}

/** The library's error, with the cause that says which check failed. */
function explain(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const text = message(error);
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error && cause.message !== text ? ` (${cause.message})` : '';
  switch (code) {
    case 'SIGNATURE_ERROR':
      return `the signature over the DSSE envelope does not verify${detail}`;
    case 'CERTIFICATE_ERROR':
      return `certificate: ${text}${detail}`;
    case 'TIMESTAMP_ERROR':
      return `timestamp: ${text}${detail}`;
    default:
      if (typeof code === 'string' && code.startsWith('TLOG'))
        return `transparency log: ${text}${detail}`;
      return `${text}${detail}`;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
