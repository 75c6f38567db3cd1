import { afterEach, describe, expect, it } from 'vitest';
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
});
