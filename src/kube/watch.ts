import { CustomObjectsApi, type KubeConfig, Watch } from '@kubernetes/client-node';
import { describeError } from '../operator/refs.ts';
import { abortableSleep, backoffMs, statusOf } from './errors.ts';
import { type Logger, silentLogger } from './logger.ts';

/**
 * A list+watch that never gives up until stopped. client-node's makeInformer stops for
 * good on any error but 410, and its Watch ends quietly after 30 s without data; an
 * operator that silently stops seeing changes is worse than one that crashes. So: list,
 * watch from the list's resourceVersion, resume after a dropped or idle connection from
 * the last resourceVersion seen, relist on 410 Gone, back off after errors.
 */

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ObjectRef {
  namespace: string;
  name: string;
}

export interface ListWatchOptions {
  kc: KubeConfig;
  /** The API group; '' (core) needs `list`, since CustomObjectsApi serves named groups only. */
  group: string;
  version: string;
  plural: string;
  /** Every namespace when undefined. */
  namespace?: string | undefined;
  /** Only objects with these labels (a label selector, as kubectl -l takes it). */
  labelSelector?: string;
  /**
   * Lists one page; default CustomObjectsApi (raw JSON, named groups). Core kinds pass
   * their typed list call.
   */
  list?: (page: { limit: number; _continue?: string }) => Promise<unknown>;
  /**
   * A kind that may not be installed (a CRD such as the Gateway API's HTTPRoute): a 404
   * counts as "none exist" (synced, every known object deleted) and the list is tried again
   * after the longest backoff, instead of holding readiness back for good.
   */
  optional?: boolean;
  /**
   * Called with the object as listed or watched; undefined for a deletion only a relist
   * could tell (the object is gone, its last state unknown).
   */
  onChange: (ref: ObjectRef, type: ChangeType, object?: WatchedObject) => void;
  log?: Logger;
  /** Backoff after failures (defaults 250 ms doubling to 30 s). */
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
  /** Asks the server to end each watch after this long (default 240-300 s, randomised). */
  timeoutSeconds?: number;
  /** Page size for lists, so a large collection does not come back as one huge response. */
  pageSize?: number;
}

export type Stop = (() => Promise<void>) & { synced: () => boolean };

export interface WatchedObject {
  metadata?: {
    namespace?: string;
    name?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
  };
  [key: string]: unknown;
}

interface Listed {
  items?: WatchedObject[];
  metadata?: { resourceVersion?: string; continue?: string };
}

type WatchEnd = 'gone' | 'ended' | 'idle' | 'stopped';

