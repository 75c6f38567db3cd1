import type { ReleaseGuardStatus } from './schema.ts';
import type { PodTemplate } from './template.ts';

/**
 * Service `<name>` selects pods by two labels anyone with the namespace's `edit` role can
 * put on any pod, and a running pod's image can be changed in place. So the pods it
 * selects are checked against what vakt made: a pod of `<name>-stable` (its ReplicaSet is
 * controlled by that Deployment, which the guard controls) running the images vakt put
 * there. A pure function of what the adapter found; the reconciler carries out the answer.
 */

/** A pod labelled vakt.dev/guard=<name>, with what the adapter could verify about it. */
export interface PodFacts {
  name: string;
  /** metadata.uid: a write goes to this pod only, not to one re-created under its name. */
  uid: string;
  /** Carries vakt.dev/role=stable too, so Service `<name>` sends users to it. */
  stableRole: boolean;
  /**
   * Controlled by a ReplicaSet that `<name>-stable` controls, and `<name>-stable` by the
   * guard (checked by uid along the chain of ownerReferences).
   */
  ofStable: boolean;
  /** Container name → image, of spec.containers and spec.initContainers. */
  images: Record<string, string>;
  /** metadata.deletionTimestamp is set: it is on its way out already. */
  deleting: boolean;
  /** Its controller, when it is not `-stable`'s ReplicaSet: "ReplicaSet evil-7d9f". */
  controller?: string;
}

export type PodAction =
  /**
   * Takes vakt.dev/guard and vakt.dev/role off a pod nothing controls, so no vakt Service
   * selects it. The pod is left running: it may be someone's honest mistake, and it is
   * the evidence of what happened.
   */
  | { kind: 'unlabelPod'; pod: string; uid: string; message: string }
  /**
   * Deletes a pod: one of `-stable` running other images (its ReplicaSet makes a right
   * one), or a false claimant another controller made. Taking the labels off the latter
   * would orphan it and the controller would start another, so orphans would pile up,
   * each still running; deleted, the controller's count stays what it was.
   */
  | { kind: 'deletePod'; pod: string; uid: string; message: string };

/** What to do about the pods that claim to belong to the guard `name`. */
export function judgePods(
  name: string,
  status: ReleaseGuardStatus | undefined,
  pods: PodFacts[],
): PodAction[] {
  const allowed = [status?.stable?.template, status?.previousStable?.template].filter(
    (t): t is PodTemplate => t !== undefined,
  );
  const actions: PodAction[] = [];
  for (const pod of pods) {
    if (pod.deleting) continue;
    if (!pod.ofStable) {
      if (!pod.stableRole) continue; // no vakt Service selects it
      const claim = `pod ${pod.name} carries vakt.dev/guard=${name}, vakt.dev/role=stable but is not a pod of ${name}-stable`;
      actions.push(
        pod.controller
          ? {
              kind: 'deletePod',
              pod: pod.name,
              uid: pod.uid,
              message: `${claim} (its controller is ${pod.controller}): vakt deleted it, so Service ${name} does not send users to it; take those labels out of that controller's pod template`,
            }
          : {
              kind: 'unlabelPod',
              pod: pod.name,
              uid: pod.uid,
              message: `${claim}: vakt removed those labels, so Service ${name} does not send users to it`,
            },
      );
      continue;
    }
    // Until status knows what stable runs there is nothing to compare with.
    if (allowed.length === 0) continue;
    // The template before a promotion counts too: its pods are still rolling out of service.
    if (allowed.some((template) => sameImages(pod.images, containerImages(template)))) continue;
    const running = Object.entries(pod.images)
      .map(([container, image]) => `${container}=${image}`)
      .join(', ');
    actions.push({
      kind: 'deletePod',
      pod: pod.name,
      uid: pod.uid,
      message: `pod ${pod.name} of ${name}-stable runs images its template does not have (${running}): vakt deleted it, and ${name}-stable replaces it with one running the stable template`,
    });
  }
  return actions;
}

/** Container name → image of a template's containers and init containers. */
export function containerImages(template: PodTemplate): Record<string, string> {
  const spec = (template.spec ?? {}) as { containers?: unknown; initContainers?: unknown };
  const images: Record<string, string> = {};
  for (const list of [spec.initContainers, spec.containers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list as { name?: unknown; image?: unknown }[]) {
      if (typeof c?.name === 'string' && typeof c.image === 'string') images[c.name] = c.image;
    }
  }
  return images;
}

function sameImages(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
