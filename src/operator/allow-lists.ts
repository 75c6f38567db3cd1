import { globToRegExp } from '../approval/name-glob.ts';
import { type AddressRules, bareHost, refusedHost } from '../probe/addresses.ts';
import type { ReleaseGuardSpec } from '../release/schema.ts';
import type { SpecProblem } from '../release/validate.ts';
import type { NamespaceRules } from './platform.ts';

/**
 * The platform's allow-lists against one guard's spec. A namespace editor writes the
 * guard, so whatever it names (the repository whose approvals count and which receives
 * commit statuses, the URLs that receive tenant credentials) must be something the
 * cluster admin allowed for that namespace. Pure: the rules are data.
 */

export interface AllowListInput {
  spec: ReleaseGuardSpec;
  guardName: string;
  namespace: string;
  rules: NamespaceRules;
  addresses: AddressRules;
  /** Where the rules came from, as messages name it. */
  source: string;
}

export function repositoryAllowed(repository: string, rules: NamespaceRules): boolean {
  const name = repository.toLowerCase();
  return rules.repositories.some((pattern) => globToRegExp(pattern.toLowerCase()).test(name));
}

/** Exact host, or `*.suffix` for names strictly under the suffix. */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const name = bareHost(host);
  return patterns.some((pattern) => {
    const p = bareHost(pattern);
    if (p === '*') return true;
    return p.startsWith('*.') ? name.endsWith(p.slice(1)) : name === p;
  });
}

/**
 * Whether `host` names the guard's own canary Service (`<name>-canary`, with or without
 * `.<namespace>`, `.svc` and the cluster domain): a target written that way only adds a path.
 */
export function isOwnCanary(host: string, guardName: string, namespace: string): boolean {
  const name = bareHost(host);
  const service = `${guardName}-canary`;
  return (
    name === service ||
    name === `${service}.${namespace}` ||
    name === `${service}.${namespace}.svc` ||
    name.startsWith(`${service}.${namespace}.svc.`)
  );
}

export function allowListProblems(input: AllowListInput): SpecProblem[] {
  const { spec, rules, source, namespace } = input;
  const problems: SpecProblem[] = [];
  const repository = spec.source.repository;
  if (!repositoryAllowed(repository, rules)) {
    problems.push({
      path: 'spec.source.repository',
      message: `repository ${repository} is not allowed in namespace ${namespace} (${allowed(rules.repositories, 'repository')}; ${source})`,
    });
  }
  const urlProblem = (path: string, text: string): void => {
    const url = new URL(text);
    if (url.username || url.password) {
      problems.push({ path, message: 'a probe URL carries no user name or password' });
      return;
    }
    const refused = refusedHost(url.hostname, input.addresses);
    if (refused) {
      problems.push({ path, message: `refused: ${refused}` });
      return;
    }
    if (!hostAllowed(url.hostname, rules.probeHosts)) {
      problems.push({
        path,
        message: `host ${bareHost(url.hostname)} is not an allowed probe host in namespace ${namespace} (${allowed(rules.probeHosts, 'probe host')}; ${source})`,
      });
    }
  };
  const { target, edgeURL } = spec.probe;
  if (edgeURL) urlProblem('spec.probe.edgeURL', edgeURL);
  if (target) {
    const url = new URL(target);
    if (rules.probeTargetOverride) urlProblem('spec.probe.target', target);
    else if (
      !isOwnCanary(url.hostname, input.guardName, namespace) ||
      url.username ||
      url.password
    ) {
      problems.push({
        path: 'spec.probe.target',
        message: `candidate probes go through Service ${input.guardName}-canary: target may name it to add a path (e.g. http://${input.guardName}-canary${url.pathname === '/' ? '/api' : url.pathname}), not another host; the platform allows no override in namespace ${namespace} (${source})`,
      });
    }
  }
  return problems;
}

function allowed(list: readonly string[], what: string): string {
  return list.length === 0 ? `the platform allows no ${what} here` : `allowed: ${list.join(', ')}`;
}

/**
 * The URL of a candidate probe: the canary Service's, with the path (and query) that
 * spec.probe.target adds; the target itself only when the platform allows an override.
 */
export function candidateUrl(
  canary: string,
  target: string | undefined,
  override: boolean,
): string {
  if (!target) return canary;
  if (override) return target;
  const extra = new URL(target);
  const base = new URL(canary);
  const path = extra.pathname === '/' ? '' : extra.pathname;
  base.pathname = base.pathname.replace(/\/+$/, '') + path;
  base.search = extra.search;
  return base.toString();
}
