import type { ReleaseGuardStatus } from './schema.ts';
import type { Observed } from './state.ts';
import { templateHash } from './template.ts';

/**
 * What deleting a ReleaseGuard leaves behind. Kubernetes would garbage-collect
 * `<name>-stable` and the Services it owns while the target sits at zero replicas: an
 * outage. So the guard's finalizer first hands back: everything vakt made stays and keeps
 * serving (no longer owned, so nothing collects it), and the target gets its replicas back
 * only if it runs the stable release; a pending or rejected template stays at zero.
 */
export interface HandBack {
  /** Give the target this many replicas. */
  scaleTarget?: number;
  /** For the Event and the log: what stays, and what to do next. */
  message: string;
}

export function handBack(
  name: string,
  targetName: string,
  status: ReleaseGuardStatus | undefined,
  observed: Pick<Observed, 'target'>,
): HandBack {
  const stable = status?.adoptedAt ? status.stable : undefined;
  if (!stable) return { message: `nothing was taken over; Deployment ${targetName} is as it was` };
  const left = `${name}-stable and Services ${name}, ${name}-canary stay and keep serving, no longer managed`;
  const target = observed.target;
  if (!target) return { message: `Deployment ${targetName} is gone; ${left}` };
  if (templateHash(target.template) !== stable.templateHash) {
    // A canary under probe runs replicas: down with it, it was never probed to the end.
    return {
      ...(target.replicas > 0 ? { scaleTarget: 0 } : {}),
      message: `Deployment ${targetName} runs a template that is not the stable release, so it stays at zero; ${left}`,
    };
  }
  const replicas = Math.max(target.replicas, stable.replicas);
  return {
    ...(replicas !== target.replicas ? { scaleTarget: replicas } : {}),
    message: `Deployment ${targetName} runs the stable release at ${replicas} replicas again; ${left}: delete them once traffic goes to ${targetName}'s own Service`,
  };
}
