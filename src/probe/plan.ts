import type { Pattern } from './types.ts';

/**
 * Which request comes next. Pure: the run loop asks, this answers.
 * The order is chosen so that deterministic leaks show within the first few requests:
 * every tenant asks the same URL back to back (shared caches keyed without the user,
 * token caches keyed wrongly), then requests are abandoned mid-flight and followed by
 * another tenant (connections left a reply behind), then bursts and sustained load for
 * the races that only volume finds.
 */

export interface PlannedRequest {
  tenant: number;
  path: string;
  identity: boolean;
  pattern: Pattern;
  pool: 'tenant' | 'shared';
  /**
   * Abandon the request mid-flight: 0 as soon as it is written (the server is then surely
   * busy with it), otherwise after this fraction of the typical latency.
   */
  cancelAfter?: number;
}

export interface PlanShape {
  tenants: number;
  identityPath: string;
  endpoints: readonly string[];
}

function paths(shape: PlanShape): string[] {
  return [shape.identityPath, ...shape.endpoints];
}

function request(
  shape: PlanShape,
  tenant: number,
  path: string,
  pattern: Pattern,
  pool: 'tenant' | 'shared',
): PlannedRequest {
  return { tenant, path, identity: path === shape.identityPath, pattern, pool };
}

/** The sequential opening: interleaved passes through both pool kinds, and a cancel round. */
export function openingPlan(shape: PlanShape): PlannedRequest[] {
  const plan: PlannedRequest[] = [];
  const interleave = (pool: 'tenant' | 'shared') => {
    for (const path of paths(shape)) {
      for (let t = 0; t < shape.tenants; t++)
        plan.push(request(shape, t, path, 'interleaved', pool));
    }
  };
  interleave('shared');
  // A cancelled request, then the next tenant on the same path: a backend connection
  // that kept the abandoned reply hands it to whoever asks next.
  for (const cancelAfter of [0, 0.5]) {
    for (let t = 0; t < shape.tenants; t++) {
      plan.push({ ...request(shape, t, shape.identityPath, 'cancel', 'shared'), cancelAfter });
      plan.push(request(shape, (t + 1) % shape.tenants, shape.identityPath, 'cancel', 'shared'));
    }
  }
  interleave('tenant');
  return plan;
}

/** One burst: `size` requests fired at the same instant, all tenants, all paths. */
export function burstWave(shape: PlanShape, wave: number, size: number): PlannedRequest[] {
  const all = paths(shape);
  return Array.from({ length: size }, (_, i) => {
    const path = all[(wave + Math.floor(i / shape.tenants)) % all.length] ?? shape.identityPath;
    return request(
      shape,
      i % shape.tenants,
      path,
      'burst',
      (i + wave) % 2 === 0 ? 'shared' : 'tenant',
    );
  });
}

/**
 * The i-th request of sustained load: tenants take turns on the same path, pools
 * alternate per round, and every (1 / cancelRatio)-th request is abandoned.
 * `jitter` in [0, 1) varies when a cancel lands.
 */
export function sustainedRequest(
  shape: PlanShape,
  i: number,
  cancelRatio: number,
  jitter: number,
): PlannedRequest {
  const all = paths(shape);
  const round = Math.floor(i / shape.tenants);
  const path = all[round % all.length] ?? shape.identityPath;
  const pool = Math.floor(round / all.length) % 2 === 0 ? 'shared' : 'tenant';
  const planned = request(shape, i % shape.tenants, path, 'sustained', pool);
  if (cancelRatio > 0) {
    const every = Math.max(2, Math.round(1 / cancelRatio));
    // Alternate between abandoning once sent and after a random share of the latency.
    if (i % every === every - 1)
      planned.cancelAfter = Math.floor(i / every) % 2 === 0 ? 0 : 0.2 + 0.7 * jitter;
  }
  return planned;
}
