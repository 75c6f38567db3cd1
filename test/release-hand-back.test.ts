import { describe, expect, it } from 'vitest';
import { handBack } from '../src/release/hand-back.ts';
import type { ReleaseGuardStatus } from '../src/release/schema.ts';
import { type PodTemplate, templateHash } from '../src/release/template.ts';

const tpl = (image: string): PodTemplate => ({ spec: { containers: [{ name: 'app', image }] } });
const STABLE = tpl('shop:1');

function status(adopted = true): ReleaseGuardStatus {
  return {
    phase: 'Idle',
    rejected: [],
    decisions: [],
    conditions: [],
    ...(adopted ? { adoptedAt: '2026-11-20T10:00:00Z' } : {}),
    stable: { templateHash: templateHash(STABLE), template: STABLE, replicas: 4 },
  };
}

const target = (template: PodTemplate, replicas = 0) => ({
  target: { template, annotations: {}, replicas, ready: true },
});

describe('handing a deleted guard back', () => {
  it('gives the target its replicas back when it runs the stable release', () => {
    const plan = handBack('shop', 'shop-app', status(), target(STABLE));
    expect(plan.scaleTarget).toBe(4);
    expect(plan.message).toMatch(/runs the stable release at 4 replicas again/);
    expect(plan.message).toMatch(
      /shop-stable and Services shop, shop-canary stay and keep serving/,
    );
  });

  it('keeps a pending or rejected template at zero, and stable serving', () => {
    const plan = handBack('shop', 'shop-app', status(), target(tpl('shop:2-leaky')));
    expect(plan.scaleTarget).toBeUndefined();
    expect(plan.message).toMatch(/not the stable release, so it stays at zero/);
  });

  it('takes a canary under probe down: it was never probed to the end', () => {
    const plan = handBack('shop', 'shop-app', status(), target(tpl('shop:2'), 1));
    expect(plan.scaleTarget).toBe(0);
  });

  it('scales nothing down and nothing up that already has its replicas', () => {
    expect(handBack('shop', 'shop-app', status(), target(STABLE, 6)).scaleTarget).toBeUndefined();
  });

  it('has nothing to hand back before adoption, or without a target', () => {
    expect(handBack('shop', 'shop-app', status(false), target(STABLE)).scaleTarget).toBeUndefined();
    expect(handBack('shop', 'shop-app', undefined, { target: null }).message).toMatch(
      /nothing was taken over/,
    );
    expect(handBack('shop', 'shop-app', status(), { target: null }).message).toMatch(/is gone/);
  });
});
