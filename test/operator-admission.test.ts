import { describe, expect, it } from 'vitest';
import {
  type AdmissionRead,
  type AdmissionReading,
  admissionState,
} from '../src/operator/admission-state.ts';
import { decide } from '../src/release/decide.ts';
import type { AdmissionStatus } from '../src/release/state.ts';
import { freshWorld, SPEC, T0 } from './support/decide-story.ts';

/**
 * Whether the chart's admission policies are in force, from what was read of them: the
 * table of admissionState(), and the condition decide() writes from it.
 */

const NAMES = ['vakt-workloads', 'vakt-pods'];
const POLICY: AdmissionRead = { state: 'found', spec: { failurePolicy: 'Fail' } };
const binding = (name: string, actions: unknown = ['Deny']): AdmissionRead => ({
  state: 'found',
  spec: { policyName: name, validationActions: actions },
});
const installed = (name: string): AdmissionReading => ({
  name,
  policy: POLICY,
  binding: binding(name),
});
const all = () => NAMES.map(installed);
/** All installed, but `name`'s reading changed by `change`. */
function but(name: string, change: Partial<AdmissionReading>): AdmissionReading[] {
  return all().map((r) => (r.name === name ? { ...r, ...change } : r));
}

/** -target-scale as the chart installs it: ReleaseGuards as params, every one in the namespace. */
const SCALE = 'vakt-target-scale';
const WITH_SCALE = [...NAMES, SCALE];
const GUARD_KIND = { apiVersion: 'vakt.dev/v1alpha1', kind: 'ReleaseGuard' };
const EVERY_GUARD = { selector: {}, parameterNotFoundAction: 'Allow' };
/** -candidate-services: the guards whose candidate's pod labels a Service may not select. */
const SERVICES = 'vakt-candidate-services';
const WITH_BOTH = [...WITH_SCALE, SERVICES];
const withParams = (name: string, paramKind: unknown, paramRef: unknown): AdmissionReading => ({
  name,
  policy: {
    state: 'found',
    spec: { failurePolicy: 'Fail', ...(paramKind !== undefined && { paramKind }) },
  },
  binding: {
    state: 'found',
    spec: { policyName: name, validationActions: ['Deny'], paramRef },
  },
});
/** All installed, -target-scale with `paramKind` and its binding with `paramRef`. */
function withScale(paramKind: unknown, paramRef: unknown): AdmissionReading[] {
  return [...all(), withParams(SCALE, paramKind, paramRef)];
}
/** All installed, both param policies as the chart makes them but -candidate-services. */
function withServices(paramKind: unknown, paramRef: unknown): AdmissionReading[] {
  return [...withScale(GUARD_KIND, EVERY_GUARD), withParams(SERVICES, paramKind, paramRef)];
}

