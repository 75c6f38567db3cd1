import { describe, expect, it } from 'vitest';
import { ApprovalSpec } from '../src/approval/schema.ts';
import { parseImageRef } from '../src/provenance/image-ref.ts';
import { loadTrustRoots, parseTrustRoots } from '../src/provenance/trust-roots.ts';

describe('image references', () => {
  it.each([
    [
      `ghcr.io/acme/shop@sha256:${'A'.repeat(64)}`,
      { ok: true, name: 'ghcr.io/acme/shop', digest: 'a'.repeat(64) },
    ],
    [`ghcr.io/acme/shop:v1@sha256:${'b'.repeat(64)}`, { ok: true, name: 'ghcr.io/acme/shop:v1' }],
    ['ghcr.io/acme/shop:v1', { ok: false }],
    [`ghcr.io/acme/shop@sha256:${'b'.repeat(63)}`, { ok: false }],
    [`ghcr.io/acme/shop@sha512:${'b'.repeat(64)}`, { ok: false }],
  ])('%s', (ref, expected) => {
    expect(parseImageRef(ref)).toMatchObject(expected);
  });
});

describe('trusted roots', () => {
  it('ships the public-good root, which requires a log entry and an SCT', async () => {
    const [root, ...rest] = await loadTrustRoots();
    expect(rest).toEqual([]);
    expect(root?.name).toBe('fulcio.sigstore.dev');
    expect(root?.thresholds).toEqual({
      tlogThreshold: 1,
      ctlogThreshold: 1,
      timestampThreshold: 1,
    });
  });

  it('reads JSON Lines of several roots', async () => {
    const one = JSON.stringify(
      (await import('../src/provenance/trusted-roots/public-good.json', { with: { type: 'json' } }))
        .default,
    );
    expect(parseTrustRoots(`${one}\n${one}\n`, 'roots.jsonl')).toHaveLength(2);
  });

  it.each([
    ['not json', /roots.json: not a trusted root/],
    [
      '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}',
      /no certificate authority/,
    ],
    ['[]', /mediaType must be/],
  ])('refuses %s', (text, message) => {
    expect(() => parseTrustRoots(text, 'roots.json')).toThrow(message);
  });

  it('names a file it cannot read', async () => {
    await expect(loadTrustRoots('/nonexistent/root.json')).rejects.toThrow(
      '--trusted-root: cannot read /nonexistent/root.json',
    );
  });
});

describe('approval.provenance', () => {
  it('is off, or a workflow with refs defaulting to the main branch', () => {
    expect(ApprovalSpec.parse({ provenance: 'off' }).provenance).toBe('off');
    expect(
      ApprovalSpec.parse({ provenance: { workflow: '.github/workflows/release.yml' } }).provenance,
    ).toEqual({
      workflow: '.github/workflows/release.yml',
      refs: ['refs/heads/main'],
      org: false,
    });
    expect(ApprovalSpec.parse({}).provenance).toBeUndefined();
  });

  it.each([
    [{ workflow: 'release.yml' }],
    [{ workflow: '.github/workflows/release.yml', refs: ['main'] }],
    [{ workflow: '.github/workflows/release.yml', refs: [] }],
    [{ workflow: '.github/workflows/release.yml', extra: 1 }],
    ['on'],
  ])('refuses %j', (provenance) => {
    expect(ApprovalSpec.safeParse({ provenance }).success).toBe(false);
  });
});
