/**
 * An image reference pinned by digest, e.g. "ghcr.io/acme/shop@sha256:<64 hex>". A tag
 * can be moved to other bytes after approval, so only a digest names what runs.
 */
export type ImageRef = { ok: true; name: string; digest: string } | { ok: false; reason: string };

const PINNED = /^([^\s@]+)@sha256:([0-9a-fA-F]{64})$/;

export function parseImageRef(ref: string): ImageRef {
  const match = PINNED.exec(ref.trim());
  if (match?.[1] && match[2]) {
    return { ok: true, name: match[1], digest: match[2].toLowerCase() };
  }
  const name = ref.trim().split('@')[0] || 'IMAGE';
  return {
    ok: false,
    reason:
      `--image "${ref}" is not pinned by digest: pass ${name}@sha256:<64 hex digits> ` +
      `(e.g. from \`docker buildx imagetools inspect ${name}\` or the build's digest output)`,
  };
}
