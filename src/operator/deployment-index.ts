import type { GuardObject } from './ports.ts';
import { targetNameOf } from './refs.ts';
import type { Work } from './work.ts';

/**
 * `namespace/deployment` → the guards whose target or `-stable` copy it is, so a watch
 * event on a Deployment wakes exactly the guards it concerns.
 */
export class DeploymentIndex {
  private readonly guards = new Map<string, Set<string>>();

  /** Keeps the guard's entries in step with its spec (read loosely: it may be invalid). */
  index(work: Work, guard: GuardObject): void {
    work.target = targetNameOf(guard);
    const keys = [`${guard.namespace}/${guard.name}-stable`];
    if (work.target) keys.push(`${guard.namespace}/${work.target}`);
    this.unindex(work);
    for (const key of keys) {
      const guards = this.guards.get(key) ?? new Set<string>();
      guards.add(work.key);
      this.guards.set(key, guards);
    }
    work.deployments = keys;
  }

  unindex(work: Work): void {
    for (const key of work.deployments) {
      const guards = this.guards.get(key);
      guards?.delete(work.key);
      if (guards?.size === 0) this.guards.delete(key);
    }
    work.deployments = [];
  }

  /** Keys of the guards that `namespace/deployment` belongs to. */
  guardsOf(deployment: string): Iterable<string> {
    return this.guards.get(deployment) ?? [];
  }
}
