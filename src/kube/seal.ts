import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The seal on a rejection mark. With admission policies off, anyone who may edit a
 * Deployment may write vakt.dev/rejected-template: to reject a release before it ships, or
 * to copy a mark from one guard to another. The operator therefore writes, in the same
 * request, an HMAC-SHA256 over what the mark is about, with a key only it holds; a mark
 * whose seal does not verify is not taken as a rejection.
 */

export const REJECTED_SEAL = 'vakt.dev/rejected-seal';

/** Shorter keys are refused: below SHA-256's own 32 bytes the key would be the weak link. */
export const MIN_KEY_BYTES = 32;

export interface SealKeys {
  /** Seals are written with this key and verified with it. */
  current: Buffer;
  /** Seals written before a rotation still verify with it (never used to write). */
  previous?: Buffer;
}

/**
 * What a mark is about: the Deployment it sits on (by name and uid, so a Deployment
 * deleted and made again does not inherit it), the guard that wrote it, and the template.
 * The template hash covers every image reference of the template, digests included, so a
 * rejection recorded from a verified mark names the same images the leak ran.
 */
export interface MarkSubject {
  namespace: string;
  guard: string;
  deployment: string;
  uid: string;
  templateHash: string;
}

const VERSION = 'v1';
const DOMAIN = 'vakt.dev/rejected-template';

/**
 * The bytes the MAC covers: a domain tag, the version, then each field as a 4-byte
 * big-endian length and its UTF-8 bytes, so no two subjects encode alike (no separator
 * for a field value to contain).
 */
export function encodeSubject(subject: MarkSubject): Buffer {
  const fields = [
    DOMAIN,
    VERSION,
    subject.namespace,
    subject.guard,
    subject.deployment,
    subject.uid,
    subject.templateHash,
  ];
  return Buffer.concat(
    fields.flatMap((field) => {
      const bytes = Buffer.from(field, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return [length, bytes];
    }),
  );
}

function mac(key: Buffer, subject: MarkSubject): Buffer {
  return createHmac('sha256', key).update(encodeSubject(subject)).digest();
}

/** The annotation value: `v1.` and the MAC in base64url. */
export function sealMark(keys: SealKeys, subject: MarkSubject): string {
  return `${VERSION}.${mac(keys.current, subject).toString('base64url')}`;
}

/** Whether `seal` is one the operator wrote for this subject, with the current or previous key. */
export function verifyMark(
  keys: SealKeys,
  subject: MarkSubject,
  seal: string | undefined,
): boolean {
  if (typeof seal !== 'string' || !seal.startsWith(`${VERSION}.`)) return false;
  const given = Buffer.from(seal.slice(VERSION.length + 1), 'base64url');
  // Not base64url at all, or the wrong length: no MAC to compare.
  if (given.length !== 32 || given.toString('base64url') !== seal.slice(VERSION.length + 1)) {
    return false;
  }
  return [keys.current, keys.previous].some(
    (key) => key !== undefined && timingSafeEqual(mac(key, subject), given),
  );
}
