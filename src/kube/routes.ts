import type { KubeConfig } from '@kubernetes/client-node';
import type { Stop } from '../operator/ports.ts';
import type { UserRoute } from '../release/state.ts';
import type { KubeContext, RawObject } from './context.ts';
import { statusOf, withRetry } from './errors.ts';
import { type ListWatchOptions, listWatch } from './watch.ts';

/**
 * Ingresses and Gateway API HTTPRoutes: how users' traffic enters a namespace. One whose
 * backend is `<guard>-canary` sends users to a candidate nobody has probed, so a guard
 * reads them before it scales a candidate up. HTTPRoute is a CRD that many clusters do
 * not have: a 404 on its API group means there are none.
 */

const INGRESSES = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' } as const;
const HTTP_ROUTES = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  plural: 'httproutes',
} as const;

/** As observe.ts lists Services: once per ROUTE_LIST_MS for all guards of a namespace. */
const ROUTE_LIST_MS = 2_000;

export interface RouteObjects {
  ingresses: RawObject[];
  httpRoutes: RawObject[];
}

/** The namespace's Ingresses and HTTPRoutes, from a list at most ROUTE_LIST_MS old unless fresh. */
export function listRoutes(
  ctx: KubeContext,
  namespace: string,
  fresh: boolean,
): Promise<RouteObjects> {
  const now = performance.now();
  const cached = ctx.routeLists.get(namespace);
  if (cached && !fresh && now - cached.at < ROUTE_LIST_MS) return cached.items;
  const list = (kind: typeof INGRESSES | typeof HTTP_ROUTES, optional: boolean) =>
    withRetry(
      async () =>
        (
          (await ctx.custom.listNamespacedCustomObject({ ...kind, namespace })) as {
            items?: RawObject[];
          }
        ).items ?? [],
      ctx.retry,
    ).catch((error: unknown) => {
      if (optional && statusOf(error) === 404) return [];
      throw error;
    });
  const items = Promise.all([list(INGRESSES, false), list(HTTP_ROUTES, true)]).then(
    ([ingresses, httpRoutes]) => ({ ingresses, httpRoutes }),
  );
  ctx.routeLists.set(namespace, { at: now, items });
  items.catch(() => {
    if (ctx.routeLists.get(namespace)?.items === items) ctx.routeLists.delete(namespace);
  });
  return items;
}

/** The Ingress paths and HTTPRoute rules that send traffic to Service `service`. */
export function routesTo(routes: RouteObjects, service: string, namespace: string): UserRoute[] {
  const found: UserRoute[] = [];
  for (const ingress of routes.ingresses) {
    const name = ingress.metadata?.name ?? '';
    const spec = (ingress.spec ?? {}) as IngressSpec;
    if (spec.defaultBackend?.service?.name === service) {
      found.push({ kind: 'Ingress', name, path: '(default backend)' });
    }
    for (const rule of spec.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        if (path.backend?.service?.name !== service) continue;
        found.push({ kind: 'Ingress', name, path: `${rule.host ?? '*'}${path.path ?? '/'}` });
      }
    }
  }
  for (const route of routes.httpRoutes) {
    const name = route.metadata?.name ?? '';
    const spec = (route.spec ?? {}) as HttpRouteSpec;
    for (const rule of spec.rules ?? []) {
      const hit = (rule.backendRefs ?? []).some(
        (ref) =>
          ref.name === service &&
          (ref.group ?? '') === '' &&
          (ref.kind ?? 'Service') === 'Service' &&
          (ref.namespace ?? route.metadata?.namespace ?? namespace) === namespace,
      );
      if (!hit) continue;
      const paths = (rule.matches ?? []).map((m) => m.path?.value ?? '/');
      found.push({ kind: 'HTTPRoute', name, path: paths.length > 0 ? paths.join(', ') : '/' });
    }
  }
  return found;
}

interface IngressBackend {
  service?: { name?: string };
}

interface IngressSpec {
  defaultBackend?: IngressBackend;
  rules?: { host?: string; http?: { paths?: { path?: string; backend?: IngressBackend }[] } }[];
}

interface HttpRouteSpec {
  rules?: {
    matches?: { path?: { value?: string } }[];
    backendRefs?: { group?: string; kind?: string; name?: string; namespace?: string }[];
  }[];
}

type WatchSettings = Pick<ListWatchOptions, 'log' | 'baseMs' | 'maxMs'>;

/**
 * Any change of an Ingress or HTTPRoute: the namespace's cached list is dropped (so the
 * next pass reads the change) and `onChange` hears which namespace.
 */
export async function watchRoutes(
  kc: KubeConfig,
  ctx: KubeContext,
  namespace: string | undefined,
  onChange: (namespace: string) => void,
  settings: WatchSettings,
): Promise<Stop> {
  const changed = (ref: { namespace: string }) => {
    ctx.routeLists.delete(ref.namespace);
    onChange(ref.namespace);
  };
  const [ingresses, httpRoutes] = await Promise.all([
    listWatch({ kc, ...INGRESSES, namespace, onChange: changed, ...settings }),
    listWatch({ kc, ...HTTP_ROUTES, namespace, optional: true, onChange: changed, ...settings }),
  ]);
  const stop = async () => {
    await Promise.all([ingresses(), httpRoutes()]);
  };
  return Object.assign(stop, { synced: () => ingresses.synced() && httpRoutes.synced() });
}
