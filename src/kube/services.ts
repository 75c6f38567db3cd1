import type { V1Service } from '@kubernetes/client-node';
import type { EnsureServicesAction, GuardObject } from '../operator/ports.ts';
import { targetNameOf } from '../operator/refs.ts';
import {
  type KubeContext,
  LABEL_GUARD,
  LABEL_MANAGED_BY,
  matchLabelsOf,
  ownerReference,
  readDeployment,
  readOrNull,
} from './context.ts';
import { isAlreadyExists, isConflict, retryable, withRetry } from './errors.ts';
import { stableSelector } from './observe.ts';

/**
 * Service `action.stable` selects the `-stable` copy's pods (vakt labels only); Service
 * `action.canary` selects what the target Deployment selects, which the stable copy's pods
 * no longer carry (see stable.ts). Idempotent: a Service that is already right is not
 * written. A Service vakt did not create (a user's Service with the guard's name) is taken
 * over but not given an owner reference, so deleting the guard does not delete it.
 */
export async function ensureServices(
  ctx: KubeContext,
  guard: GuardObject,
  action: EnsureServicesAction,
): Promise<void> {
  await ensureService(ctx, guard, action, action.stable, stableSelector(guard.name));
  const targetName = targetNameOf(guard);
  const target = targetName ? await readDeployment(ctx, guard.namespace, targetName) : null;
  const selector = matchLabelsOf(target);
  if (Object.keys(selector).length === 0) {
    // Without the target's selector the canary Service would select nothing, or everything.
    ctx.log.warn(
      { guard: guard.name, target: targetName },
      `not creating ${action.canary}: the target Deployment or its spec.selector.matchLabels is missing`,
    );
    return;
  }
  await ensureService(ctx, guard, action, action.canary, selector);
}

async function ensureService(
  ctx: KubeContext,
  guard: GuardObject,
  action: EnsureServicesAction,
  name: string,
  selector: Record<string, string>,
): Promise<void> {
  const { namespace } = guard;
  const port = { name: 'http', protocol: 'TCP', port: action.port, targetPort: action.targetPort };
  await withRetry(
    async () => {
      const current = await readOrNull(ctx, () =>
        ctx.core.readNamespacedService({ namespace, name }),
      );
      if (!current) {
        const body: V1Service = {
          metadata: {
            name,
            namespace,
            labels: { [LABEL_MANAGED_BY]: 'vakt', [LABEL_GUARD]: guard.name },
            ownerReferences: [ownerReference(guard)],
          },
          spec: { type: 'ClusterIP', selector, ports: [port] },
        };
        ctx.log.info({ guard: guard.name }, `creating Service ${name}`);
        await ctx.core.createNamespacedService({
          namespace,
          body,
          fieldManager: ctx.fieldManager,
        });
        return;
      }
      // The label is what the operator's Service watch selects on: without it, an edit of a
      // taken-over Service would wait for the guard's next pass.
      const labelled = current.metadata?.labels?.[LABEL_GUARD] === guard.name;
      if (matches(current, selector, action) && labelled) return;
      const ours = current.metadata?.labels?.[LABEL_MANAGED_BY] === 'vakt';
      if (!ours)
        ctx.log.warn(
          { guard: guard.name },
          `taking over Service ${name}, which vakt did not create: its selector and ports are replaced`,
        );
      const spec = current.spec ?? {};
      // Keep a nodePort the cluster assigned to a port we keep, so a NodePort Service stays reachable.
      const nodePort = spec.ports?.find((p) => p.port === action.port)?.nodePort;
      const body: V1Service = {
        ...current,
        metadata: {
          ...current.metadata,
          labels: { ...current.metadata?.labels, [LABEL_GUARD]: guard.name },
        },
        spec: { ...spec, selector, ports: [{ ...port, ...(nodePort ? { nodePort } : {}) }] },
      };
      delete body.status;
      ctx.log.info({ guard: guard.name }, `updating Service ${name}`);
      await ctx.core.replaceNamespacedService({
        namespace,
        name,
        body,
        fieldManager: ctx.fieldManager,
      });
    },
    {
      ...ctx.retry,
      retryable: (error) =>
        isConflict(error) || isAlreadyExists(error) || retryable(error, { conflicts: true }),
    },
  );
}

/** The Service selects exactly `selector` and, when given, has just this one port. */
export function matches(
  service: V1Service,
  selector: Record<string, string>,
  port?: { port: number; targetPort: number },
): boolean {
  const actual = service.spec?.selector ?? {};
  const keys = Object.keys(selector);
  const sameSelector =
    keys.length === Object.keys(actual).length && keys.every((k) => actual[k] === selector[k]);
  if (!sameSelector || !port) return sameSelector;
  const ports = service.spec?.ports ?? [];
  return (
    ports.length === 1 &&
    ports[0]?.port === port.port &&
    String(ports[0]?.targetPort ?? ports[0]?.port) === String(port.targetPort)
  );
}
