import type { AttestationEntry } from './verdict.ts';

/**
 * One page of `GET .../attestations/{subject_digest}`, checked shape by shape. Anything
 * unexpected becomes a reason, never an exception: the answer comes from the network.
 */
export type AttestationPage =
  | { ok: true; entries: AttestationEntry[] }
  | { ok: false; reason: string };

export function parseAttestationPage(data: unknown): AttestationPage {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, reason: 'the attestations answer is not a JSON object' };
  }
  const list = (data as { attestations?: unknown }).attestations;
  if (!Array.isArray(list)) {
    return { ok: false, reason: 'the attestations answer has no "attestations" list' };
  }
  return { ok: true, entries: list.map(entryOf) };
}

function entryOf(item: unknown): AttestationEntry {
  if (typeof item !== 'object' || item === null) {
    return { ok: false, reason: 'the entry is not an object' };
  }
  const { bundle, bundle_url: url } = item as { bundle?: unknown; bundle_url?: unknown };
  if (typeof bundle === 'object' && bundle !== null && !Array.isArray(bundle)) {
    return { ok: true, bundle };
  }
  if (typeof bundle === 'string') {
    // Some clients hand the bundle over as JSON text; it is parsed, then checked as any other.
    try {
      return { ok: true, bundle: JSON.parse(bundle) as unknown };
    } catch {
      return { ok: false, reason: 'the bundle is a string that is not JSON' };
    }
  }
  if (typeof url === 'string') {
    // A bundle only behind a URL is not followed: the URL comes from the answer, and vakt
    // only reads what the API itself returns. The default API version inlines bundles.
    return { ok: false, reason: 'the entry has only a bundle_url and no inline bundle' };
  }
  return { ok: false, reason: 'the entry has no bundle' };
}
