import { PERMISSIONS } from '../approval/schema.ts';
import type { Policy } from '../policy/schema.ts';
import type { SpecProblem } from '../release/validate.ts';
import type { Floors } from './platform.ts';

/**
 * The platform's floors against one guard's policy: a policy that asks for less than the
 * admin's floor (fewer approvals, a lower permission, fewer probe requests, a looser leak
 * bound) is refused whole, never raised silently, so the guard's owner sees what to fix.
 * Pure: the floors and where they came from are data.
 */

/** Where the policy was read from, as problems name it. */
export interface PolicyOrigin {
  /** spec.policy.inline, or spec.policy.configMapRef */
  path: string;
  inline: boolean;
}

export function floorProblems(
  policy: Policy,
  floors: Floors,
  source: string,
  origin: PolicyOrigin,
): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const below = (field: string, knob: string, value: unknown, floor: unknown, word: string) => {
    problems.push({
      path: origin.inline ? `${origin.path}.${field}` : origin.path,
      message: `policy ${knob} ${value} is ${word} the platform floor ${floor} (${source})`,
    });
  };
  const approval = policy.approval;
  if (approval) {
    if (approval.minApprovals < floors.minApprovals) {
      below(
        'approval.minApprovals',
        'minApprovals',
        approval.minApprovals,
        floors.minApprovals,
        'below',
      );
    }
    if (PERMISSIONS.indexOf(approval.minPermission) < PERMISSIONS.indexOf(floors.minPermission)) {
      below(
        'approval.minPermission',
        'minPermission',
        approval.minPermission,
        floors.minPermission,
        'below',
      );
    }
  }
  const probe = policy.probe;
  if (probe) {
    if (probe.load.requests < floors.minRequests) {
      below('probe.load.requests', 'requests', probe.load.requests, floors.minRequests, 'below');
    }
    if (probe.pass.maxLeakRate > floors.maxLeakRate) {
      below(
        'probe.pass.maxLeakRate',
        'maxLeakRate',
        probe.pass.maxLeakRate,
        floors.maxLeakRate,
        'above',
      );
    }
    if (probe.pass.confidence < floors.minConfidence) {
      below(
        'probe.pass.confidence',
        'confidence',
        probe.pass.confidence,
        floors.minConfidence,
        'below',
      );
    }
    if (probe.pass.maxErrorRate > floors.maxErrorRate) {
      below(
        'probe.pass.maxErrorRate',
        'maxErrorRate',
        probe.pass.maxErrorRate,
        floors.maxErrorRate,
        'above',
      );
    }
  }
  return problems;
}