/** Starts watching; resolves once the first list has been tried (its objects delivered). */
export async function listWatch(options: ListWatchOptions): Promise<Stop> {
  const log = (options.log ?? silentLogger()).child({
    watch: `${options.plural}.${options.group}`,
    namespace: options.namespace ?? '*',
  });
  const api = options.kc.makeApiClient(CustomObjectsApi);
  const watcher = new Watch(options.kc);
  const base = options.group
    ? `/apis/${options.group}/${options.version}`
    : `/api/${options.version}`;
  const path = `${base}${options.namespace ? `/namespaces/${options.namespace}` : ''}/${options.plural}`;
  const stopping = new AbortController();
  /** Objects seen, by namespace/name, with their resourceVersion: a relist reports the difference. */
  let known = new Map<string, string>();
  let resourceVersion: string | undefined;
  let synced = false;
  const firstList = Promise.withResolvers<void>();

  const emit = (ref: ObjectRef, type: ChangeType, object?: WatchedObject) => {
    if (stopping.signal.aborted) return;
    try {
      options.onChange(ref, type, object);
    } catch (error) {
      log.error({ err: describeError(error), ref }, 'watch callback failed');
    }
  };

  const relist = async () => {
    const items: NonNullable<Listed['items']> = [];
    let next: string | undefined;
    let listVersion: string | undefined;
    do {
      const paging = { limit: options.pageSize ?? 500, ...(next ? { _continue: next } : {}) };
      const common = {
        group: options.group,
        version: options.version,
        plural: options.plural,
        ...paging,
        ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
      };
      const page = (
        options.list
          ? await options.list(paging)
          : options.namespace
            ? await api.listNamespacedCustomObject({ ...common, namespace: options.namespace })
            : await api.listClusterCustomObject(common)
      ) as Listed;
      items.push(...(page.items ?? []));
      next = page.metadata?.continue || undefined;
      listVersion = page.metadata?.resourceVersion;
    } while (next && !stopping.signal.aborted);
    const seen = new Map<string, string>();
    for (const item of items) {
      const ref = refOf(item);
      if (!ref) continue;
      const key = `${ref.namespace}/${ref.name}`;
      const version = item.metadata?.resourceVersion ?? '';
      seen.set(key, version);
      const before = known.get(key);
      if (before !== version) emit(ref, before === undefined ? 'ADDED' : 'MODIFIED', item);
    }
    // Deleted while we were not watching: only a relist can tell.
    for (const key of known.keys()) {
      if (seen.has(key)) continue;
      const [namespace = '', name = ''] = key.split('/');
      emit({ namespace, name }, 'DELETED');
    }
    known = seen;
    resourceVersion = listVersion;
  };

  const watchOnce = (from: string) =>
    new Promise<{ end: WatchEnd; events: number }>((resolve, reject) => {
      let events = 0;
      let gone = false;
      let failure: unknown;
      let controller: AbortController | undefined;
      if (stopping.signal.aborted) return resolve({ end: 'stopped', events });
      const onStop = () => {
        controller?.abort();
        resolve({ end: 'stopped', events });
      };
      stopping.signal.addEventListener('abort', onStop, { once: true });
      const finish = (error: unknown) => {
        stopping.signal.removeEventListener('abort', onStop);
        if (stopping.signal.aborted) resolve({ end: 'stopped', events });
        else if (gone) resolve({ end: 'gone', events });
        else if (failure) reject(failure);
        else if (isIdleTimeout(error)) resolve({ end: 'idle', events });
        else if (error) reject(error);
        else resolve({ end: 'ended', events });
      };
      const onEvent = (type: string, object: unknown) => {
        const meta = (object as { metadata?: { resourceVersion?: string } } | undefined)?.metadata;
        if (type === 'ERROR') {
          const code = (object as { code?: unknown } | undefined)?.code;
          if (code === 410) gone = true;
          else
            failure = Object.assign(new Error(`watch error event: ${JSON.stringify(object)}`), {
              statusCode: typeof code === 'number' ? code : 500,
            });
          return;
        }
        if (meta?.resourceVersion) resourceVersion = meta.resourceVersion;
        if (type === 'BOOKMARK') return;
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
        const ref = refOf(object as NonNullable<Listed['items']>[number]);
        if (!ref) return;
        events += 1;
        const key = `${ref.namespace}/${ref.name}`;
        if (type === 'DELETED') known.delete(key);
        else known.set(key, meta?.resourceVersion ?? '');
        emit(ref, type, object as WatchedObject);
      };
      const timeoutSeconds = options.timeoutSeconds ?? 240 + Math.floor(Math.random() * 60);
      watcher
        .watch(
          path,
          {
            resourceVersion: from,
            allowWatchBookmarks: true,
            timeoutSeconds,
            ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
          },
          onEvent,
          finish,
        )
        .then((started) => {
          controller = started;
          if (stopping.signal.aborted) started.abort();
        }, finish);
    });

  const loop = async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          try {
            await relist();
            synced = true;
          } finally {
            // The caller goes on after the first try either way; synced() tells which.
            firstList.resolve();
          }
        }
        const started = Date.now();
        const { end, events } = await watchOnce(resourceVersion ?? '0');
        if (end === 'stopped') break;
        if (end === 'gone') {
          log.info('watch history expired (410 Gone): relisting');
          resourceVersion = undefined;
          failures = 0;
          continue;
        }
        // A connection the server ends at once, again and again, must not become a hot loop.
        if (end === 'ended' && events === 0 && Date.now() - started < 1000) failures += 1;
        else failures = 0;
        if (failures > 0) await pause(failures);
      } catch (error) {
        if (stopping.signal.aborted) break;
        if (options.optional && statusOf(error) === 404) {
          // Not installed (yet): nothing of this kind exists. Look again now and then.
          absent();
          await pause(Number.POSITIVE_INFINITY);
          continue;
        }
        failures += 1;
        if (statusOf(error) === 410) resourceVersion = undefined;
        log.warn(
          {
            err: describeError(error),
            status: statusOf(error),
            failures,
            relist: resourceVersion === undefined,
          },
          'list or watch failed: retrying after a backoff',
        );
        await pause(failures);
      }
    }
  };

  const absent = () => {
    if (!synced) log.info('not served by the API server (its CRD is not installed): none exist');
    for (const key of known.keys()) {
      const [namespace = '', name = ''] = key.split('/');
      emit({ namespace, name }, 'DELETED');
    }
    known = new Map();
    resourceVersion = undefined;
    synced = true;
  };

  const pause = async (failures: number) => {
    const wait = backoffMs(failures, {
      baseMs: options.baseMs ?? 250,
      maxMs: options.maxMs ?? 30_000,
      ...(options.random ? { random: options.random } : {}),
    });
    await abortableSleep(wait, stopping.signal).catch(() => {});
  };

  const running = loop();
  await firstList.promise;
  const stop = async () => {
    stopping.abort();
    await running;
  };
  return Object.assign(stop, { synced: () => synced });
}

function refOf(object: NonNullable<Listed['items']>[number] | undefined): ObjectRef | undefined {
  const name = object?.metadata?.name;
  if (!name) return undefined;
  return { namespace: object.metadata?.namespace ?? '', name };
}

/** client-node's Watch aborts a stream that sent nothing for 30 s: routine, not a failure. */
function isIdleTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}
