import type { Pattern } from './types.ts';

/**
 * Which request comes next. Pure: the run loop asks, this answers.
 * The order is chosen so that deterministic leaks show within the first few requests:
 * every tenant asks the same URL back to back, and then somebody with no credentials at
 * all asks it too (shared caches keyed without the user, token caches keyed wrongly, a
 * cache that stores one credential kind and serves it to anyone), then requests are
 * abandoned mid-flight and followed by another tenant (connections left a reply behind),
 * then bursts and sustained load for the races that only volume finds.
 */

/**
 * When to abandon a request: once it is written ('sent': the server is then surely busy
 * with it), when its headers arrive ('headers'), or after this fraction of the median
 * latency. Several points, because where the backend's work sits inside the latency
 * depends on the machine and the path (a proxy in front adds its own share).
 */
export type CancelPoint = 'sent' | 'headers' | number;

export interface PlannedRequest {
  /** Tenant index; `shape.tenants` stands for nobody: a request without credentials. */
  tenant: number;
  anonymous: boolean;
  /** Index into the probe's requests: 0 is the identity request. */
  request: number;
  identity: boolean;
  pattern: Pattern;
  pool: 'tenant' | 'shared';
  cancel?: CancelPoint;
}

export interface PlanShape {
  tenants: number;
  /** How many requests the probe has: the identity request and the endpoints. */
  requests: number;
}

/** The cancel points of the opening, each tried by every tenant. */
export const OPENING_CANCELS: readonly CancelPoint[] = ['sent', 0.1, 0.25, 0.5, 0.75, 'headers'];

function planned(
  shape: PlanShape,
  slot: number,
  request: number,
  pattern: Pattern,
  pool: 'tenant' | 'shared',
): PlannedRequest {
  return {
    tenant: slot,
    anonymous: slot === shape.tenants,
    request,
    identity: request === 0,
    pattern,
    pool,
  };
}

/** Every tenant and then nobody: the slots of one round. */
function slots(shape: PlanShape): number {
  return shape.tenants + 1;
}

/** The sequential opening: interleaved passes through both pool kinds, and cancel rounds. */
export function openingPlan(shape: PlanShape): PlannedRequest[] {
  const plan: PlannedRequest[] = [];
  const interleave = (pool: 'tenant' | 'shared') => {
    for (let r = 0; r < shape.requests; r++) {
      for (let s = 0; s < slots(shape); s++) plan.push(planned(shape, s, r, 'interleaved', pool));
    }
  };
  interleave('shared');
  // A cancelled request, then the next tenant on the same request: a backend connection
  // that kept the abandoned reply hands it to whoever asks next.
  for (const cancel of OPENING_CANCELS) {
    for (let t = 0; t < shape.tenants; t++) {
      plan.push({ ...planned(shape, t, 0, 'cancel', 'shared'), cancel });
      plan.push(planned(shape, (t + 1) % shape.tenants, 0, 'cancel', 'shared'));
    }
  }
  interleave('tenant');
  return plan;
}

/** One burst: `size` requests fired at the same instant, all tenants and nobody, all requests. */
export function burstWave(shape: PlanShape, wave: number, size: number): PlannedRequest[] {
  const n = slots(shape);
  return Array.from({ length: size }, (_, i) => {
    const request = (wave + Math.floor(i / n)) % shape.requests;
    return planned(shape, i % n, request, 'burst', (i + wave) % 2 === 0 ? 'shared' : 'tenant');
  });
}

/**
 * The i-th request of sustained load: tenants, then nobody, take turns on the same
 * request; pools alternate per pass over the requests; every (1 / cancelRatio)-th tenant
 * request is abandoned, in turn once sent, at a random share of the latency, and at its
 * headers. `jitter` in [0, 1) varies when a timed cancel lands.
 */
export function sustainedRequest(
  shape: PlanShape,
  i: number,
  cancelRatio: number,
  jitter: number,
): PlannedRequest {
  const n = slots(shape);
  const round = Math.floor(i / n);
  const request = round % shape.requests;
  const pool = Math.floor(round / shape.requests) % 2 === 0 ? 'shared' : 'tenant';
  const next = planned(shape, i % n, request, 'sustained', pool);
  if (cancelRatio > 0 && !next.anonymous) {
    const every = Math.max(2, Math.round(1 / cancelRatio));
    // Counted over tenant requests alone, so the share holds whatever the round's size.
    const k = round * shape.tenants + (i % n);
    if (k % every === every - 1) {
      const kind = Math.floor(k / every) % 3;
      next.cancel = kind === 0 ? 'sent' : kind === 1 ? 0.05 + 0.9 * jitter : 'headers';
    }
  }
  return next;
}
