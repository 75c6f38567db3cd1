import type { CanaryOutcome } from './types.ts';

/**
 * Real-user requests that reached a release while it was a candidate: the most that any
 * witness counted (the router, the candidate by credential presented, the customers by who
 * answered them, the candidate's record of leaking responses to customers). They count the
 * same requests from different places, so the largest is the honest figure. Pure.
 */
export function realExposed(outcome: Pick<CanaryOutcome, 'exposure' | 'leaking'>): number {
  const { router, candidate, customers } = outcome.exposure;
  return Math.max(router, candidate, customers, outcome.leaking.toRealCustomers);
}
