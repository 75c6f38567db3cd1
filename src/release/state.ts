import type { ApprovalVerdict } from '../approval/verdict.ts';
import type { LeakEvidence } from '../probe/types.ts';
import type { ReleaseGuardStatus } from './schema.ts';
import type { PodTemplate } from './template.ts';
import type { SpecProblem } from './validate.ts';

/**
 * What decide() reads and returns. Everything is data: the kube adapter gathers the
 * input, runs the actions in order and writes `status` back, so a restarted operator
 * continues from status alone.
 */

export type ProbeTarget = 'candidate' | 'stable';
/** canary: the candidate before promotion; bake: stable after it; guard: stable between releases. */
export type ProbeMode = 'canary' | 'bake' | 'guard';

export interface GuardInput {
  name: string;
  /** metadata.generation, copied to status.observedGeneration and conditions. */
  generation: number;
  /** The spec as stored: decide() validates it, so bad input becomes phase Invalid. */
  spec: unknown;
  status?: ReleaseGuardStatus;
}

export interface Observed {
  /** The guarded Deployment (the candidate); null when it does not exist. */
  target: {
    template: PodTemplate;
    /** metadata.annotations of the Deployment (the revision annotation may live there). */
    annotations: Record<string, string>;
    /**
     * spec.selector.matchLabels: what `<name>-canary` selects. Omitted by an adapter that
     * cannot tell; empty when the Deployment selects by matchExpressions alone.
     */
    matchLabels?: Record<string, string>;
    /** spec.replicas as it is now. */
    replicas: number;
    /** Its rollout of the current template is complete and all replicas are ready. */
    ready: boolean;
  } | null;
  /**
   * `<name>-stable`: the vakt.dev/template-hash annotation the adapter writes when it sets
   * the template (the hash of the template it copied, before relabelling), and readiness.
   */
  stable: {
    templateHash: string;
    ready: boolean;
    /**
     * metadata.generation: the API server moves it on every change of the spec, whoever
     * makes it, so it is compared with the generation the operator's own last write left.
     * Omitted by an adapter that cannot tell.
     */
    generation?: number;
    /** The REJECTED_TEMPLATE annotation: a template restored away from while baking. */
    rejectedTemplate?: string;
    /**
     * What it serves, when it carries vakt's mark for this guard and its template still
     * hashes to templateHash: a guard deleted and created again adopts this, not the
     * target. Omitted otherwise, or by an adapter that cannot tell.
     */
    previous?: { template: PodTemplate; replicas: number };
  } | null;
  services: { stable: boolean; canary: boolean };
  /**
   * Services other than `<name>` and `<name>-canary` whose selector takes in the target's
   * pods: users behind them would lose their endpoints at adoption and meet every
   * candidate. Only read while it matters (adopting, or a release pending); undefined
   * when not read.
   */
  exposedBy?: string[];
  /**
   * Ingresses and HTTPRoutes whose backend is `<name>-canary`: they send users to the
   * candidate. Read when exposedBy is; undefined when not read.
   */
  canaryRoutes?: UserRoute[];
  /**
   * Pods `<name>-canary` selects that are not the target's own (their controller is no
   * ReplicaSet of the target Deployment): a probe through it would not see the candidate
   * alone. Read while the candidate is approved; undefined when not read.
   */
  foreignCanaryPods?: string[];
  /**
   * Rejection marks whose seal did not verify (written by someone other than the operator,
   * or copied from another guard or Deployment): left out of `target.annotations` and
   * `stable.rejectedTemplate`, so they reject nothing, and listed here to be reported.
   * Omitted by an adapter that does not seal marks.
   */
  unsealedMarks?: { on: 'target' | 'stable'; templateHash: string }[];
  /** The probe run the adapter has going now, if any. */
  probe: { target: ProbeTarget; mode: ProbeMode; templateHash: string } | null;
}

/** An entry point of users' traffic: an Ingress path or an HTTPRoute rule. */
export interface UserRoute {
  kind: 'Ingress' | 'HTTPRoute';
  name: string;
  /** host and path of an Ingress; the path matches of an HTTPRoute rule. */
  path: string;
}

/** What a probe run reported: its progress, or how it ended. */
export interface ProbeReport {
  kind: 'probe';
  target: ProbeTarget;
  mode: ProbeMode;
  templateHash: string;
  /** Names the run, so a report delivered twice is recognised. */
  runId: string;
  outcome: 'running' | 'pass' | 'leak' | 'inconclusive';
  counters: { sent: number; checked: number; failed: number };
  /** Upper bound on the leak rate so far; null after a leak. */
  leakRateBound: number | null;
  maxLeakRate: number;
  leak?: LeakEvidence;
  /**
   * Where a leak was found: through the Service (the candidate's, or stable's), or through
   * the edge URL, which serves stable whatever is being probed.
   */
  via?: 'service' | 'edge';
  reason?: string;
}

