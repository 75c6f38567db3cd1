import { expect } from 'vitest';
import { allows, type ResourceRequest, renderGrants } from './chart-rbac.ts';
import type { RequestRecord } from './fake-kube/index.ts';
import { GITHUB_SECRET, type KubeWorld, OPERATOR_NS } from './kube-world.ts';
import { GITHUB_TOKEN } from './operator-fixtures.ts';
import { shopSecrets } from './shop-probe.ts';

/**
 * What every operator test against the fake API server checks once it is done: the
 * Services selected the right pods, every request was one the chart's RBAC grants, and no
 * credential reached a log, an Event or a status.
 */

export type ChartGrants = { sets: string[]; grants: Awaited<ReturnType<typeof renderGrants>> }[];

/** The chart's RBAC with its defaults, and with Secret and ConfigMap names pinned. */
export function renderChartGrants(): Promise<ChartGrants> {
  const variants = [
    [`github.existingSecret=${GITHUB_SECRET}`],
    [
      `github.existingSecret=${GITHUB_SECRET}`,
      'rbac.secretNames={shop-tenants}',
      'rbac.configMapNames={shop-policy}',
    ],
  ];
  return Promise.all(
    variants.map(async (sets) => ({ sets, grants: await renderGrants(OPERATOR_NS, sets) })),
  );
}

export function checkWorld(world: KubeWorld, grants: ChartGrants): void {
  expect(world.problems, 'Services that select the wrong pods').toEqual([]);
  const used = world.kube.requests.all.map(asResourceRequest);
  for (const { sets, grants: granted } of grants) {
    const denied = used.filter((r) => !allows(granted, r));
    expect(denied, `denied by the chart with --set ${sets.join(' --set ')}`).toEqual([]);
  }
  const events = [
    ...world.kube.store.list('events.k8s.io/v1/Event'),
    ...world.kube.store.list('v1/Event'),
  ];
  const statuses = world.kube.store.list('ReleaseGuard').map((g) => g.status);
  const places = {
    logs: world.logs.join(''),
    events: JSON.stringify(events),
    status: JSON.stringify(statuses),
  };
  for (const secret of [...shopSecrets(), GITHUB_TOKEN]) {
    for (const [where, text] of Object.entries(places)) {
      expect(text.includes(secret), `a credential in ${where}`).toBe(false);
    }
  }
}

export function asResourceRequest(r: RequestRecord): ResourceRequest {
  return {
    group: r.kind.group,
    resource: r.subresource ? `${r.kind.plural}/${r.subresource}` : r.kind.plural,
    verb: r.verb,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    ...(r.name ? { name: r.name } : {}),
  };
}
