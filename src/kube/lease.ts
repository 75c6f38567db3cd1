import {
  CoordinationV1Api,
  type KubeConfig,
  type V1Lease,
  V1MicroTime,
} from '@kubernetes/client-node';
import type { LeaderElector } from '../operator/ports.ts';
import { describeError } from '../operator/refs.ts';
import { shareConnections } from './connections.ts';
import { abortableSleep, isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import { type Logger, silentLogger } from './logger.ts';

export interface LeaderElectorOptions {
  namespace: string;
  name: string;
  /** Unique per replica: the pod name. */
  identity: string;
  /** How long a lease lasts unrenewed (client-go default 15 s). */
  leaseMs?: number;
  /** How often the leader renews (10 s). */
  renewMs?: number;
  /** How often a follower tries, and a failed renewal is retried (2 s). */
  retryMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  log?: Logger;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it (client-node has
 * no helper): read, then create or replace with the resourceVersion read, so of two
 * replicas racing for it exactly one write succeeds and the other gets 409.
 *
 * The leader gives up (onLost) when it could not renew before its own lease would expire,
 * so that by the time another replica may take over, this one has stopped. Expiry is judged
 * from the lease's renewTime; it relies on clocks agreeing to within the margin between
 * leaseMs and renewMs, as client-go's defaults do.
 */
export function createLeaderElector(kc: KubeConfig, options: LeaderElectorOptions): LeaderElector {
  const api = shareConnections(kc).makeApiClient(CoordinationV1Api);
  const { namespace, name, identity } = options;
  const leaseMs = options.leaseMs ?? 15_000;
  const renewMs = options.renewMs ?? 10_000;
  const retryMs = options.retryMs ?? 2_000;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms, signal) => abortableSleep(ms, signal).catch(() => {}));
  const log = (options.log ?? silentLogger()).child({ lease: `${namespace}/${name}`, identity });
  const leaseSeconds = Math.max(1, Math.ceil(leaseMs / 1000));
  let leader = false;
  let stopping = new AbortController();
  let renewing: Promise<void> | undefined;

  /** One attempt to take or keep the lease; true when this replica holds it afterwards. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const at = now();
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ namespace, name });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: leaseSeconds,
              acquireTime: new V1MicroTime(at),
              renewTime: new V1MicroTime(at),
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (createError) {
        if (isAlreadyExists(createError) || isConflict(createError)) return false;
        throw createError;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const ours = holder === identity;
    if (holder && !ours && !expired(lease, at)) return false;
    try {
      await api.replaceNamespacedLease({
        namespace,
        name,
        body: {
          ...lease,
          spec: {
            ...spec,
            holderIdentity: identity,
            leaseDurationSeconds: leaseSeconds,
            renewTime: new V1MicroTime(at),
            acquireTime: ours && spec.acquireTime ? spec.acquireTime : new V1MicroTime(at),
            leaseTransitions: (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
          },
        },
      });
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  };

  const expired = (lease: V1Lease, at: number): boolean => {
    const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
    if (!renewed) return true;
    const seconds = lease.spec?.leaseDurationSeconds ?? leaseSeconds;
    return new Date(renewed).getTime() + seconds * 1000 < at;
  };

  const attempt = async (): Promise<boolean> => {
    try {
      return await tryAcquireOrRenew();
    } catch (error) {
      log.warn({ err: describeError(error) }, 'lease request failed');
      return false;
    }
  };

  /** Renews every renewMs; a failed renewal is retried every retryMs until the lease would lapse. */
  const renewLoop = async (onLost: () => void, signal: AbortSignal): Promise<void> => {
    let renewedAt = now();
    let wait = renewMs;
    while (!signal.aborted) {
      await sleep(wait, signal);
      if (signal.aborted) return;
      if (await attempt()) {
        renewedAt = now();
        wait = renewMs;
        continue;
      }
      if (signal.aborted) return;
      // Another attempt must finish before the lease lapses; otherwise step down now.
      if (now() + retryMs >= renewedAt + leaseMs || (await heldByOther())) {
        leader = false;
        log.warn('lost the lease');
        onLost();
        return;
      }
      wait = retryMs;
    }
  };

  const heldByOther = async (): Promise<boolean> => {
    try {
      const lease = await api.readNamespacedLease({ namespace, name });
      const holder = lease.spec?.holderIdentity ?? '';
      return holder !== '' && holder !== identity;
    } catch {
      return false;
    }
  };

  return {
    async acquire(onLost) {
      stopping = new AbortController();
      const { signal } = stopping;
      while (!signal.aborted) {
        if (await attempt()) {
          leader = true;
          log.info('acquired the lease');
          renewing = renewLoop(onLost, signal);
          return;
        }
        await sleep(retryMs * (1 + Math.random() * 0.2), signal);
      }
      throw new Error('leader election stopped before the lease was acquired');
    },

    async release() {
      stopping.abort();
      await renewing;
      renewing = undefined;
      if (!leader) return;
      leader = false;
      try {
        const lease = await api.readNamespacedLease({ namespace, name });
        if (lease.spec?.holderIdentity !== identity) return;
        // An empty holder is free at once: the next replica need not wait for expiry.
        await api.replaceNamespacedLease({
          namespace,
          name,
          body: {
            ...lease,
            spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
          },
        });
        log.info('released the lease');
      } catch (error) {
        log.warn(
          { err: describeError(error) },
          'could not release the lease; it expires on its own',
        );
      }
    },

    isLeader: () => leader,
  };
}
