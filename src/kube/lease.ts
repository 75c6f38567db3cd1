import {
  CoordinationV1Api,
  type KubeConfig,
  type V1Lease,
  V1MicroTime,
} from '@kubernetes/client-node';
import type { LeaderElector } from '../operator/ports.ts';
import { describeError } from '../operator/refs.ts';
import { raceAbort, withSignal } from './abort.ts';
import { type Clock, monotonicClock } from './clock.ts';
import { shareConnections } from './connections.ts';
import { isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import { NotLeadingError } from './fence.ts';
import {
  attemptBudgetMs,
  type LeaseRecord,
  type LeaseTimings,
  leadsAt,
  leaseTimings,
  mayTake,
  type Observation,
  observe,
} from './lease-decision.ts';
import { type Logger, silentLogger } from './logger.ts';

export interface LeaderElectorOptions extends Partial<LeaseTimings> {
  namespace: string;
  name: string;
  /** Unique per replica: the pod name. */
  identity: string;
  /** Monotonic time for every decision (default performance.now). */
  clock?: Clock;
  /** Written into renewTime and acquireTime for people reading the Lease; never decides. */
  wallClock?: () => number;
  log?: Logger;
}

/** After one attempt: this replica holds the Lease, another does, or the attempt failed. */
type Outcome = 'ours' | 'theirs' | 'failed';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it (client-node has
 * no helper): read, then create or replace with the resourceVersion read, so of two
 * replicas racing for it exactly one write succeeds and the other gets 409. The decisions
 * are in lease-decision.ts; here are the requests, each bounded by an AbortSignal.
 *
 * The leader renews every retryMs and leads while within renewDeadlineMs of its last
 * successful renewal; a follower takes the Lease only after leaseMs without a change it saw.
 */
export function createLeaderElector(kc: KubeConfig, options: LeaderElectorOptions): LeaderElector {
  const api = shareConnections(kc).makeApiClient(CoordinationV1Api);
  const { namespace, name, identity } = options;
  const { leaseMs, renewDeadlineMs, retryMs, requestTimeoutMs } = options;
  const timings = leaseTimings({
    ...(leaseMs !== undefined && { leaseMs }),
    ...(renewDeadlineMs !== undefined && { renewDeadlineMs }),
    ...(retryMs !== undefined && { retryMs }),
    ...(requestTimeoutMs !== undefined && { requestTimeoutMs }),
  });
  const clock = options.clock ?? monotonicClock;
  const wallClock = options.wallClock ?? Date.now;
  const log = (options.log ?? silentLogger()).child({ lease: `${namespace}/${name}`, identity });
  const leaseSeconds = Math.max(1, Math.ceil(timings.leaseMs / 1000));
  let observed: Observation | undefined;
  /** Monotonic start of the last successful write of the Lease. */
  let renewedAt: number | undefined;
  /** Aborts when leadership ends; aborted while not leading. */
  let term = new AbortController();
  term.abort(new NotLeadingError());
  let stopping = new AbortController();
  let renewing: Promise<void> | undefined;

  const read = async (signal: AbortSignal): Promise<V1Lease | undefined> => {
    try {
      return await raceAbort(
        api.readNamespacedLease({ namespace, name }, withSignal(signal)),
        signal,
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };

  /** One read and at most one write; `renewal` keeps only a Lease that is still ours. */
  const tryAcquireOrRenew = async (renewal: boolean, signal: AbortSignal): Promise<Outcome> => {
    const startedAt = clock.now();
    const lease = await read(signal);
    const at = new V1MicroTime(wallClock());
    const spec = lease?.spec ?? {};
    if (lease) {
      observed = observe(observed, recordOf(lease), clock.now());
      const ours = observed.record.holder === identity;
      if (renewal ? !ours : !mayTake(observed, identity, clock.now(), timings.leaseMs)) {
        return 'theirs';
      }
    }
    const fresh = spec.holderIdentity !== identity;
    const body: V1Lease = {
      ...lease,
      metadata: lease?.metadata ?? { name, namespace },
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: leaseSeconds,
        renewTime: at,
        acquireTime: !fresh && spec.acquireTime ? spec.acquireTime : at,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (lease && fresh ? 1 : 0),
      },
    };
    try {
      const write = lease
        ? api.replaceNamespacedLease({ namespace, name, body }, withSignal(signal))
        : api.createNamespacedLease({ namespace, body }, withSignal(signal));
      await raceAbort(write, signal);
    } catch (error) {
      if (isConflict(error) || isAlreadyExists(error)) return 'failed';
      throw error;
    }
    renewedAt = startedAt;
    return 'ours';
  };

  const attempt = async (renewal: boolean): Promise<Outcome> => {
    const budget = attemptBudgetMs(timings, clock.now(), renewal ? renewedAt : undefined);
    if (budget <= 0) return 'failed';
    const signal = AbortSignal.any([stopping.signal, clock.timeout(budget)]);
    try {
      return await tryAcquireOrRenew(renewal, signal);
    } catch (error) {
      log.warn({ err: describeError(error) }, 'lease request failed');
      return 'failed';
    }
  };

  const renewLoop = async (onLost: () => void, signal: AbortSignal): Promise<void> => {
    let wait = timings.retryMs;
    while (!signal.aborted) {
      await clock.sleep(wait, signal);
      if (signal.aborted) return;
      const outcome = await attempt(true);
      if (signal.aborted) return;
      const left = (renewedAt ?? 0) + timings.renewDeadlineMs - clock.now();
      if (outcome === 'ours') {
        wait = timings.retryMs;
      } else if (outcome === 'theirs' || left <= 0) {
        term.abort(new NotLeadingError());
        log.warn(
          outcome === 'theirs'
            ? 'lost the lease: another replica holds it'
            : 'lost the lease: could not renew it within the renew deadline',
        );
        onLost();
        return;
      } else {
        // Wake at the deadline at the latest, so leadership ends there and not later.
        wait = Math.min(timings.retryMs, left);
      }
    }
  };

  return {
    async acquire(onLost) {
      stopping = new AbortController();
      const { signal } = stopping;
      while (!signal.aborted) {
        if ((await attempt(false)) === 'ours' && !signal.aborted) {
          term = new AbortController();
          log.info('acquired the lease');
          renewing = renewLoop(onLost, signal);
          return;
        }
        await clock.sleep(timings.retryMs * (1 + Math.random() * 0.2), signal);
      }
      throw new Error('leader election stopped before the lease was acquired');
    },

    async release() {
      stopping.abort();
      await renewing;
      renewing = undefined;
      if (term.signal.aborted) return;
      // Writes stop before the Lease is given up, so no one else leads while they go on.
      term.abort(new NotLeadingError());
      const signal = clock.timeout(timings.requestTimeoutMs);
      try {
        const lease = await read(signal);
        if (lease?.spec?.holderIdentity !== identity) return;
        // An empty holder is free at once: the next replica need not wait for expiry.
        const body = {
          ...lease,
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
        };
        await raceAbort(
          api.replaceNamespacedLease({ namespace, name, body }, withSignal(signal)),
          signal,
        );
        log.info('released the lease');
      } catch (error) {
        log.warn(
          { err: describeError(error) },
          'could not release the lease; it expires on its own',
        );
      }
    },

    isLeading: () =>
      !term.signal.aborted && leadsAt(renewedAt, clock.now(), timings.renewDeadlineMs),
    signal: () => term.signal,
  };
}

function recordOf(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  const renewed = spec.renewTime ?? spec.acquireTime;
  return {
    holder: spec.holderIdentity ?? '',
    renewTime: renewed ? new Date(renewed).toISOString() : '',
    transitions: spec.leaseTransitions ?? 0,
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    durationMs: (spec.leaseDurationSeconds ?? 0) * 1000,
  };
}
