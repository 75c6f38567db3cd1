import type { Operator } from '../../src/operator/operator.ts';
import { templateHash } from '../../src/release/template.ts';
import type { Shop } from '../../src/shop/index.ts';
import { failStatusWrites, type KubeWorld, type StoreWrite, specOf } from './kube-world.ts';
import { github, image, template } from './operator-fixtures.ts';

/**
 * Releases as the operator tests make them against the fake API server: the image tags
 * they release, the sample shop behind each, and a release approved on GitHub.
 */

/** The sample shops behind the released images, by the part each plays. */
export interface ReleaseShops {
  stable: Shop;
  candidate: Shop;
  slow: Shop;
  leaky: Shop;
}

/** v1 on the stable shop, v2 and v4 on a clean candidate, v6 on a slow one, leak on a leaky one. */
export function releaseUrls(shops: ReleaseShops): [string, string][] {
  return [
    [image('v1'), shops.stable.url],
    [image('v2'), shops.candidate.url],
    [image('v4'), shops.candidate.url],
    [image('v6'), shops.slow.url],
    [image('leak'), shops.leaky.url],
  ];
}

/** A new template on the target, approved by `approvers` on GitHub; returns its hash. */
export function release(
  world: KubeWorld,
  sha: string,
  tag: string,
  approvers: string[],
  replicas = 3,
): string {
  github.approvers.set(sha, approvers);
  const tpl = template(sha, tag);
  world.applyDeployment(tpl, replicas);
  return templateHash(tpl);
}

/** The write that scaled the target from `from` replicas to zero: a revert. */
export function scaleDownFrom(world: KubeWorld, from: number): StoreWrite | undefined {
  const target = world.writes.filter((x) => x.kind === 'Deployment' && x.name === 'shop');
  return target.find(
    (x, i) => specOf(x.object).replicas === 0 && specOf(target[i - 1]?.object).replicas === from,
  );
}

/**
 * A leaking release reverted on the Deployment by `operator`, which is then stopped before
 * any status write could record it (they all fail): the crash window the rejection mark
 * covers. Returns the leaking template's hash.
 */
export async function revertThenCrash(
  world: KubeWorld,
  operator: Operator,
  leak: { sha: string; approvers: string[] },
): Promise<string> {
  failStatusWrites(world);
  const hash = release(world, leak.sha, 'leak', leak.approvers);
  await world.waitFor('the revert on the Deployment', () => scaleDownFrom(world, 1) !== undefined);
  await operator.stop();
  return hash;
}
