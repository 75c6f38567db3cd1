import type { GuardObject, SetStableAction } from '../operator/ports.ts';
import { targetNameOf } from '../operator/refs.ts';
import type { PodTemplate } from '../release/template.ts';
import {
  ANNOTATION_TEMPLATE_HASH,
  DEPLOYMENTS,
  type KubeContext,
  LABEL_GUARD,
  LABEL_MANAGED_BY,
  LABEL_ROLE,
  mergePatch,
  type OwnerReference,
  ownerReference,
  type RawObject,
  readDeployment,
} from './context.ts';
import { isAlreadyExists, isConflict, retryable, withRetry } from './errors.ts';
import { markAnnotations, readMark } from './marks.ts';
import { stableSelector } from './observe.ts';
import { ANNOTATION_STRIPPED_LABELS } from './previous-stable.ts';

/**
 * Creates or updates `<guard>-stable` to run the action's template.
 *
 * Labels: the copy must not carry the labels the target Deployment selects on, or the
 * target's ReplicaSets, the canary Service and the user's own Services would take the
 * stable pods for candidate pods (a copied template even has the same pod-template-hash).
 * So those keys are removed from the pod labels and `vakt.dev/guard` + `vakt.dev/role:
 * stable` added; the selector is only those two vakt labels, chosen at creation since a
 * Deployment's selector is immutable. Other labels (team, version, ...) stay. When the
 * target cannot be read, the keys removed last time (an annotation) are removed again.
 * Known gap: keys a target selector uses only with NotIn or DoesNotExist are not handled.
 */
export async function setStable(
  ctx: KubeContext,
  guard: GuardObject,
  action: SetStableAction,
): Promise<number | undefined> {
  const { namespace } = guard;
  const name = `${guard.name}-stable`;
  const targetName = targetNameOf(guard);
  return withRetry(
    async () => {
      const [target, current] = await Promise.all([
        targetName ? readDeployment(ctx, namespace, targetName) : null,
        readDeployment(ctx, namespace, name),
      ]);
      const stripped = target
        ? selectorKeys(target)
        : splitList(current?.metadata?.annotations?.[ANNOTATION_STRIPPED_LABELS]);
      const template = relabel(action.template, stripped, guard.name);
      if (!current) {
        const body = stableDeployment(ctx, guard, action, template, stripped);
        ctx.log.info({ guard: guard.name, why: action.why }, `creating ${name}`);
        const created: RawObject = await ctx.custom.createNamespacedCustomObject({
          ...DEPLOYMENTS,
          namespace,
          body,
          fieldManager: ctx.fieldManager,
        });
        await sealCreated(ctx, guard, action, created);
        return created.metadata?.generation;
      }
      if (upToDate(ctx, current, guard, action)) return current.metadata?.generation;
      const body = updated(ctx, current, guard, action, template, stripped);
      ctx.log.info({ guard: guard.name, why: action.why }, `updating ${name}`);
      const written: RawObject = await ctx.custom.replaceNamespacedCustomObject({
        ...DEPLOYMENTS,
        namespace,
        name,
        body,
        fieldManager: ctx.fieldManager,
      });
      return written.metadata?.generation;
    },
    {
      ...ctx.retry,
      // Conflicts and a lost create race are retried from a fresh read.
      retryable: (error) =>
        isConflict(error) || isAlreadyExists(error) || retryable(error, { conflicts: true }),
    },
  );
}

/** Keys the target's selector uses to take pods in (matchLabels, In and Exists). */
function selectorKeys(target: RawObject): string[] {
  const selector = (target.spec?.selector ?? {}) as {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key?: string; operator?: string }[];
  };
  const keys = new Set(Object.keys(selector.matchLabels ?? {}));
  for (const expression of selector.matchExpressions ?? [])
    if (expression.key && (expression.operator === 'In' || expression.operator === 'Exists'))
      keys.add(expression.key);
  return [...keys].sort();
}

function splitList(text: string | undefined): string[] {
  return (text ?? '').split(',').filter(Boolean);
}

export function relabel(template: PodTemplate, stripped: string[], guardName: string): PodTemplate {
  const copy = structuredClone(template);
  const metadata = (copy.metadata ?? {}) as { labels?: Record<string, string> };
  const labels = { ...(metadata.labels ?? {}) };
  for (const key of stripped) delete labels[key];
  metadata.labels = { ...labels, ...stableSelector(guardName) };
  copy.metadata = metadata;
  return copy;
}

function labels(guard: GuardObject): Record<string, string> {
  return { [LABEL_MANAGED_BY]: 'vakt', [LABEL_GUARD]: guard.name, [LABEL_ROLE]: 'stable' };
}

