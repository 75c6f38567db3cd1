import { describe, expect, it } from 'vitest';
import { previousStable } from '../src/kube/previous-stable.ts';
import { relabel } from '../src/kube/stable.ts';
import { templateHash } from '../src/release/template.ts';

/** What a guard's `<name>-stable` says it serves, read back for a guard of the same name. */

const template = {
  metadata: { labels: { app: 'shop', team: 'web' }, annotations: { 'vakt.dev/revision': 'abc' } },
  spec: { containers: [{ name: 'shop', image: 'shop:1' }] },
};
const target = { spec: { selector: { matchLabels: { app: 'shop' } }, template } };

function stableOf(overrides: { labels?: Record<string, string>; image?: string } = {}) {
  const copy = relabel(structuredClone(template), ['app'], 'shop') as typeof template;
  if (overrides.image) copy.spec.containers[0] = { name: 'shop', image: overrides.image };
  return {
    metadata: {
      name: 'shop-stable',
      labels: overrides.labels ?? {
        'app.kubernetes.io/managed-by': 'vakt',
        'vakt.dev/guard': 'shop',
        'vakt.dev/role': 'stable',
      },
      annotations: {
        'vakt.dev/template-hash': templateHash(template),
        'vakt.dev/stripped-labels': 'app',
      },
    },
    spec: { replicas: 4, template: copy },
  };
}

describe('previousStable', () => {
  it('gives back the template vakt copied, labels as the target selects them', () => {
    expect(previousStable(stableOf(), target, 'shop')).toEqual({ template, replicas: 4 });
  });

  it('refuses a copy whose template changed after vakt wrote it', () => {
    expect(previousStable(stableOf({ image: 'evil:1' }), target, 'shop')).toBeUndefined();
  });

  it('refuses a Deployment without vakt’s mark for this guard', () => {
    expect(previousStable(stableOf({ labels: {} }), target, 'shop')).toBeUndefined();
    expect(previousStable(stableOf(), target, 'other')).toBeUndefined();
  });

  it('refuses when a dropped label cannot be put back', () => {
    expect(previousStable(stableOf(), null, 'shop')).toBeUndefined();
    const elsewhere = { spec: { selector: { matchLabels: { app: 'cart' } } } };
    expect(previousStable(stableOf(), elsewhere, 'shop')).toBeUndefined();
  });
});
