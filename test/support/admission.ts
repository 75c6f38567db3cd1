import { Environment } from '@marcbachmann/cel-js';

/**
 * Judges an admission request against rendered ValidatingAdmissionPolicies and their
 * bindings the way the API server does: matchConstraints (resource rules), the binding's
 * namespaceSelector, its params, then for each param matchConditions, variables and every
 * validation; CEL by a real evaluator. With failurePolicy Fail an expression that errors
 * denies, as in a cluster. Params (a policy's paramKind, a binding's paramRef) are looked
 * up among `stored`, the objects the API server holds: by name or label selector, in
 * paramRef.namespace or else the request's (namespaced kinds only); each one found is
 * judged on its own and all must pass; none found is parameterNotFoundAction's to decide
 * (Deny: the failurePolicy). A paramKind no stored object has is not told from one the
 * API server does not serve. Not modelled: excludeResourceRules, objectSelector,
 * auditAnnotations.
 */

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are read field by field
type Json = any;

export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  username: string;
  /** request.userInfo.groups (none when omitted). */
  groups?: string[];
  /** group/version/resource, e.g. apps/v1/deployments (core: /v1/pods). */
  resource: string;
  subResource?: string;
  namespace: string;
  name: string;
  object: Json | null;
  oldObject: Json | null;
}

export interface Verdict {
  allowed: boolean;
  /** Names of the policies that matched the request (and its user). */
  judgedBy: string[];
  /** Why each denial: the validation's message, or the error of an expression. */
  denials: string[];
}

const env = new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true });

/** JSON as the API server hands it to CEL: whole numbers are int (int64), not double. */
function toCel(value: Json): Json {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

function evaluate(expression: string, context: Record<string, unknown>): unknown {
  return env.evaluate(expression, context);
}

function listed(list: string[] | undefined, value: string): boolean {
  return (list ?? []).some((entry) => entry === '*' || entry === value);
}

function matchesRules(policy: Json, request: AdmissionRequest): boolean {
  const [group = '', version = '', resource = ''] = request.resource.split('/');
  const wanted = request.subResource ? `${resource}/${request.subResource}` : resource;
  return (policy.spec.matchConstraints?.resourceRules ?? []).some(
    (rule: Json) =>
      listed(rule.apiGroups, group) &&
      listed(rule.apiVersions, version) &&
      listed(rule.operations, request.operation) &&
      (rule.resources ?? []).some(
        (r: string) => r === '*' || r === wanted || (request.subResource && r === `${resource}/*`),
      ),
  );
}

/** A namespace's labels: the API server sets kubernetes.io/metadata.name on every one. */
function namespaceMatches(binding: Json, namespace: string): boolean {
  const selector = binding.spec.matchResources?.namespaceSelector;
  if (!selector) return true;
  return selects(selector, { 'kubernetes.io/metadata.name': namespace });
}

/** A metav1.LabelSelector: {} selects everything. */
function selects(selector: Json, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every((e: Json) => {
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        return value !== undefined && e.values.includes(value);
      case 'NotIn':
        return value === undefined || !e.values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        throw new Error(`namespaceSelector operator ${e.operator} is not modelled`);
    }
  });
  return byLabel && byExpression;
}

/**
 * The params one binding judges a request with: [null] for a policy without paramKind (or
 * a binding without paramRef: params is null then), else every stored object of the kind
 * that paramRef finds; an empty list when it finds none.
 */
function paramsOf(policy: Json, binding: Json, request: AdmissionRequest, stored: Json[]): Json[] {
  const kind = policy.spec.paramKind;
  const ref = binding.spec.paramRef;
  if (!kind || !ref) return [null];
  if ((ref.name === undefined) === (ref.selector === undefined))
    throw new Error(
      `binding ${binding.metadata.name}: paramRef needs exactly one of name, selector`,
    );
  if (!['Allow', 'Deny'].includes(ref.parameterNotFoundAction))
    throw new Error(
      `binding ${binding.metadata.name}: paramRef.parameterNotFoundAction is required`,
    );
  const namespace = ref.namespace ?? request.namespace;
  return stored.filter(
    (o) =>
      o.apiVersion === kind.apiVersion &&
      o.kind === kind.kind &&
      o.metadata.namespace === namespace &&
      (ref.name !== undefined
        ? o.metadata.name === ref.name
        : selects(ref.selector, o.metadata.labels ?? {})),
  );
}

