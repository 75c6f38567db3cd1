import { describe, expect, it } from 'vitest';
import { FairSlots } from '../src/operator/slots.ts';
import type { ProbeConfig } from '../src/probe/config.ts';
import type { RunHooks } from '../src/probe/run.ts';
import type { ProbeVerdict } from '../src/probe/types.ts';
import { probeManager, setup, verdict } from './support/probe-manager.ts';

/**
 * Guard runs share a fixed number of slots. Targets that never answer must not starve
 * the guards of other namespaces, and a guard never runs twice at once. Every wait is
 * for an event (a run starting), with a generous limit.
 */

const GUARD = { target: 'stable', mode: 'guard', templateHash: 'h', intervalMs: 1 } as const;

/** Fails with `what` when `promise` has not settled in a generous while. */
function within<T>(promise: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up waiting for ${what}`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/**
 * A runner against targets that never answer: a run ends only when it is aborted, or,
 * with `ignoreAbort`, when the test ends it. Tells when runs start.
 */
function hangingRunner(options: { ignoreAbort?: boolean } = {}) {
  const started: string[] = [];
  const ends = new Map<string, (() => void)[]>();
  const watchers: { done: () => boolean; resolve: () => void }[] = [];
  let running = 0;
  let most = 0;
  const when = (done: () => boolean): Promise<void> => {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => watchers.push({ done, resolve }));
  };
  const run = (config: ProbeConfig, hooks: RunHooks = {}): Promise<ProbeVerdict> =>
    new Promise((resolve) => {
      started.push(config.target);
      running += 1;
      most = Math.max(most, running);
      const end = () => {
        running -= 1;
        resolve(verdict(config, 'inconclusive'));
      };
      ends.set(config.target, [...(ends.get(config.target) ?? []), end]);
      if (!options.ignoreAbort) hooks.signal?.addEventListener('abort', end, { once: true });
      for (const w of watchers.filter((w) => w.done())) w.resolve();
    });
  return {
    run,
    started,
    most: () => most,
    /** Resolves once `count` runs have started, on `url` when given. */
    starts(count: number, url?: string): Promise<void> {
      return when(() => started.filter((u) => url === undefined || u === url).length >= count);
    },
    /** Ends the oldest run on `url` that is still going. */
    finish(url: string): void {
      ends.get(url)?.shift()?.();
    },
  };
}

/** Resolves once `done()` holds: for state no event announces. */
function until(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (done() ? resolve() : setTimeout(check, 5));
    check();
  });
}

describe('guard slots in the probe manager', () => {
  it('starts the guard run of another namespace while 16 targets of one never answer', async () => {
    const hanging = hangingRunner();
    const probes = probeManager({ report: () => {}, run: hanging.run });
    for (let i = 0; i < 20; i++) probes.start({ namespace: 'a', name: `g${i}` }, GUARD, setup());
    // Every slot (16 by default) is held by a run of namespace a, and none ever ends.
    await within(hanging.starts(16), "sixteen of namespace a's runs");
    probes.start({ namespace: 'b', name: 'shop' }, GUARD, setup());
    await within(hanging.starts(1, 'http://shop.b:8080'), "namespace b's guard run");
    expect(hanging.most()).toBeLessThanOrEqual(16);
    await probes.stopAll();
  });

  it('never runs one guard twice at once, even while a replaced run winds down', async () => {
    const hanging = hangingRunner({ ignoreAbort: true });
    const slots = new FairSlots(4);
    const probes = probeManager({ report: () => {}, run: hanging.run, guardSlots: slots });
    const ref = { namespace: 'a', name: 'g' };
    probes.start(ref, GUARD, setup());
    await within(hanging.starts(1), 'the first run');
    // Replaced: the old run is told to stop but takes its time; the new one waits for it.
    probes.start(ref, GUARD, setup());
    await within(
      until(() => slots.waiting() === 1),
      'the new run to wait for its turn',
    );
    expect(hanging.started).toEqual(['http://g.a:8080']);
    expect(slots.held()).toBe(1);
    hanging.finish('http://g.a:8080');
    await within(hanging.starts(2), 'the second run');
    expect(hanging.most()).toBe(1);
    const stopping = probes.stopAll();
    hanging.finish('http://g.a:8080');
    await stopping;
  });
});
