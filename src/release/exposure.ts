import type { Context } from './context.ts';
import type { ReleaseGuardStatus } from './schema.ts';
import type { Observed, UserRoute } from './state.ts';
import type { PodTemplate } from './template.ts';

/**
 * Users must reach a guarded app only through `<name>` (stable); the candidate only
 * through `<name>-canary` (probes). Another Service selecting the target's pods breaks
 * both: at adoption it loses its endpoints when the target goes to zero, and during a
 * release it sends its users to a candidate nobody has probed yet. So does an Ingress or
 * HTTPRoute whose backend is `<name>-canary`.
 */

/**
 * Users' Services are not watched (Ingresses and HTTPRoutes are): a guard waiting on one
 * looks again this often.
 */
export const EXPOSURE_RECHECK_MS = 15_000;

/**
 * Why the guard must wait, or undefined when nothing but vakt's Services reaches the
 * target's pods. Routes to `<name>-canary` matter only for a release: before adoption
 * that Service serves the target, which serves users anyway.
 */
export function exposedMessage(ctx: Context, when: 'adopt' | 'release'): string | undefined {
  const routes = when === 'release' ? (ctx.observed.canaryRoutes ?? []) : [];
  const services = ctx.observed.exposedBy ?? [];
  const routed = routesMessage(ctx, routes);
  if (services.length === 0) return routed;
  const selected = servicesMessage(ctx, services, when);
  return routed ? `${routed}; ${selected}` : selected;
}

function routesMessage(ctx: Context, routes: UserRoute[]): string | undefined {
  if (routes.length === 0) return undefined;
  const which = routes.map((r) => `${r.kind} ${r.name} (${r.path})`).join(', ');
  const verb = routes.length === 1 ? 'sends' : 'send';
  return `${which} ${verb} users to Service ${ctx.name}-canary: they would meet a release nobody has probed; the candidate stays at zero until the backend is Service ${ctx.name}`;
}

function servicesMessage(ctx: Context, services: string[], when: 'adopt' | 'release'): string {
  const target = ctx.spec.targetRef.name;
  const which =
    services.length === 1
      ? `Service ${services[0]} selects`
      : `Services ${services.join(', ')} select`;
  const fix = `point them at Service ${ctx.name} (selector vakt.dev/guard=${ctx.name}, vakt.dev/role=stable) or change their selector`;
  return when === 'adopt'
    ? `${which} the pods of Deployment ${target}, which vakt scales to zero once it takes over: ${fix}`
    : `${which} the candidate's pods: its users would meet a release nobody has probed; the candidate stays at zero until you ${fix}`;
}

/**
 * status.candidateLabels: the labels the target's template gives the candidate's pods, so
 * that admission policy -candidate-services can refuse a Service selecting them before it
 * is stored (the runtime hold above comes after). Only from adoption on: before, the
 * target serves users, and their Services select it until they move to `<name>`. Kept
 * while the target is not seen (deleted, or the spec unreadable): one created again with
 * these labels is the candidate again.
 */
export function noteCandidateLabels(status: ReleaseGuardStatus, observed: Observed): void {
  if (!status.adoptedAt) {
    delete status.candidateLabels;
    return;
  }
  if (!observed.target) return;
  const labels = podLabels(observed.target.template);
  if (Object.keys(labels).length > 0) status.candidateLabels = labels;
  else delete status.candidateLabels;
}

function podLabels(template: PodTemplate): Record<string, string> {
  const metadata = template.metadata as { labels?: Record<string, unknown> } | undefined;
  return Object.fromEntries(
    Object.entries(metadata?.labels ?? {}).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}