describe('admission policies: what was read', () => {
  const cases: [
    string,
    readonly string[],
    AdmissionReading[] | undefined,
    Partial<AdmissionStatus>,
    RegExp,
  ][] = [
    [
      'all installed and bound with Deny',
      NAMES,
      all(),
      { status: 'True', reason: 'Enforced' },
      /vakt-workloads, vakt-pods/,
    ],
    [
      'failurePolicy left out (the API server defaults it to Fail)',
      NAMES,
      but('vakt-pods', { policy: { state: 'found', spec: {} } }),
      { status: 'True', reason: 'Enforced' },
      /installed/,
    ],
    [
      'Deny among other actions',
      NAMES,
      but('vakt-pods', { binding: binding('vakt-pods', ['Audit', 'Deny']) }),
      { status: 'True', reason: 'Enforced' },
      /bound with Deny/,
    ],
    [
      'no policies expected (no --admission-policies)',
      [],
      undefined,
      { status: 'False', reason: 'NotConfigured' },
      /are off .*only repaired after the fact/,
    ],
    ['not read yet', NAMES, undefined, { status: 'Unknown', reason: 'Unreadable' }, /not read yet/],
    [
      'a binding deleted',
      NAMES,
      but('vakt-pods', { binding: { state: 'missing' } }),
      { status: 'False', reason: 'Missing' },
      /^ValidatingAdmissionPolicyBinding vakt-pods is missing: /,
    ],
    [
      'a policy deleted',
      NAMES,
      but('vakt-workloads', { policy: { state: 'missing' } }),
      { status: 'False', reason: 'Missing' },
      /^ValidatingAdmissionPolicy vakt-workloads is missing/,
    ],
    [
      'a binding that only warns',
      NAMES,
      but('vakt-pods', { binding: binding('vakt-pods', ['Warn']) }),
      { status: 'False', reason: 'Missing' },
      /Binding vakt-pods has validationActions \[Warn\], without Deny/,
    ],
    [
      'a binding without actions',
      NAMES,
      but('vakt-pods', { binding: { state: 'found', spec: { policyName: 'vakt-pods' } } }),
      { status: 'False', reason: 'Missing' },
      /vakt-pods has validationActions \[\], without Deny/,
    ],
    [
      'a binding of another policy',
      NAMES,
      but('vakt-pods', {
        binding: { state: 'found', spec: { policyName: 'mine', validationActions: ['Deny'] } },
      }),
      { status: 'False', reason: 'Missing' },
      /Binding vakt-pods binds policy mine, not vakt-pods/,
    ],
    [
      'a policy that fails open',
      NAMES,
      but('vakt-workloads', { policy: { state: 'found', spec: { failurePolicy: 'Ignore' } } }),
      { status: 'False', reason: 'Missing' },
      /Policy vakt-workloads has failurePolicy Ignore, not Fail/,
    ],
    [
      'a policy forbidden to read',
      NAMES,
      but('vakt-pods', { policy: { state: 'unreadable', why: 'forbidden: cannot get' } }),
      { status: 'Unknown', reason: 'Unreadable' },
      /could not read ValidatingAdmissionPolicy vakt-pods: forbidden: cannot get/,
    ],
    [
      'one missing, another unreadable: False, naming both',
      NAMES,
      [
        { ...installed('vakt-workloads'), binding: { state: 'missing' } },
        { ...installed('vakt-pods'), policy: { state: 'unreadable', why: 'HTTP 500' } },
      ],
      { status: 'False', reason: 'Missing' },
      /Binding vakt-workloads is missing; could not read ValidatingAdmissionPolicy vakt-pods: HTTP 500/,
    ],
    [
      'a name nobody read',
      NAMES,
      [installed('vakt-workloads')],
      { status: 'Unknown', reason: 'Unreadable' },
      /vakt-pods: not read/,
    ],
    [
      'a policy with ReleaseGuard params, bound to every guard in the namespace',
      WITH_SCALE,
      withScale(GUARD_KIND, EVERY_GUARD),
      { status: 'True', reason: 'Enforced' },
      /vakt-pods, vakt-target-scale are installed/,
    ],
    [
      'every guard, and refused when there is none (parameterNotFoundAction Deny refuses more)',
      WITH_SCALE,
      withScale(GUARD_KIND, {
        selector: { matchLabels: {}, matchExpressions: [] },
        parameterNotFoundAction: 'Deny',
      }),
      { status: 'True', reason: 'Enforced' },
      /are installed, failurePolicy Fail, bound with Deny/,
    ],
    [
      'params of another kind: in a namespace without them nothing is judged',
      WITH_SCALE,
      withScale({ apiVersion: 'v1', kind: 'ConfigMap' }, EVERY_GUARD),
      { status: 'False', reason: 'Missing' },
      /^ValidatingAdmissionPolicy vakt-target-scale has paramKind \{"apiVersion":"v1","kind":"ConfigMap"\}, not vakt.dev ReleaseGuard: /,
    ],
    [
      'a binding without paramRef',
      WITH_SCALE,
      withScale(GUARD_KIND, undefined),
      { status: 'False', reason: 'Missing' },
      /Binding vakt-target-scale has no paramRef, so the policy has no ReleaseGuard to judge by/,
    ],
    [
      'a paramRef narrowed to one guard by name',
      WITH_SCALE,
      withScale(GUARD_KIND, { name: 'shop', parameterNotFoundAction: 'Allow' }),
      { status: 'False', reason: 'Missing' },
      /Binding vakt-target-scale has paramRef name shop: only some ReleaseGuards are judged/,
    ],
    [
      "a paramRef to another namespace's guards",
      WITH_SCALE,
      withScale(GUARD_KIND, { ...EVERY_GUARD, namespace: 'empty' }),
      { status: 'False', reason: 'Missing' },
      /has paramRef namespace empty: only some ReleaseGuards/,
    ],
    [
      'a paramRef selecting guards by label, which an edit user can take off their guard',
      WITH_SCALE,
      withScale(GUARD_KIND, { ...EVERY_GUARD, selector: { matchLabels: { tier: 'gold' } } }),
      { status: 'False', reason: 'Missing' },
      /has paramRef selector \{"matchLabels":\{"tier":"gold"\}\}: only some/,
    ],
    [
      'both policies with ReleaseGuard params, each bound to every guard',
      WITH_BOTH,
      withServices(GUARD_KIND, EVERY_GUARD),
      { status: 'True', reason: 'Enforced' },
      /vakt-target-scale, vakt-candidate-services are installed/,
    ],
    [
      "-candidate-services' paramRef narrowed by label",
      WITH_BOTH,
      withServices(GUARD_KIND, { ...EVERY_GUARD, selector: { matchLabels: { tier: 'gold' } } }),
      { status: 'False', reason: 'Missing' },
      /^ValidatingAdmissionPolicyBinding vakt-candidate-services has paramRef selector/,
    ],
    [
      "-candidate-services without paramKind: its binding's paramRef is ignored, no guard judged",
      WITH_BOTH,
      withServices(undefined, EVERY_GUARD),
      { status: 'False', reason: 'Missing' },
      /^ValidatingAdmissionPolicy vakt-candidate-services has no paramKind, so it has no ReleaseGuard to judge by/,
    ],
    [
      '-target-scale without paramKind or paramRef',
      WITH_SCALE,
      withScale(undefined, undefined),
      { status: 'False', reason: 'Missing' },
      /vakt-target-scale has no paramKind.*; ValidatingAdmissionPolicyBinding vakt-target-scale has no paramRef/,
    ],
    [
      'a paramRef on the binding of a policy without params (the API server ignores it)',
      NAMES,
      but('vakt-pods', {
        binding: {
          state: 'found',
          spec: {
            policyName: 'vakt-pods',
            validationActions: ['Deny'],
            paramRef: { name: 'x', parameterNotFoundAction: 'Allow' },
          },
        },
      }),
      { status: 'True', reason: 'Enforced' },
      /installed/,
    ],
    [
      'a spec that is no object',
      NAMES,
      but('vakt-pods', { binding: { state: 'found', spec: 'Deny' } }),
      { status: 'False', reason: 'Missing' },
      /binds policy \(none\)/,
    ],
  ];
  it.each(cases)('%s', (_what, names, readings, expected, message) => {
    const state = admissionState(names, readings);
    expect(state).toMatchObject(expected);
    expect(state.message).toMatch(message);
  });

  it('names every weakened object, and bounds what it quotes from the cluster', () => {
    const long = 'x'.repeat(500);
    const state = admissionState(NAMES, [
      { ...installed('vakt-workloads'), binding: { state: 'missing' } },
      {
        name: 'vakt-pods',
        policy: { state: 'found', spec: { failurePolicy: long } },
        binding: { state: 'missing' },
      },
    ]);
    expect(state.message).toContain('ValidatingAdmissionPolicyBinding vakt-workloads is missing');
    expect(state.message).toContain('ValidatingAdmissionPolicyBinding vakt-pods is missing');
    expect(state.message).toContain('ValidatingAdmissionPolicy vakt-pods has failurePolicy xxx');
    expect(state.message).not.toContain(long);
  });
});

