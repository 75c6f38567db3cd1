import { createHash } from 'node:crypto';

/**
 * A pod template (Deployment spec.template) as plain JSON. vakt never interprets most of
 * it; it hashes it, copies it and reads the images and annotations.
 */
export type PodTemplate = Record<string, unknown>;

/** JSON with object keys sorted at every depth, so equal templates give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Identifies a release: 16 hex digits of the SHA-256 of the canonical template. Key order
 * and absent fields do not change it; any value that reaches the pods does.
 */
export function templateHash(template: PodTemplate): string {
  return createHash('sha256').update(canonicalJson(template)).digest('hex').slice(0, 16);
}

interface Container {
  name?: unknown;
  image?: unknown;
}

/** Images of the template's containers, in order (init containers excluded). */
export function imagesOf(template: PodTemplate): string[] {
  const spec = template.spec as { containers?: unknown } | undefined;
  const containers = Array.isArray(spec?.containers) ? (spec.containers as Container[]) : [];
  return containers.flatMap((c) => (typeof c?.image === 'string' ? [c.image] : []));
}

/** The template's own annotations (metadata.annotations), string values only. */
export function templateAnnotations(template: PodTemplate): Record<string, string> {
  const metadata = template.metadata as { annotations?: unknown } | undefined;
  const annotations = metadata?.annotations;
  if (typeof annotations !== 'object' || annotations === null) return {};
  return Object.fromEntries(
    Object.entries(annotations).filter((entry): entry is [string, string] => {
      return typeof entry[1] === 'string';
    }),
  );
}
