import type { Context } from './context.ts';

/**
 * Users must reach a guarded app only through `<name>` (stable); the candidate only
 * through `<name>-canary` (probes). Another Service selecting the target's pods breaks
 * both: at adoption it loses its endpoints when the target goes to zero, and during a
 * release it sends its users to a candidate nobody has probed yet.
 */

/** Services are not watched: a guard waiting on one looks again this often. */
export const EXPOSURE_RECHECK_MS = 15_000;

/** Why the guard must wait, or undefined when no other Service selects the target's pods. */
export function exposedMessage(ctx: Context, when: 'adopt' | 'release'): string | undefined {
  const services = ctx.observed.exposedBy ?? [];
  if (services.length === 0) return undefined;
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
