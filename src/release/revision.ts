import { DEFAULT_REVISION_ANNOTATION, type RevisionSource, SHA_PLACEHOLDER } from './schema.ts';
import { imagesOf, type PodTemplate, templateAnnotations } from './template.ts';

/**
 * Finds the source commit of a pod template, which the two-person gate checks. Fail
 * closed: anything that is not clearly a commit SHA is a reason, never a guess.
 */

export type RevisionResult =
  | { ok: true; sha: string; from: 'annotation' | 'imageTag' }
  | { ok: false; reason: string };

const SHA = /^[0-9a-f]{7,40}$/;

/** The tag of an image reference: `registry:5000/app:v1@sha256:...` has tag `v1`. */
export function imageTag(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  return colon >= 0 ? lastSegment.slice(colon + 1) : undefined;
}

function checkSha(value: string, where: string): RevisionResult {
  const sha = value.trim().toLowerCase();
  if (!SHA.test(sha)) {
    return { ok: false, reason: `${where} is ${JSON.stringify(value)}, not a commit SHA` };
  }
  return { ok: true, sha, from: where.startsWith('annotation') ? 'annotation' : 'imageTag' };
}

/**
 * The part of `tag` where `format` has `{sha}`, or undefined when the literal text around
 * it does not match. Plain string comparison: linear in the tag's length, whatever the
 * format, so a tag can never stall the operator.
 */
export function shaFromTag(tag: string, format: string): string | undefined {
  const [prefix = '', suffix = ''] = format.split(SHA_PLACEHOLDER);
  if (tag.length < prefix.length + suffix.length) return undefined;
  if (!tag.startsWith(prefix) || !tag.endsWith(suffix)) return undefined;
  return tag.slice(prefix.length, tag.length - suffix.length);
}

/**
 * The commit a template was built from: the annotation named by `source` (on the pod
 * template first, then on the Deployment), or the `{sha}` of `source.imageTagFormat` in
 * the first container image whose tag has that format.
 */
export function computeRevision(
  template: PodTemplate,
  deploymentAnnotations: Record<string, string>,
  source: RevisionSource | undefined,
): RevisionResult {
  const format = source?.imageTagFormat;
  if (format !== undefined) {
    const images = imagesOf(template);
    for (const image of images) {
      const tag = imageTag(image);
      const sha = tag === undefined ? undefined : shaFromTag(tag, format);
      if (sha !== undefined) return checkSha(sha, `image tag of ${image}`);
    }
    const list = images.length > 0 ? images.join(', ') : 'no container images';
    return { ok: false, reason: `no image tag has the format ${format} (${list})` };
  }
  const name = source?.annotation ?? DEFAULT_REVISION_ANNOTATION;
  const value = templateAnnotations(template)[name] ?? deploymentAnnotations[name];
  if (value === undefined) {
    return {
      ok: false,
      reason: `annotation ${name} is missing on the pod template and the Deployment`,
    };
  }
  return checkSha(value, `annotation ${name}`);
}