export interface ApprovalReport {
  kind: 'approval';
  templateHash: string;
  /** The commit the gate checked; a report for another commit is stale and ignored. */
  revision: string;
  verdict: ApprovalVerdict;
  /** The policy the verdict was given under (DecideInput.policyDigest when it was asked). */
  policyDigest?: string;
  /** Said beside the outcome whatever it is, e.g. that provenance checking is off. */
  warnings?: string[];
}

/** A person asked for approvals to be checked again now (e.g. an annotation was touched). */
export interface ApprovalRecheck {
  kind: 'approvalRecheck';
}

export type Report = ProbeReport | ApprovalReport | ApprovalRecheck;

export interface DecideInput {
  now: number;
  guard: GuardInput;
  observed: Observed;
  /** Reports that arrived since the last decide(), oldest first. */
  reports: Report[];
  /**
   * Problems with a policy decide() cannot read itself (a ConfigMap: missing, or failing
   * validateConfigMapPolicy). Inline policies are validated inside decide().
   */
  policyProblems?: SpecProblem[];
  /**
   * Digest of the policy in force (inline or from its ConfigMap, defaults applied). An
   * approval given under another digest is asked for again; omitted, approvals are not
   * bound to a policy.
   */
  policyDigest?: string;
  /**
   * Whether the chart's ValidatingAdmissionPolicies are in force (see
   * src/operator/admission-state.ts), shown as condition AdmissionPolicies; omitted, no
   * such condition is set.
   */
  admission?: AdmissionStatus;
}

/** What the operator found of the chart's admission policies, as a condition says it. */
export interface AdmissionStatus {
  status: 'True' | 'False' | 'Unknown';
  reason: 'Enforced' | 'Missing' | 'NotConfigured' | 'Unreadable';
  message: string;
}

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

/**
 * Written in the same request as the revert (the target's scale to zero, or `-stable`'s
 * restore), so the rejection survives an operator that stops before it writes status.
 */
export const REJECTED_TEMPLATE = 'vakt.dev/rejected-template';

/**
 * On a target the operator has taken over: the guard's name, written with every scale and
 * removed at hand-back. The chart's admission policies refuse anyone else raising the
 * replicas of a Deployment that carries it (a template nobody approved would start).
 */
export const GUARDED_BY = 'vakt.dev/guarded-by';

export type Action =
  /**
   * Sets the guarded Deployment's replicas; 0 takes the candidate out at once.
   * `rejectTemplate` also sets the REJECTED_TEMPLATE annotation, in the same patch.
   */
  | { kind: 'scaleCandidate'; replicas: number; rejectTemplate?: string }
  | { kind: 'stopProbe' }
  /**
   * Makes `<name>-stable` run `template` (relabelled by the adapter), annotated with
   * `templateHash`. `why` is for logs: adopt, promote, restore (a revert) or repair (drift).
   */
  | {
      kind: 'setStable';
      template: PodTemplate;
      templateHash: string;
      replicas: number;
      why: 'adopt' | 'promote' | 'restore' | 'repair';
      /**
       * The generation the operator's last write left (status.stableGeneration): the
       * adapter writes even when the hash annotation matches if the live object has
       * moved on from it, since someone else changed the spec.
       */
      generation?: number;
      /** A restore names the template it takes back (the REJECTED_TEMPLATE annotation). */
      rejectTemplate?: string;
    }
  | { kind: 'ensureServices'; stable: string; canary: string; port: number; targetPort: number }
  /** Replaces any running probe. `intervalMs` paces guard runs. */
  | {
      kind: 'startProbe';
      target: ProbeTarget;
      mode: ProbeMode;
      templateHash: string;
      intervalMs?: number;
    }
  /** Ask the two-person gate about `revision`; the answer comes back as an ApprovalReport. */
  | {
      kind: 'checkApproval';
      templateHash: string;
      revision: string;
      repository: string;
      /**
       * Every image digest the candidate runs (64 hex digits each, sorted, once each): with
       * approval.provenance, their signed provenance, not `revision`, names the commit.
       */
      digests: string[];
      /** Echoed in the report, so an answer under an older policy is recognised. */
      policyDigest?: string;
    }
  | {
      kind: 'postCommitStatus';
      repository: string;
      sha: string;
      context: 'vakt/two-person' | 'vakt/probe';
      state: CommitState;
      description: string;
    }
  /** `release` names the release the decision is about, as status.decisions records it. */
  | {
      kind: 'emitEvent';
      type: 'Normal' | 'Warning';
      reason: string;
      message: string;
      release?: { templateHash: string; revision?: string };
    }
  /** Counts a leak in the vakt_leaks_total metric. */
  | { kind: 'countLeak'; target: ProbeTarget };

export interface DecideOutput {
  status: ReleaseGuardStatus;
  /** Executed in order; the response to a leak comes first. */
  actions: Action[];
  /** Call decide() again after this long even if nothing changes (approval re-check, bake end). */
  requeueAfterMs?: number;
}
