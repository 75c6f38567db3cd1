import type { Logger } from '../log.ts';
import type { AdmissionStatus } from '../release/state.ts';
import { type AdmissionReading, admissionState } from './admission-state.ts';
import type { Cluster } from './ports.ts';
import { refresher } from './refresh.ts';
import { describeError } from './refs.ts';

/**
 * Keeps what is known of the chart's admission policies current: read at start and again
 * every `refreshMs` (they have no watch here: the operator may only get them by name), so
 * a deleted or weakened policy or binding shows on every guard within one refresh. When
 * the state changes, `onChange` has every guard looked at again.
 */

export interface AdmissionSourceOptions {
  cluster: Cluster;
  /** The policies (and bindings, named alike) the chart installed; empty: none expected. */
  names: readonly string[];
  log: Logger;
  /** Default 60 s. */
  refreshMs?: number;
}

export interface AdmissionSource {
  current(): AdmissionStatus;
  /** Reads now and then keeps reading; `onChange` after each read that changed the state. */
  start(onChange: () => void): Promise<void>;
  stop(): void;
}

const DEFAULT_REFRESH_MS = 60_000;

export function clusterAdmission(options: AdmissionSourceOptions): AdmissionSource {
  const { cluster, names, log } = options;
  let state = admissionState(names, undefined);
  const refresh = refresher(options.refreshMs ?? DEFAULT_REFRESH_MS);

  const readAll = async (): Promise<AdmissionReading[]> => {
    try {
      return await cluster.readAdmission(names);
    } catch (error) {
      const unreadable = { state: 'unreadable', why: describeError(error) } as const;
      return names.map((name) => ({ name, policy: unreadable, binding: unreadable }));
    }
  };

  const read = async (): Promise<boolean> => {
    // Nothing to read when none is expected: the state says so, and never changes.
    const next = admissionState(names, names.length > 0 ? await readAll() : undefined);
    const changed =
      next.status !== state.status ||
      next.reason !== state.reason ||
      next.message !== state.message;
    state = next;
    if (!changed) return false;
    const entry = { reason: next.reason, message: next.message };
    if (next.status === 'True') log.info(entry, 'admission policies enforced');
    else log.warn(entry, 'admission policies not enforced');
    return true;
  };

  return {
    current: () => state,
    async start(onChange) {
      // The first read always reports, so the caller learns the state once.
      await read();
      onChange();
      if (names.length === 0) return;
      refresh.start(read, onChange);
    },
    stop() {
      refresh.stop();
    },
  };
}
