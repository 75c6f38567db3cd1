import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type Shop, type ShopOptions, startShop } from '../../src/shop/index.ts';
import { type KubeWorld, startKubeWorld, type WorldSetup } from './kube-world.ts';
import { github, mockGitHub, SHA, template } from './operator-fixtures.ts';
import { type ChartGrants, checkWorld, renderChartGrants } from './world-checks.ts';

/**
 * What every operator test file against the fake API server sets up the same way: the
 * sample shops it probes (started once), GitHub as nock answers it (fresh per test),
 * and, after each test, the world closed and (with `checkGrants`) every request the
 * operator made checked against the chart's RBAC.
 */
export interface OperatorSuite<Name extends string> {
  shops: Record<Name, Shop>;
  /** Set by the test; closed and checked after it. */
  world: KubeWorld | undefined;
  /**
   * A world for this test, closed and checked after it: the target at v1 (the default)
   * unless `setup` names another template.
   */
  start(
    setup: Omit<WorldSetup, 'template'> & Partial<Pick<WorldSetup, 'template'>>,
  ): Promise<KubeWorld>;
}

export function operatorSuite<Name extends string>(
  shopOptions: Record<Name, ShopOptions>,
  options: { checkGrants?: boolean } = {},
): OperatorSuite<Name> {
  const suite: OperatorSuite<Name> = {
    shops: {} as Record<Name, Shop>,
    world: undefined,
    async start(setup) {
      suite.world = await startKubeWorld({ template: template(SHA.v1, 'v1'), ...setup });
      return suite.world;
    },
  };
  let grants: ChartGrants | undefined;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    const names = Object.keys(shopOptions) as Name[];
    const started = await Promise.all(names.map((name) => startShop(shopOptions[name])));
    suite.shops = Object.fromEntries(names.map((name, i) => [name, started[i]])) as Record<
      Name,
      Shop
    >;
    if (options.checkGrants) grants = await renderChartGrants();
  });

  afterAll(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    await Promise.all(Object.values<Shop>(suite.shops).map((s) => s.close()));
  });

  beforeEach(() => {
    github.reset();
    mockGitHub();
  });

  afterEach(async () => {
    const world = suite.world;
    suite.world = undefined;
    // Stopping waits for the commit statuses under way; GitHub must still answer them.
    await world?.close();
    nock.cleanAll();
    if (world && grants) checkWorld(world, grants);
  });

  return suite;
}
