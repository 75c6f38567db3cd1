import type { Logger } from '../log.ts';
import type { Action } from '../release/state.ts';
import type { ApprovalChecker } from './approvals.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { GuardPolicy } from './policy.ts';
import type { Cluster, GuardObject, GuardRef } from './ports.ts';
import type { ProbeManager } from './probes.ts';
import { guardKey } from './refs.ts';

/**
 * Carries out decide()'s actions, in order. Only Kubernetes writes are awaited; probes and
 * approval checks start here and report back later, and commit statuses go out beside the
 * queue. On a leak decide() puts the revert first, so it is the first await of the pass.
 */

export interface ActionContext {
  cluster: Cluster;
  probes: ProbeManager;
  approvals: ApprovalChecker;
  metrics: OperatorMetrics;
  log: Logger;
  guard: GuardObject;
  ref: GuardRef;
  resolved: GuardPolicy;
  /** The API server accepted a scale to zero, or a restore of the previous stable. */
  onRevert: (why: 'candidate' | 'restore') => void;
  /** `<name>-stable` was written and is now at this generation: status records it. */
  onStableWritten: (generation: number | undefined) => void;
  /** A decision's Event: notifications are queued from it, never awaited. */
  onDecision?: (event: Extract<Action, { kind: 'emitEvent' }>) => void;
}

function repositoryAllowed(repository: string, resolved: GuardPolicy): boolean {
  return resolved.allowed?.repository.toLowerCase() === repository.toLowerCase();
}

export async function runActions(actions: Action[], ctx: ActionContext): Promise<void> {
  const { cluster, probes, approvals, metrics, log, guard, ref, resolved } = ctx;
  const targetName = resolved.spec?.targetRef.name;
  const key = guardKey(ref);
  for (const action of actions) {
    switch (action.kind) {
      case 'scaleCandidate':
        if (!targetName) break;
        await cluster.scaleDeployment(guard.namespace, targetName, action.replicas, {
          rejectTemplate: action.rejectTemplate,
          guardedBy: guard.name,
        });
        if (action.replicas === 0) ctx.onRevert('candidate');
        break;
      case 'stopProbe':
        probes.stop(ref);
        break;
      case 'setStable':
        ctx.onStableWritten(await cluster.setStable(guard, action));
        if (action.why === 'restore') ctx.onRevert('restore');
        log.info({ guard: key, templateHash: action.templateHash, why: action.why }, 'set stable');
        break;
      case 'ensureServices':
        await cluster.ensureServices(guard, action);
        break;
      case 'startProbe': {
        const { spec, policy } = resolved;
        if (!spec || !policy?.probe || !resolved.resolved) {
          log.warn({ guard: key }, 'probe wanted, but the policy or tenants are not resolved');
          break;
        }
        if (!resolved.allowed) {
          log.warn({ guard: key }, 'probe wanted, but the platform does not allow this guard');
          break;
        }
        probes.start(ref, action, {
          spec,
          probe: policy.probe,
          resolved: resolved.resolved,
          allowed: resolved.allowed,
        });
        break;
      }
      // GitHub is asked about, and told of, only the repository the platform allowed for
      // this namespace: the operator's credential may reach many more.
      case 'checkApproval':
        if (!repositoryAllowed(action.repository, resolved)) {
          log.warn({ guard: key }, 'approval check refused: repository not allowed');
          break;
        }
        approvals.check(ref, action, resolved.policy?.approval);
        break;
      case 'postCommitStatus':
        if (!repositoryAllowed(action.repository, resolved)) {
          log.warn({ guard: key }, 'commit status refused: repository not allowed');
          break;
        }
        approvals.postStatus(ref, action);
        break;
      case 'emitEvent':
        log.info(
          { guard: key, type: action.type, reason: action.reason, message: action.message },
          'decision',
        );
        ctx.onDecision?.(action);
        await cluster.emitEvent(guard, action.type, action.reason, action.message);
        break;
      case 'countLeak':
        metrics.leaks.inc({ target: action.target });
        break;
    }
  }
}
