import type { Logger } from '../log.ts';
import type { NotificationConfig } from '../notify/config.ts';
import { Notifier } from '../notify/notifier.ts';
import type { AdmissionSource } from './admission-source.ts';
import { ApprovalChecker, type GitHubSource } from './approvals.ts';
import { createMetrics, type OperatorMetrics } from './metrics.ts';
import { UNRESTRICTED_PLATFORM } from './platform.ts';
import { fixedPlatform, type PlatformSource } from './platform-source.ts';
import type { Cluster, LeaderElector, Stop } from './ports.ts';
import { ProbeManager } from './probes.ts';
import { Reconciler } from './reconciler.ts';
import { describeError as describe } from './refs.ts';
import {
  DEFAULT_SERVICE_URL_TEMPLATE,
  type ServiceUrl,
  serviceUrlFromTemplate,
} from './service-url.ts';

/**
 * The operator wired together: leadership first (when elected), then the watches, which
 * drive the reconciler; probes and approval checks report back into it.
 */

export interface OperatorOptions {
  cluster: Cluster;
  /** Without one, this process acts at once (a single replica, or a test). */
  elector?: LeaderElector;
  /** Watch one namespace; all when undefined. */
  namespace?: string;
  /** Watch these namespaces (instead of `namespace`). */
  namespaces?: string[];
  /**
   * The admin's floors and allow-lists (see platform.ts). Without one, UNRESTRICTED_PLATFORM:
   * `vakt operator` always passes its ConfigMap.
   */
  platform?: PlatformSource;
  /**
   * What is known of the chart's admission policies, shown on every guard as condition
   * AdmissionPolicies and as a metric; without one, neither (`vakt operator` always
   * passes one).
   */
  admission?: AdmissionSource;
  github?: GitHubSource;
  log: Logger;
  /** How probes reach the Services (default cluster DNS). */
  serviceUrl?: ServiceUrl;
  /** The time decide() is given (default Date.now). */
  clock?: () => number;
  /** Budget of a guard run between releases. */
  guardLoad?: { requests: number; concurrency: number };
  /** Reconcile passes running at once across all guards (default 32, see reconciler.ts). */
  passesAtOnce?: number;
  /** Where to count (default a fresh set): the CLI serves them before the operator starts. */
  metrics?: OperatorMetrics;
  /** Called when the lease is lost: the process should exit so a fresh one stands by. */
  onLeadershipLost?: () => void;
  /** Where decisions are announced (`--notifications`); none without sinks. */
  notifications?: NotificationConfig;
  /** How long stopping lets queued notifications go out (default 5 s). */
  notificationDrainMs?: number;
}

export type OperatorState = 'standby' | 'starting' | 'leading' | 'lost' | 'stopped';

export interface Operator {
  metrics: OperatorMetrics;
  state(): OperatorState;
  /** Watches started as leader, or standing by for the lease. */
  ready(): boolean;
  /** Resolves when the watches run (never, for a replica that stays passive). */
  started: Promise<void>;
  /** Stops cleanly: probes aborted, watches stopped, lease released. */
  stop(): Promise<void>;
}

const WATCH_RETRY = { firstMs: 500, maxMs: 30_000 };

