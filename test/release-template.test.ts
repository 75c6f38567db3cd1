import { describe, expect, it } from 'vitest';
import { computeRevision, imageTag, shaFromTag } from '../src/release/revision.ts';
import { canonicalJson, templateHash } from '../src/release/template.ts';
import { validateConfigMapPolicy } from '../src/release/validate.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('templateHash', () => {
  const a = {
    metadata: { labels: { app: 'shop', tier: 'web' } },
    spec: { containers: [{ name: 'shop', image: 'shop:1', env: [{ name: 'A', value: '1' }] }] },
  };

  it('ignores key order and absent fields', () => {
    const reordered = {
      spec: { containers: [{ env: [{ value: '1', name: 'A' }], image: 'shop:1', name: 'shop' }] },
      metadata: { labels: { tier: 'web', app: 'shop' }, annotations: undefined },
    };
    expect(templateHash(reordered)).toBe(templateHash(a));
    expect(templateHash(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(templateHash(a)).toBe(templateHash(structuredClone(a)));
  });

  it('changes with any value the pods see, and with array order', () => {
    const image = structuredClone(a);
    image.spec.containers[0] = { ...a.spec.containers[0], image: 'shop:2' } as never;
    expect(templateHash(image)).not.toBe(templateHash(a));
    const env = structuredClone(a);
    env.spec.containers[0]?.env.push({ name: 'B', value: '2' });
    expect(templateHash(env)).not.toBe(templateHash(a));
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });
});

describe('computeRevision', () => {
  const tpl = (annotations: Record<string, string>, image = 'ghcr.io/acme/shop:v1') => ({
    metadata: { annotations },
    spec: { containers: [{ name: 'shop', image }] },
  });
  const cases: {
    name: string;
    template: Record<string, unknown>;
    deployment?: Record<string, string>;
    source?: { annotation?: string; imageTagFormat?: string };
    sha?: string;
    reason?: RegExp;
  }[] = [
    {
      name: 'default annotation on the pod template',
      template: tpl({ 'vakt.dev/revision': SHA }),
      sha: SHA,
    },
    {
      name: 'default annotation on the Deployment',
      template: tpl({}),
      deployment: { 'vakt.dev/revision': SHA.toUpperCase() },
      sha: SHA,
    },
    {
      name: 'a named annotation',
      template: tpl({ 'acme.io/commit': 'abc1234' }),
      source: { annotation: 'acme.io/commit' },
      sha: 'abc1234',
    },
    {
      name: 'missing annotation',
      template: tpl({}),
      reason: /annotation vakt\.dev\/revision is missing/,
    },
    {
      name: 'an annotation that is no SHA',
      template: tpl({ 'vakt.dev/revision': 'main' }),
      reason: /not a commit SHA/,
    },
    {
      name: 'the sha group of the image tag',
      template: tpl({}, `registry.local:5000/acme/shop:main-${SHA}@sha256:${'f'.repeat(64)}`),
      source: { imageTagFormat: 'main-{sha}' },
      sha: SHA,
    },
    {
      name: 'the sha between a prefix and a suffix',
      template: tpl({}, `shop:release-${SHA}-amd64`),
      source: { imageTagFormat: 'release-{sha}-amd64' },
      sha: SHA,
    },
    {
      name: 'a tag whose {sha} part is no SHA',
      template: tpl({}, 'shop:main-latest'),
      source: { imageTagFormat: 'main-{sha}' },
      reason: /image tag of shop:main-latest is "latest", not a commit SHA/,
    },
    {
      name: 'no tag matching the pattern',
      template: tpl({}, 'shop:latest'),
      source: { imageTagFormat: 'main-{sha}' },
      reason: /no image tag has the format main-\{sha\} \(shop:latest\)/,
    },
    {
      name: 'an image without a tag',
      template: tpl({}, 'registry.local:5000/shop'),
      source: { imageTagFormat: '{sha}' },
      reason: /no image tag has the format/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = computeRevision(c.template, c.deployment ?? {}, c.source);
      if (c.sha) expect(result).toMatchObject({ ok: true, sha: c.sha });
      else
        expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(c.reason ?? /./) });
    });
  }

  it('takes the prefix and suffix literally: a tag shorter than both, or overlapping them, does not match', () => {
    expect(shaFromTag('main-abc1234', 'main-{sha}')).toBe('abc1234');
    expect(shaFromTag('ab', 'ab{sha}ab')).toBeUndefined();
    expect(shaFromTag('aba', 'ab{sha}ba')).toBeUndefined();
    expect(shaFromTag('main.abc', 'main-{sha}')).toBeUndefined();
  });

  it('reads the tag of image references with registries, ports and digests', () => {
    expect(imageTag('shop:v1')).toBe('v1');
    expect(imageTag('registry.local:5000/acme/shop')).toBeUndefined();
    expect(imageTag(`registry.local:5000/shop:v2@sha256:${'0'.repeat(64)}`)).toBe('v2');
  });
});

describe('validateConfigMapPolicy', () => {
  it('reports the line and the field of a bad policy in the ConfigMap key', () => {
    const text = 'apiVersion: vakt.dev/v1alpha1\nkind: Policy\nprobe:\n  tenants: []\n';
    const result = validateConfigMapPolicy(text, { name: 'shop-policy', key: 'policy.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]?.path).toBe('spec.policy.configMapRef');
    expect(result.problems.map((p) => p.message).join('\n')).toMatch(
      /configmap\/shop-policy\[policy\.yaml\]:\d+:\d+ probe\.tenants/,
    );
  });

  it('needs a probe section and credentials from the Secret', () => {
    const noProbe = validateConfigMapPolicy('apiVersion: vakt.dev/v1alpha1\nkind: Policy\n', {
      name: 'p',
      key: 'k',
    });
    expect(noProbe.ok ? [] : noProbe.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('needs a probe section'),
    ]);
  });
});
