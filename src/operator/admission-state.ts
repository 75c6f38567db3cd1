import type { AdmissionStatus } from '../release/state.ts';

/**
 * Whether the chart's ValidatingAdmissionPolicies are in force, from what was read of them.
 * They are what refuses an edit of `<guard>-stable` (and the rest vakt owns) before it is
 * stored; without them the operator only repairs such an edit after the fact. A policy
 * counts only with failurePolicy Fail (Ignore lets a request through whenever the policy
 * cannot be evaluated), a binding only when it binds that policy with the Deny action
 * (Warn and Audit refuse nothing). A policy with params (-target-scale: the ReleaseGuards
 * that name a target; -candidate-services: the guards whose candidate's pod labels a
 * Service may not select) counts only while they are vakt's ReleaseGuards, and its binding
 * only while it finds every guard in the request's namespace: a paramRef narrowed to a
 * name, a label selector or another namespace leaves the other guards' targets unjudged.
 */

/** One object as read: its spec, 404, or why it could not be read (403, the network). */
export type AdmissionRead =
  | { state: 'found'; spec: unknown }
  | { state: 'missing' }
  | { state: 'unreadable'; why: string };

/** A policy and its binding, which the chart names alike. */
export interface AdmissionReading {
  name: string;
  policy: AdmissionRead;
  binding: AdmissionRead;
}

const POLICY = 'ValidatingAdmissionPolicy';
/** The chart's policies that take ReleaseGuards as params, by the suffix of their name. */
const WITH_PARAMS = ['-target-scale', '-candidate-services'];
const BINDING = 'ValidatingAdmissionPolicyBinding';
/** What goes missing when the policies do. */
const CONSEQUENCE =
  "edits to what vakt owns (<guard>-stable, its pods and Services, guard status, the replicas of a guarded target, Services selecting a candidate's pods) are only repaired after the fact, not refused";

/**
 * `names`: the policies the operator was told to expect (`--admission-policies`); empty
 * when it was told none. `readings`: the last read of each, undefined before the first.
 */
export function admissionState(
  names: readonly string[],
  readings: readonly AdmissionReading[] | undefined,
): AdmissionStatus {
  if (names.length === 0) {
    return {
      status: 'False',
      reason: 'NotConfigured',
      message: `the chart's admission policies are off (admission.enabled=false, or no --admission-policies): ${CONSEQUENCE}`,
    };
  }
  if (!readings) {
    return {
      status: 'Unknown',
      reason: 'Unreadable',
      message: `admission policies ${names.join(', ')} not read yet`,
    };
  }
  const weak: string[] = [];
  const unreadable: string[] = [];
  for (const name of names) {
    const reading = readings.find((r) => r.name === name);
    if (!reading) {
      unreadable.push(`${POLICY} ${name}: not read`);
      continue;
    }
    const needsParams = WITH_PARAMS.some((suffix) => name.endsWith(suffix));
    judge(`${POLICY} ${name}`, reading.policy, policyProblem(needsParams), weak, unreadable);
    const paramKind =
      reading.policy.state === 'found' ? asLoose(reading.policy.spec).paramKind : undefined;
    judge(
      `${BINDING} ${name}`,
      reading.binding,
      bindingProblem(name, needsParams || paramKind !== undefined),
      weak,
      unreadable,
    );
  }
  if (weak.length > 0) {
    const also = unreadable.length > 0 ? `; could not read ${unreadable.join('; ')}` : '';
    return {
      status: 'False',
      reason: 'Missing',
      message: `${weak.join('; ')}${also}: ${CONSEQUENCE}`,
    };
  }
  if (unreadable.length > 0) {
    return {
      status: 'Unknown',
      reason: 'Unreadable',
      message: `could not read ${unreadable.join('; ')}: whether edits to what vakt owns are refused is unknown`,
    };
  }
  return {
    status: 'True',
    reason: 'Enforced',
    message: `admission policies ${names.join(', ')} are installed, failurePolicy Fail, bound with Deny`,
  };
}

