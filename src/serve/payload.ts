import { z } from 'zod';
import { parseImageRef } from '../provenance/image-ref.ts';

/**
 * What Flagger POSTs to every webhook (CanaryWebhookPayload in Flagger's v1beta1 API):
 * the canary's name and namespace, its phase, a checksum of the canary's tracked spec,
 * and the webhook's own `metadata`, string to string, as the Canary spec gives it.
 * Flagger sends no webhook type: the URL path says which hook is calling.
 */
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export const FlaggerPayload = z.object({
  name: z.string().regex(NAME, 'a Kubernetes object name').max(253),
  namespace: z.string().regex(NAME, 'a Kubernetes namespace').max(63),
  phase: z.string().max(64).optional(),
  checksum: z.string().max(256).optional(),
  metadata: z.record(z.string(), z.string().max(4096)).optional(),
});
export type FlaggerPayload = z.infer<typeof FlaggerPayload>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The payload, or one line naming the first field that is wrong. */
export function parsePayload(body: unknown): Parsed<FlaggerPayload> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, reason: 'the payload is not a JSON object' };
  }
  const parsed = FlaggerPayload.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || 'payload';
  const present = issue?.path.length
    ? issue.path.reduce<unknown>(
        (node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key],
        body,
      )
    : body;
  const what = present === undefined ? 'is missing' : `is wrong (${issue?.message})`;
  return { ok: false, reason: `payload field "${field}" ${what}` };
}

/** Which revision a gate hook checks: a commit, an image pinned by digest, or both. */
export interface Revision {
  sha?: string;
  image?: string;
}

/**
 * The revision is named by the webhook's metadata (`sha`, `image`), because Flagger sends
 * nothing else about what is being released and vakt serve reads nothing from the
 * cluster. Both may be given: the image's provenance must then name that commit.
 */
export function revisionOf(metadata: Record<string, string> | undefined): Parsed<Revision> {
  const sha = metadata?.sha?.trim();
  const image = metadata?.image?.trim();
  if (!sha && !image) {
    return {
      ok: false,
      reason:
        'the webhook metadata names no revision: give metadata.image (REF@sha256:DIGEST) or metadata.sha (the deployed commit)',
    };
  }
  if (sha !== undefined && !/^[0-9a-fA-F]{7,40}$/.test(sha)) {
    return { ok: false, reason: `metadata.sha expects 7 to 40 hex digits, got "${sha}"` };
  }
  if (image !== undefined) {
    const ref = parseImageRef(image);
    if (!ref.ok) return { ok: false, reason: ref.reason.replace('--image', 'metadata.image') };
  }
  return {
    ok: true,
    value: {
      ...(sha !== undefined && { sha: sha.toLowerCase() }),
      ...(image !== undefined && { image }),
    },
  };
}