export function startOperator(options: OperatorOptions): Operator {
  const { cluster, elector, log } = options;
  const metrics = options.metrics ?? createMetrics();
  let state: OperatorState = elector ? 'standby' : 'starting';
  let watching = false;
  let stopping: Promise<void> | undefined;
  const stops: Stop[] = [];
  const platform = options.platform ?? fixedPlatform(UNRESTRICTED_PLATFORM, 'unrestricted');
  const namespaces: (string | undefined)[] = options.namespaces?.length
    ? options.namespaces
    : [options.namespace];

  const probes = new ProbeManager({
    report: (ref, report) => reconciler.report(ref, report),
    serviceUrl: options.serviceUrl ?? serviceUrlFromTemplate(DEFAULT_SERVICE_URL_TEMPLATE),
    log: log.child({ component: 'probes' }),
    metrics,
    ...(options.guardLoad && { guardLoad: options.guardLoad }),
  });
  const approvals = new ApprovalChecker({
    cluster,
    ...(options.github && { github: options.github }),
    log: log.child({ component: 'approvals' }),
    report: (ref, report) => reconciler.report(ref, report),
    observer: metrics.github,
  });
  const notifier = options.notifications?.sinks.length
    ? new Notifier({
        config: options.notifications,
        log: log.child({ component: 'notifications' }),
        counter: metrics.notifications,
        ...(options.notificationDrainMs !== undefined && {
          drainMs: options.notificationDrainMs,
        }),
      })
    : undefined;
  const reconciler = new Reconciler({
    cluster,
    probes,
    approvals,
    metrics,
    log: log.child({ component: 'reconciler' }),
    clock: options.clock ?? Date.now,
    platform,
    ...(options.admission && { admission: options.admission }),
    ...(notifier && { notifier }),
    ...(options.passesAtOnce !== undefined && { passesAtOnce: options.passesAtOnce }),
  });

  const halt = async () => {
    platform.stop();
    options.admission?.stop();
    await reconciler.stop();
    await probes.stopAll();
    await approvals.stop();
    // After the passes: what they decided last still goes out, for a while.
    await notifier?.stop();
    const watches = stops.splice(0);
    watching = false;
    await Promise.allSettled(watches.map((stop) => stop()));
  };

  const onLost = () => {
    if (stopping || state === 'lost') return;
    state = 'lost';
    log.error('lost the leader lease: stopping work');
    void halt().finally(() => options.onLeadershipLost?.());
  };

  const started = (async () => {
    if (elector) {
      log.info('standing by for the leader lease');
      await elector.acquire(onLost);
      if (stopping) return;
      log.info('leading');
    }
    state = 'starting';
    // Read before the first pass, so no guard is judged without it.
    await platform.start(() => reconciler.platformChanged());
    const admission = options.admission;
    await admission?.start(() => {
      metrics.setAdmission(admission.current());
      // Every guard's condition says it again.
      reconciler.platformChanged();
    });
    for (const namespace of namespaces) {
      // Routes first: a guard's first pass may scale a candidate, and reads them then.
      stops.push(
        await retry(() => cluster.watchRoutes(namespace, (ns) => reconciler.routesChanged(ns))),
      );
      stops.push(
        await retry(() => cluster.watchGuards(namespace, (ref) => reconciler.guardChanged(ref))),
      );
      stops.push(
        await retry(() =>
          cluster.watchDeployments(namespace, (ref, generation) =>
            reconciler.deploymentChanged(ref, generation),
          ),
        ),
      );
      stops.push(
        await retry(() =>
          cluster.watchServices(namespace, (ref) => reconciler.serviceChanged(ref)),
        ),
      );
      stops.push(
        await retry(() => cluster.watchPods(namespace, (ref) => reconciler.podChanged(ref))),
      );
    }
    if (stopping) {
      await Promise.allSettled(stops.splice(0).map((stop) => stop()));
      return;
    }
    watching = true;
    state = 'leading';
    log.info({ namespaces: namespaces.map((n) => n ?? '(all)') }, 'watching ReleaseGuards');
  })();

  /** Starts a watch, retrying with backoff while the API server refuses. */
  async function retry(start: () => Promise<Stop>): Promise<Stop> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await start();
      } catch (error) {
        if (stopping) throw error;
        const ms = Math.min(WATCH_RETRY.maxMs, WATCH_RETRY.firstMs * 2 ** (attempt - 1));
        log.warn({ err: describe(error), retryInMs: ms }, 'could not start a watch');
        await new Promise((resolve) => setTimeout(resolve, ms));
      }
    }
  }

  return {
    metrics,
    state: () => state,
    // Leading means ready once every watch has listed its objects: a failed first list is
    // retried in the background, and until it succeeds the operator sees nothing.
    ready: () =>
      state === 'standby' ||
      (state === 'leading' && watching && stops.every((stop) => stop.synced?.() ?? true)),
    started: started.catch((error) => {
      if (stopping) return;
      // Leader election gave up: say so, so the process exits and a fresh one stands by.
      state = 'lost';
      log.error({ err: describe(error) }, 'operator failed to start');
      options.onLeadershipLost?.();
    }),
    stop() {
      stopping ??= (async () => {
        state = 'stopped';
        await halt();
        // Also ends a replica's wait for the lease; a leader hands the lease over at once.
        await elector?.release().catch((error) => {
          log.warn({ err: describe(error) }, 'could not release the lease');
        });
        log.info('operator stopped');
      })();
      return stopping;
    },
  };
}
