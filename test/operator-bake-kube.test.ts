import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { templateHash } from '../src/release/template.ts';
import { type KubeWorld, startKubeWorld } from './support/kube-world.ts';
import { offline } from './support/offline.ts';
import { github, image, mockGitHub, SHA, spec, template } from './support/operator-fixtures.ts';
import { shopEnv } from './support/shop-probe.ts';
import { shopsPerTest } from './support/shops.ts';

/**
 * The end of a bake through the real Kubernetes adapter and the fake API server: the bake
 * time running out is not enough, a bake run has to pass (operator-kube.test.ts has the
 * rest of the release flow).
 */

offline({ loopback: true });
const startShop = shopsPerTest();
let world: KubeWorld | undefined;

beforeEach(() => {
  github.reset();
  mockGitHub();
});

afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('operator: the end of a bake', () => {
  it('keeps baking past the bake time until a bake run passes, then posts vakt/probe success', async () => {
    const [v1, canary] = await Promise.all([
      startShop({ version: 'v1' }),
      startShop({ version: 'v8' }),
    ]);
    // Canary runs go to probe.target; bake runs go through Service shop to the pods of v8,
    // which have no shop behind them yet: every bake run ends inconclusive.
    world = await startKubeWorld({
      spec: spec({ bakeTime: '1s', probe: { guardInterval: '1s', target: canary.url } }),
      template: template(SHA.v1, 'v1'),
      tenants: shopEnv(),
      urls: [[image('v1'), v1.url]],
    });
    const w = world;
    w.start();
    await w.waitFor('adoption', () => w.status()?.phase === 'Idle');
    github.approvers.set(SHA.v8, ['bob', 'carol']);
    const v8 = template(SHA.v8, 'v8');
    w.applyDeployment(v8, 3);
    await w.waitFor(
      'the bake time over without a passing bake run',
      () => /last run inconclusive/.test(w.status()?.message ?? ''),
      30_000,
    );
    expect(w.status()).toMatchObject({
      phase: 'Baking',
      stable: { templateHash: templateHash(v8) },
      bake: { templateHash: templateHash(v8), passedRuns: 0 },
    });
    expect(w.status()?.message).toMatch(
      /bake time over, but no bake run has completed with a pass yet/,
    );
    expect(w.status()?.conditions).toContainEqual(
      expect.objectContaining({
        type: 'ProbesPassing',
        status: 'Unknown',
        reason: 'BakeNotPassed',
      }),
    );
    expect(w.events('Baked')).toEqual([]);
    expect(github.statusesOf(SHA.v8, 'vakt/probe')).toEqual([]);

    // The pods answer now: the next bake run passes and ends the bake.
    w.urls.set(image('v8'), canary.url);
    await w.waitFor('the end of the bake', () => w.status()?.phase === 'Idle', 30_000);
    expect(w.status()?.bake?.passedRuns).toBeGreaterThanOrEqual(1);
    expect(w.events('BakeExtended')).toHaveLength(1);
    expect(w.events('Baked')).toHaveLength(1);
    await w.waitFor(
      'the probe success status',
      () => github.statusesOf(SHA.v8, 'vakt/probe').length > 0,
    );
    expect(github.statusesOf(SHA.v8, 'vakt/probe')).toEqual([['vakt/probe', 'success']]);
  });
});
