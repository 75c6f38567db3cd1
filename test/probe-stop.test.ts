import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { runTargets } from '../src/operator/probe-run.ts';
import { runProbe } from '../src/probe/run.ts';
import { type Shop, startShop } from '../src/shop/index.ts';
import { sampleConfig } from './support/shop-probe.ts';

let shop: Shop | undefined;
afterEach(async () => {
  await shop?.close();
  shop = undefined;
});

describe('stopping a probe run', () => {
  it('ends at the signal, says so, and never passes', async () => {
    shop = await startShop({ backendLatencyMs: 2 });
    const config = await sampleConfig(shop.url, { requests: 1_000_000, durationMs: 60_000 });
    const stop = new AbortController();
    let progressed = 0;
    const verdict = await runProbe(config, {
      signal: stop.signal,
      onProgress: (counters) => {
        progressed = counters.checked;
        if (counters.checked > 50) stop.abort();
      },
    });
    expect(progressed).toBeGreaterThan(50);
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(/stopped before it finished/);
    expect(verdict.counters.checked).toBeLessThan(1_000_000);
  });

  it('does not start when the signal is already aborted', async () => {
    shop = await startShop();
    const config = await sampleConfig(shop.url, { requests: 1_000 });
    const verdict = await runProbe(config, { signal: AbortSignal.abort() });
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.counters.checked).toBe(0);
  });

  // A guard's probe keeps one signal for as long as the guard lives and runs again and
  // again: a listener left on it holds each finished run (its connection pools, latencies,
  // sessions) for good, a few hundred KiB per run per guard.
  it('leaves no listener on the signal it was given once a run has ended', async () => {
    shop = await startShop();
    const config = await sampleConfig(shop.url, { requests: 20 });
    const keep = new AbortController();
    const verdict = await runProbe(config, { signal: keep.signal });
    expect(verdict.counters.checked).toBeGreaterThan(0);
    expect(getEventListeners(keep.signal, 'abort')).toHaveLength(0);

    const report = await runTargets({
      base: {
        kind: 'probe',
        target: 'stable',
        mode: 'guard',
        templateHash: 'h',
        runId: 'r',
        maxLeakRate: config.pass.maxLeakRate,
      },
      targets: [{ url: shop.url, config }],
      confidence: config.pass.confidence,
      runner: runProbe,
      log: createLogger({ level: 'silent' }),
      signal: keep.signal,
      deliver: () => {},
      onRequests: () => {},
    });
    expect(report?.counters.checked).toBeGreaterThan(0);
    expect(getEventListeners(keep.signal, 'abort')).toHaveLength(0);
  });
});