/** What a restore's mark on `-stable` is about, but for the uid. */
function markAbout(guard: GuardObject) {
  return { namespace: guard.namespace, guard: guard.name, deployment: `${guard.name}-stable` };
}

/** `uid`: of the `-stable` written over, which a restore's mark is sealed to. */
function annotations(
  ctx: KubeContext,
  guard: GuardObject,
  action: SetStableAction,
  stripped: string[],
  uid: string | undefined,
): Record<string, string> {
  return {
    [ANNOTATION_TEMPLATE_HASH]: action.templateHash,
    [ANNOTATION_STRIPPED_LABELS]: stripped.join(','),
    ...(action.rejectTemplate
      ? markAnnotations(ctx, markAbout(guard), uid, action.rejectTemplate)
      : {}),
  };
}

/**
 * A restore that had to create `-stable` (someone deleted it while baking) cannot seal
 * its mark in the create: the uid is the API server's to give. The seal follows at once;
 * until it lands the mark is unsealed, and an operator stopping in between finds it
 * untrusted (docs/operator-security.md, threat model).
 */
async function sealCreated(
  ctx: KubeContext,
  guard: GuardObject,
  action: SetStableAction,
  created: RawObject,
): Promise<void> {
  const uid = created.metadata?.uid;
  if (!ctx.seal || !action.rejectTemplate || !uid) return;
  const body = {
    metadata: { annotations: markAnnotations(ctx, markAbout(guard), uid, action.rejectTemplate) },
  };
  await ctx.custom.patchNamespacedCustomObject(
    {
      ...DEPLOYMENTS,
      namespace: guard.namespace,
      name: `${guard.name}-stable`,
      body,
      fieldManager: ctx.fieldManager,
    },
    mergePatch,
  );
}

function stableDeployment(
  ctx: KubeContext,
  guard: GuardObject,
  action: SetStableAction,
  template: PodTemplate,
  stripped: string[],
): RawObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: `${guard.name}-stable`,
      namespace: guard.namespace,
      labels: labels(guard),
      annotations: annotations(ctx, guard, action, stripped, undefined),
      ownerReferences: [ownerReference(guard)],
    },
    spec: {
      replicas: action.replicas,
      selector: { matchLabels: stableSelector(guard.name) },
      template,
    },
  };
}

/**
 * Nothing to write: same template (by hash), same replicas, owned by this guard, and the
 * spec not changed by anyone since the operator's last write (the generation it left; the
 * hash annotation alone survives `kubectl set image`). An unknown generation writes.
 */
function upToDate(
  ctx: KubeContext,
  current: RawObject,
  guard: GuardObject,
  action: SetStableAction,
): boolean {
  const meta = current.metadata ?? {};
  const mark = action.rejectTemplate ? readMark(ctx, current, guard) : undefined;
  return (
    action.generation !== undefined &&
    meta.generation === action.generation &&
    meta.annotations?.[ANNOTATION_TEMPLATE_HASH] === action.templateHash &&
    (!action.rejectTemplate || (mark?.templateHash === action.rejectTemplate && mark.trusted)) &&
    current.spec?.replicas === action.replicas &&
    (meta.ownerReferences ?? []).some((r) => r.uid === guard.uid && r.controller)
  );
}

/** The existing object with our fields set; its resourceVersion makes the replace conditional. */
function updated(
  ctx: KubeContext,
  current: RawObject,
  guard: GuardObject,
  action: SetStableAction,
  template: PodTemplate,
  stripped: string[],
): RawObject {
  const next = structuredClone(current);
  const meta = next.metadata ?? {};
  meta.labels = { ...(meta.labels ?? {}), ...labels(guard) };
  meta.annotations = {
    ...(meta.annotations ?? {}),
    ...annotations(ctx, guard, action, stripped, meta.uid),
  };
  // A Deployment has one controller: ours replaces any other controller reference.
  const others = (meta.ownerReferences ?? []).filter(
    (r: OwnerReference) => r.uid !== guard.uid && !r.controller,
  );
  meta.ownerReferences = [...others, ownerReference(guard)];
  next.metadata = meta;
  next.spec = { ...(next.spec ?? {}), replicas: action.replicas, template };
  // A paused Deployment would keep whatever pods a foreign edit rolled out.
  delete next.spec.paused;
  // The selector stays as created (immutable); the template must still match it.
  const selector = (next.spec.selector ?? {}) as { matchLabels?: Record<string, string> };
  const podLabels = (template.metadata as { labels: Record<string, string> }).labels;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) podLabels[key] ??= value;
  delete next.status;
  return next;
}
