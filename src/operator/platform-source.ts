import { createHash } from 'node:crypto';
import type { Logger } from '../log.ts';
import { type PlatformConfig, type PlatformState, parsePlatform } from './platform.ts';
import type { Cluster } from './ports.ts';
import { refresher } from './refresh.ts';
import { describeError as describe } from './refs.ts';

/**
 * Keeps the platform configuration current: read from its ConfigMap at start and again
 * every `refreshMs`, so an admin's change applies without a restart; when what it says
 * changes, every guard is looked at again (`onChange`). Until the first read, and whenever
 * the ConfigMap is missing, unreadable or malformed, current() carries a problem instead
 * of a config: every guard is Invalid, never guarded by "no floors".
 */

export interface PlatformSourceOptions {
  cluster: Cluster;
  configMap: { namespace: string; name: string };
  log: Logger;
  /** Default 10 s. */
  refreshMs?: number;
}

export interface PlatformSource {
  current(): PlatformState;
  /** Reads now and then keeps reading; `onChange` after each read that changed the state. */
  start(onChange: () => void): Promise<void>;
  stop(): void;
}

const DEFAULT_REFRESH_MS = 10_000;

/** A fixed configuration (tests, and an operator embedded in another program). */
export function fixedPlatform(config: PlatformConfig, source = 'built-in'): PlatformSource {
  const state: PlatformState = { source, config };
  return { current: () => state, start: async () => {}, stop: () => {} };
}

export function configMapPlatform(options: PlatformSourceOptions): PlatformSource {
  const { cluster, configMap, log } = options;
  const source = `${configMap.namespace}/${configMap.name}`;
  let state: PlatformState = { source, problem: `platform configuration ${source} not read yet` };
  let digest = '';
  const refresh = refresher(options.refreshMs ?? DEFAULT_REFRESH_MS);

  const read = async (): Promise<boolean> => {
    let next: PlatformState;
    try {
      next = parsePlatform(
        await cluster.readConfigMap(configMap.namespace, configMap.name),
        source,
      );
    } catch (error) {
      next = {
        source,
        problem: `could not read platform configuration ${source}: ${describe(error)}`,
      };
    }
    const nextDigest = createHash('sha256').update(JSON.stringify(next)).digest('hex');
    if (nextDigest === digest) return false;
    digest = nextDigest;
    state = next;
    if (next.problem)
      log.error(
        { problem: next.problem },
        'platform configuration refused: every guard is Invalid',
      );
    else log.info({ source }, 'platform configuration read');
    return true;
  };

  return {
    current: () => state,
    async start(onChange) {
      if (await read()) onChange();
      refresh.start(read, onChange);
    },
    stop() {
      refresh.stop();
    },
  };
}