function context(request: AdmissionRequest, params: Json): Record<string, unknown> {
  const [group = '', version = '', resource = ''] = request.resource.split('/');
  return {
    params: toCel(params),
    object: toCel(request.object),
    oldObject: toCel(request.oldObject),
    request: {
      operation: request.operation,
      userInfo: { username: request.username, groups: request.groups ?? [] },
      resource: { group, version, resource },
      subResource: request.subResource ?? '',
      namespace: request.namespace,
      name: request.name,
    },
    namespaceObject: { metadata: { name: request.namespace } },
  };
}

/**
 * One policy (through one binding): null when it does not apply, else its denials. Params
 * are looked up before matchConditions run, as the API server does: a binding whose
 * paramRef finds none with parameterNotFoundAction Deny refuses even users the
 * matchConditions would let through.
 */
export function judge(
  policy: Json,
  binding: Json,
  request: AdmissionRequest,
  stored: Json[] = [],
): string[] | null {
  if (!matchesRules(policy, request) || !namespaceMatches(binding, request.namespace)) return null;
  const failOpen = policy.spec.failurePolicy === 'Ignore';
  const params = paramsOf(policy, binding, request, stored);
  if (params.length === 0) {
    if (binding.spec.paramRef.parameterNotFoundAction === 'Allow' || failOpen) return [];
    return [
      `paramRef: no ${policy.spec.paramKind.kind} found for binding ${binding.metadata.name}`,
    ];
  }
  const denials: string[] = [];
  let applied = false;
  for (const param of params) {
    const judged = judgeWith(policy, request, param, failOpen);
    if (judged === null) continue;
    applied = true;
    denials.push(...judged);
  }
  return applied ? denials : null;
}

/** One evaluation of a policy: with one param (null when it takes none). */
function judgeWith(
  policy: Json,
  request: AdmissionRequest,
  param: Json,
  failOpen: boolean,
): string[] | null {
  const ctx = context(request, param);
  const failed = (what: string, error: unknown) =>
    failOpen ? [] : [`${what}: ${(error as Error).message}`];
  for (const condition of policy.spec.matchConditions ?? []) {
    try {
      if (evaluate(condition.expression, ctx) !== true) return null;
    } catch (error) {
      return failed(`matchCondition ${condition.name}`, error);
    }
  }
  const variables: Record<string, unknown> = {};
  ctx.variables = variables;
  for (const variable of policy.spec.variables ?? []) {
    try {
      variables[variable.name] = evaluate(variable.expression, ctx);
    } catch (error) {
      return failed(`variable ${variable.name}`, error);
    }
  }
  const denials: string[] = [];
  for (const validation of policy.spec.validations ?? []) {
    try {
      const result = evaluate(validation.expression, ctx);
      if (typeof result !== 'boolean') throw new Error(`returned ${String(result)}, not a bool`);
      if (!result) denials.push(messageOf(validation, ctx));
    } catch (error) {
      denials.push(...failed(`validation ${validation.expression}`, error));
    }
  }
  return denials;
}

/**
 * A failed validation's message: messageExpression's string when it evaluates to one, else
 * message (the API server falls back the same way), else the expression.
 */
function messageOf(validation: Json, ctx: Record<string, unknown>): string {
  if (validation.messageExpression) {
    try {
      const message = evaluate(validation.messageExpression, ctx);
      if (typeof message === 'string' && message.trim() !== '') return message;
    } catch {
      // Falls back to message, as the API server does.
    }
  }
  return validation.message ?? validation.expression;
}

/**
 * Every ValidatingAdmissionPolicy of a rendered chart, through the bindings that name it;
 * `stored`: the objects a binding's paramRef may find (ReleaseGuards, say).
 */
export function admit(objects: Json[], request: AdmissionRequest, stored: Json[] = []): Verdict {
  const policies = new Map<string, Json>(
    objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy').map((o) => [o.metadata.name, o]),
  );
  const verdict: Verdict = { allowed: true, judgedBy: [], denials: [] };
  for (const binding of objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding')) {
    const policy = policies.get(binding.spec.policyName);
    if (!policy) throw new Error(`binding ${binding.metadata.name} names no rendered policy`);
    if (!(binding.spec.validationActions ?? []).includes('Deny'))
      throw new Error(`binding ${binding.metadata.name} does not deny`);
    const denials = judge(policy, binding, request, stored);
    if (denials === null) continue;
    verdict.judgedBy.push(policy.metadata.name);
    verdict.denials.push(...denials);
  }
  verdict.allowed = verdict.denials.length === 0;
  return verdict;
}