function judge(
  what: string,
  read: AdmissionRead,
  problem: (spec: Loose) => string | undefined,
  weak: string[],
  unreadable: string[],
): void {
  if (read.state === 'missing') weak.push(`${what} is missing`);
  else if (read.state === 'unreadable') unreadable.push(`${what}: ${read.why}`);
  else {
    const found = problem(asLoose(read.spec));
    if (found) weak.push(`${what} ${found}`);
  }
}

type Loose = Record<string, unknown>;

function asLoose(value: unknown): Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Loose)
    : {};
}

/**
 * failurePolicy defaults to Fail on the API server. A policy the chart gives params that has
 * none any more judges no guard: its binding's paramRef is then ignored.
 */
const policyProblem =
  (needsParams: boolean) =>
  (spec: Loose): string | undefined => {
    const failurePolicy = spec.failurePolicy ?? 'Fail';
    if (failurePolicy !== 'Fail') return `has failurePolicy ${quote(failurePolicy)}, not Fail`;
    if (spec.paramKind === undefined)
      return needsParams ? 'has no paramKind, so it has no ReleaseGuard to judge by' : undefined;
    return paramKindProblem(spec.paramKind);
  };

function paramKindProblem(paramKind: unknown): string | undefined {
  // Any other kind's objects are no guards: in a namespace without them nothing is judged.
  const kind = asLoose(paramKind);
  const ours =
    typeof kind.apiVersion === 'string' &&
    kind.apiVersion.startsWith('vakt.dev/') &&
    kind.kind === 'ReleaseGuard';
  return ours ? undefined : `has paramKind ${quote(paramKind)}, not vakt.dev ReleaseGuard`;
}

function bindingProblem(name: string, withParams: boolean): (spec: Loose) => string | undefined {
  return (spec) => {
    if (spec.policyName !== name) return `binds policy ${quote(spec.policyName)}, not ${name}`;
    const actions = Array.isArray(spec.validationActions) ? spec.validationActions : [];
    if (!actions.includes('Deny'))
      return `has validationActions [${actions.map(quote).join(', ')}], without Deny`;
    return withParams ? paramRefProblem(spec.paramRef) : undefined;
  };
}

/**
 * The chart's paramRef: selector {} and no namespace, so every guard in the request's
 * namespace is judged. parameterNotFoundAction may be Allow (the chart's) or Deny, which
 * only refuses more. Without paramRef the API server gives the policy no params at all.
 */
function paramRefProblem(value: unknown): string | undefined {
  if (value === undefined || value === null)
    return 'has no paramRef, so the policy has no ReleaseGuard to judge by';
  const ref = asLoose(value);
  const narrowed = (what: string) =>
    `has paramRef ${what}: only some ReleaseGuards are judged, not every one in the namespace`;
  if (ref.name !== undefined) return narrowed(`name ${quote(ref.name)}`);
  if (ref.namespace !== undefined) return narrowed(`namespace ${quote(ref.namespace)}`);
  if (!selectsAll(ref.selector)) return narrowed(`selector ${quote(ref.selector)}`);
  return undefined;
}

/** {}: no matchLabels and no matchExpressions (or empty ones). */
function selectsAll(selector: unknown): boolean {
  if (typeof selector !== 'object' || selector === null || Array.isArray(selector)) return false;
  const { matchLabels, matchExpressions } = selector as Loose;
  const noLabels = matchLabels === undefined || Object.keys(asLoose(matchLabels)).length === 0;
  const noExpressions =
    matchExpressions === undefined ||
    (Array.isArray(matchExpressions) && matchExpressions.length === 0);
  return noLabels && noExpressions;
}

/** A value from the cluster, bounded for a condition message. */
function quote(value: unknown): string {
  const text =
    typeof value === 'string' ? value : value === undefined ? '(none)' : JSON.stringify(value);
  return text.length > 63 ? `${text.slice(0, 60)}...` : text;
}
