import { type Observed, REJECTED_TEMPLATE } from '../release/state.ts';
import { type KubeContext, type RawObject, readDeployment } from './context.ts';
import { type MarkSubject, REJECTED_SEAL, sealMark, verifyMark } from './seal.ts';

/**
 * Rejection marks on Deployments as the adapter writes and reads them: the mark
 * (vakt.dev/rejected-template) and, with seal keys, its seal beside it in the same write.
 */

/** The annotations a revert writes on `deployment` (uid known): the mark, and its seal. */
export function markAnnotations(
  ctx: KubeContext,
  about: Omit<MarkSubject, 'templateHash' | 'uid'>,
  uid: string | undefined,
  templateHash: string,
): Record<string, string> {
  const marks: Record<string, string> = { [REJECTED_TEMPLATE]: templateHash };
  if (ctx.seal && uid) marks[REJECTED_SEAL] = sealMark(ctx.seal, { ...about, uid, templateHash });
  return marks;
}

/**
 * The uid a revert of the target seals to: the one its last observation saw, read now
 * only when none was seen (a revert before any pass observed the target).
 */
export async function targetUid(
  ctx: KubeContext,
  namespace: string,
  name: string,
): Promise<string | undefined> {
  if (!ctx.seal) return undefined;
  const known = ctx.deploymentUids.get(`${namespace}/${name}`);
  if (known) return known;
  return (await readDeployment(ctx, namespace, name))?.metadata?.uid;
}

/** What templateHash() gives: 16 lowercase hex digits. */
const TEMPLATE_HASH = /^[0-9a-f]{16}$/;

/** A Deployment's mark, and whether it may be trusted (without keys: trusted as written). */
export interface ReadMark {
  templateHash: string;
  trusted: boolean;
}

export function readMark(
  ctx: KubeContext,
  deployment: RawObject,
  ref: { namespace: string; name: string },
): ReadMark | undefined {
  const annotations = deployment.metadata?.annotations ?? {};
  const templateHash = annotations[REJECTED_TEMPLATE];
  if (!templateHash) return undefined;
  // A template hash is all the operator ever writes there: anything else is someone
  // else's text, trusted by nobody even without seal keys (and shown escaped).
  if (!TEMPLATE_HASH.test(templateHash)) return { templateHash, trusted: false };
  if (!ctx.seal) return { templateHash, trusted: true };
  const subject: MarkSubject = {
    namespace: ref.namespace,
    guard: ref.name,
    deployment: deployment.metadata?.name ?? '',
    uid: deployment.metadata?.uid ?? '',
    templateHash,
  };
  return { templateHash, trusted: verifyMark(ctx.seal, subject, annotations[REJECTED_SEAL]) };
}

/**
 * The marks of the target and `<guard>-stable` as decide() may see them: an untrusted mark
 * is left out (the target's annotations without it, no rejected template on stable) and
 * listed in `unsealed` instead.
 */
export function observeMarks(
  ctx: KubeContext,
  ref: { namespace: string; name: string },
  target: RawObject | null,
  stable: RawObject | null,
): {
  targetAnnotations: Record<string, string>;
  stableRejected?: string;
  unsealed: NonNullable<Observed['unsealedMarks']>;
} {
  const unsealed: NonNullable<Observed['unsealedMarks']> = [];
  const targetAnnotations = { ...(target?.metadata?.annotations ?? {}) };
  const targetMark = target ? readMark(ctx, target, ref) : undefined;
  if (targetMark && !targetMark.trusted) {
    delete targetAnnotations[REJECTED_TEMPLATE];
    unsealed.push({ on: 'target', templateHash: targetMark.templateHash });
  }
  const stableMark = stable ? readMark(ctx, stable, ref) : undefined;
  if (stableMark && !stableMark.trusted) {
    unsealed.push({ on: 'stable', templateHash: stableMark.templateHash });
  }
  return {
    targetAnnotations,
    ...(stableMark?.trusted && { stableRejected: stableMark.templateHash }),
    unsealed,
  };
}
