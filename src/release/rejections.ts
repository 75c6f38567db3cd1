import type { ReleaseGuardStatus } from './schema.ts';
import type { PodTemplate } from './template.ts';

/**
 * What a rejection is keyed by. A template hash alone is too narrow: touching one
 * annotation gives a new hash for the same leaking bytes, and a second probe run may
 * happen to miss a leak the first one caught. So a release is also rejected when it runs
 * the same images as one that leaked: the same digests (the same bytes, whatever else
 * changed), or the same image references at the same commit (a tag may move, so a tag
 * alone is not the same bytes; together with the commit it is the same build).
 */

export type Rejection = ReleaseGuardStatus['rejected'][number];

export interface ReleaseKey {
  templateHash: string;
  /** Every container's and init container's image, sorted. */
  images: string[];
  revision?: string;
}

interface Container {
  image?: unknown;
}

/** All images a template runs (containers, init and ephemeral containers), sorted. */
export function allImages(template: PodTemplate): string[] {
  const spec = (template.spec ?? {}) as Record<string, unknown>;
  const lists = ['initContainers', 'containers', 'ephemeralContainers'].map((field) =>
    Array.isArray(spec[field]) ? (spec[field] as Container[]) : [],
  );
  return lists
    .flat()
    .flatMap((c) => (typeof c?.image === 'string' ? [c.image] : []))
    .sort();
}

export function releaseKey(
  template: PodTemplate,
  templateHash: string,
  revision: string | undefined,
): ReleaseKey {
  return { templateHash, images: allImages(template), ...(revision ? { revision } : {}) };
}

const pinned = (image: string) => /@sha256:[0-9a-f]{64}$/.test(image);

function sameImages(a: readonly string[], b: readonly string[]): boolean {
  return a.length > 0 && a.length === b.length && a.every((image, i) => image === b[i]);
}

/** Why `release` counts as one that leaked before, or undefined when it does not. */
export function findRejection(
  rejected: readonly Rejection[],
  release: ReleaseKey,
): { rejection: Rejection; by: 'template' | 'digests' | 'images at commit' } | undefined {
  const byTemplate = rejected.find((r) => r.templateHash === release.templateHash);
  if (byTemplate) return { rejection: byTemplate, by: 'template' };
  for (const rejection of rejected) {
    if (!rejection.images || !sameImages(rejection.images, release.images)) continue;
    if (release.images.every(pinned)) return { rejection, by: 'digests' };
    if (rejection.revision && rejection.revision === release.revision) {
      return { rejection, by: 'images at commit' };
    }
  }
  return undefined;
}