describe('decide: condition AdmissionPolicies', () => {
  const input = (admission?: AdmissionStatus, spec: unknown = SPEC) => ({
    now: T0,
    guard: { name: 'shop', generation: 1, spec },
    observed: freshWorld(),
    reports: [],
    ...(admission && { admission }),
  });
  const missing = admissionState(NAMES, but('vakt-pods', { binding: { state: 'missing' } }));

  it('says what it was given, on a valid guard and on an Invalid one', () => {
    for (const spec of [SPEC, { nonsense: true }]) {
      const { status } = decide(input(missing, spec));
      expect(status.conditions.find((c) => c.type === 'AdmissionPolicies')).toMatchObject({
        status: 'False',
        reason: 'Missing',
        message: missing.message,
      });
    }
  });

  it('keeps its transition time while the status stays, and sets none when not given', () => {
    const first = decide(input(missing)).status;
    const again = decide({
      ...input(admissionState(NAMES, but('vakt-workloads', { policy: { state: 'missing' } }))),
      now: T0 + 60_000,
      guard: { name: 'shop', generation: 1, spec: SPEC, status: first },
    }).status;
    const condition = (s: typeof first) => s.conditions.find((c) => c.type === 'AdmissionPolicies');
    expect(condition(again)?.lastTransitionTime).toBe(condition(first)?.lastTransitionTime);
    expect(condition(again)?.message).toContain('vakt-workloads is missing');
    expect(condition(decide(input()).status)).toBeUndefined();
  });
});
