import type { ReleaseGuardStatus } from './schema.ts';
import type { PodTemplate } from './template.ts';

/**
 * What a rejection is keyed by. A template hash alone is too narrow: touching one
 * annotation gives a new hash for the same leaking bytes, and a second probe run may
 * happen to miss a leak the first one caught. So a release is also rejected when it runs
 * the same image digests as one that leaked (the same bytes, whatever else changed).
 * Releases name every image by digest (see approval.ts notPinned); a tag may move, so
 * images named by tag are never taken for the same bytes.
 */

export type Rejection = ReleaseGuardStatus['rejected'][number];

export interface ReleaseKey {
  templateHash: string;
  /** Every container's and init container's image, sorted. */
  images: string[];
}

interface Container {
  name?: unknown;
  image?: unknown;
}

/** Every container a template runs: init, ordinary and ephemeral. */
function containersOf(template: PodTemplate): Container[] {
  const spec = (template.spec ?? {}) as Record<string, unknown>;
  return ['initContainers', 'containers', 'ephemeralContainers'].flatMap((field) =>
    Array.isArray(spec[field]) ? (spec[field] as Container[]) : [],
  );
}

/** All images a template runs (containers, init and ephemeral containers), sorted. */
export function allImages(template: PodTemplate): string[] {
  return containersOf(template)
    .flatMap((c) => (typeof c?.image === 'string' ? [c.image] : []))
    .sort();
}

export function releaseKey(template: PodTemplate, templateHash: string): ReleaseKey {
  return { templateHash, images: allImages(template) };
}

/** Named by digest: the reference names one set of bytes, whatever a tag does later. */
export const pinned = (image: string) => /@sha256:[0-9a-f]{64}$/.test(image);

/** Containers (init containers too) whose image is not named by digest: "shop=shop:v2". */
export function unpinnedImages(template: PodTemplate): string[] {
  return containersOf(template)
    .filter((c) => typeof c?.image !== 'string' || !pinned(c.image))
    .map((c) => `${typeof c?.name === 'string' ? c.name : '?'}=${String(c?.image ?? '(none)')}`);
}

function sameImages(a: readonly string[], b: readonly string[]): boolean {
  return a.length > 0 && a.length === b.length && a.every((image, i) => image === b[i]);
}

/** Why `release` counts as one that leaked before, or undefined when it does not. */
export function findRejection(
  rejected: readonly Rejection[],
  release: ReleaseKey,
): { rejection: Rejection; by: 'template' | 'digests' } | undefined {
  const byTemplate = rejected.find((r) => r.templateHash === release.templateHash);
  if (byTemplate) return { rejection: byTemplate, by: 'template' };
  for (const rejection of rejected) {
    if (!rejection.images || !sameImages(rejection.images, release.images)) continue;
    if (release.images.every(pinned)) return { rejection, by: 'digests' };
  }
  return undefined;
}
