import { templateHash } from '../../src/release/template.ts';
import type { Shop } from '../../src/shop/index.ts';
import type { KubeWorld } from './kube-world.ts';
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
