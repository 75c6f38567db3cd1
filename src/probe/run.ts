import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.ts';
import type { ProbeConfig } from './config.ts';
import type { LeakFinding } from './detect.ts';
import { type ExchangeContext, type ExchangeResult, exchange } from './exchange.ts';
import { FailureTally } from './failure-tally.ts';
import { loginAs } from './login-run.ts';
import { sharedMatcher } from './matcher-cache.ts';
import { markerPatterns } from './patterns.ts';
import {
  burstWave,
  openingPlan,
  type PlannedRequest,
  type PlanShape,
  sustainedRequest,
} from './plan.ts';
import { evidenceHeaders } from './redact.ts';
import { refusedRequest } from './refusals.ts';
import { describeError, Latencies, round } from './run-figures.ts';
import { Sessions } from './sessions.ts';
import { intervalTicker, type Ticker } from './ticker.ts';
import { AbandonedError, Transport } from './transport.ts';
import {
  type LeakEvidence,
  noCounters,
  type Pattern,
  type ProbeCounters,
  type ProbeVerdict,
  type ProbeWarning,
  type RequestInfo,
} from './types.ts';
import { judge } from './verdict.ts';

/**
 * The probe run: an opening of deterministic interleaved and cancelled requests, bursts,
 * then sustained concurrent load until the sample budget or the time runs out, stopping
 * at the first leak. Requests in flight when a leak is found are abandoned at once.
 */

export interface RunHooks {
  /** Called every `progressEveryMs` (default 250) with the counters so far. */
  onProgress?: (counters: ProbeCounters, elapsedMs: number) => void;
  progressEveryMs?: number;
  /** Drives onProgress; tests pass their own to tick when they choose. */
  ticker?: Ticker;
  /** Called the moment a leak is found, before the run winds down. */
  onLeak?: (leak: LeakEvidence) => void;
  /** Called with the latency of each answer read whole and checked (a clean sample). */
  onLatency?: (ms: number) => void;
  random?: () => number;
  /** Run events (start, phases, logins, the leak, the end); never a credential. */
  log?: Logger;
  /** Ends the run early (requests in flight are abandoned); the verdict says it was stopped. */
  signal?: AbortSignal;
}

const BURST_WAVES = 4;
/** How reports name the sender of a request without credentials. */
const NOBODY = '(no credentials)';

export async function runProbe(config: ProbeConfig, hooks: RunHooks = {}): Promise<ProbeVerdict> {
  const run = new ProbeRun(config, hooks);
  try {
    return await run.execute();
  } finally {
    await run.close();
  }
}

class ProbeRun {
  readonly config: ProbeConfig;
  readonly hooks: RunHooks;
  readonly stop = new AbortController();
  readonly t0 = performance.now();
  readonly startedAt = new Date();
  readonly transport: Transport;
  readonly ctx: ExchangeContext;
  readonly sessions: Sessions;
  readonly shape: PlanShape;
  readonly counters: ProbeCounters = noCounters();
  readonly failures = new FailureTally();
  readonly warnings = new Map<string, ProbeWarning>();
  readonly identityChecks: number[];
  readonly latencies = new Latencies();
  readonly secrets: string[];
  readonly failureAllowance: number;
  leak: LeakEvidence | undefined;
  abortedBecause: string | undefined;
  /** Listens on hooks.signal until close(): the caller's signal may outlive many runs. */
  readonly onStopped = () => {
    this.abortedBecause ??= 'stopped before it finished';
    this.stop.abort();
  };

  constructor(config: ProbeConfig, hooks: RunHooks) {
    this.config = config;
    this.hooks = hooks;
    const { load } = config;
    this.transport = new Transport(config.target, {
      // One pool per tenant and one for requests without credentials.
      pools: config.tenants.length + 1,
      concurrency: load.concurrency,
      timeoutMs: load.timeoutMs,
      ...(config.tls ? { tls: config.tls } : {}),
      ...(config.addresses ? { addresses: config.addresses } : {}),
    });
    const { patterns, owners } = markerPatterns(config.tenants);
    this.ctx = {
      transport: this.transport,
      matcher: sharedMatcher(patterns),
      detectContext: { tenants: config.tenants, owners },
      identityPointer: config.identityPointer,
      maxBodyBytes: load.maxBodyBytes,
      maxExpansion: load.maxExpansion,
      issued: new Map(),
    };
    this.sessions = new Sessions(config.tenants, load.reloginEvery, (t) => loginAs(this, t));
    this.shape = { tenants: config.tenants.length, requests: config.requests.length };
    this.identityChecks = config.tenants.map(() => 0);
    this.secrets = [...config.tenants.flatMap((t) => t.secrets), ...config.requestSecrets];
    this.failureAllowance = Math.max(20, Math.ceil(config.pass.maxErrorRate * load.requests));
    if (hooks.signal?.aborted) this.onStopped();
    else hooks.signal?.addEventListener('abort', this.onStopped, { once: true });
  }

  elapsed(): number {
    return performance.now() - this.t0;
  }

  done(): boolean {
    if (this.stop.signal.aborted) return true;
    if (this.counters.checked >= this.config.load.requests) return true;
    if (this.elapsed() >= this.config.load.durationMs) return true;
    if (this.counters.failed + this.counters.unchecked > this.failureAllowance) {
      this.abortedBecause = this.failures.stopReason(this.counters);
      this.stop.abort();
      return true;
    }
    return false;
  }

  async execute(): Promise<ProbeVerdict> {
    const { onProgress } = this.hooks;
    const stopProgress = onProgress
      ? (this.hooks.ticker ?? intervalTicker)(this.hooks.progressEveryMs ?? 250, () =>
          onProgress(this.counters, this.elapsed()),
        )
      : undefined;
    // The time budget is a hard end: requests still in flight then are abandoned, so
    // whatever the target does (drip bytes, never finish a body) the run ends on time.
    const deadline = setTimeout(() => {
      this.stop.abort();
      void this.transport.close();
    }, this.config.load.durationMs);
    const log = this.hooks.log;
    log?.debug(
      {
        target: this.config.target,
        tenants: this.config.tenants.map((t) => t.name),
        load: this.config.load,
      },
      'probe run starting',
    );
    try {
      log?.debug({ phase: 'opening' }, 'interleaved and cancelled requests, one at a time');
      for (const planned of openingPlan(this.shape)) {
        if (this.done()) break;
        await this.one(planned);
      }
      if (!this.done())
        log?.debug({ phase: 'burst', sent: this.counters.sent }, 'bursts of concurrent requests');
      for (let wave = 0; wave < BURST_WAVES && !this.done(); wave++) {
        await Promise.all(
          burstWave(this.shape, wave, this.config.load.concurrency).map((p) => this.one(p)),
        );
      }
      let next = 0;
      const random = this.hooks.random ?? Math.random;
      const worker = async () => {
        while (!this.done()) {
          await this.one(
            sustainedRequest(this.shape, next++, this.config.load.cancelRatio, random()),
          );
        }
      };
      if (!this.done())
        log?.debug({ phase: 'sustained', sent: this.counters.sent }, 'sustained concurrent load');
      await Promise.all(Array.from({ length: this.config.load.concurrency }, worker));
    } finally {
      stopProgress?.();
      clearTimeout(deadline);
    }
    const verdict = this.verdict();
    log?.info(
      { outcome: verdict.outcome, reason: verdict.reason, counters: verdict.counters },
      'probe run finished',
    );
    return verdict;
  }

  count(pattern: Pattern, pool: 'tenant' | 'shared', field: 'sent' | 'checked'): void {
    const entry = this.counters.byPattern[pattern] ?? { sent: 0, checked: 0 };
    this.counters.byPattern[pattern] = entry;
    entry[field]++;
    if (field === 'sent') this.counters.byPool[pool]++;
  }

  /** `refused`: a credential the target refused, not a target that is down. */
  fail(reason: string, refused = false): void {
    this.counters.failed++;
    this.failures.add(reason, refused);
  }

  warn(kind: ProbeWarning['kind'], path: string, detail: string): void {
    const key = `${kind} ${path} ${detail}`;
    const existing = this.warnings.get(key);
    if (existing) existing.count++;
    else this.warnings.set(key, { kind, path, detail, count: 1 });
  }

  /** A finding with what the report needs around it; headers stripped of credentials. */
  evidence(
    finding: LeakFinding,
    request: RequestInfo,
    result: ExchangeResult,
    latency: number,
  ): LeakEvidence {
    return {
      ...finding,
      request,
      status: result.status,
      headers: evidenceHeaders(
        result.headers,
        result.setCookies,
        finding.match?.header,
        this.redactable(),
      ),
      elapsedMs: round(this.elapsed()),
      latencyMs: round(latency),
    };
  }

  /** Every value never to be shown: static secrets, and what logins issued during the run. */
  redactable(): string[] {
    return [...this.secrets, ...this.ctx.issued.keys()];
  }

  /**
   * Keeps the first leak and stops the run. A second one, found by a request that was in
   * flight, is counted as cancelled: the run had ended, and reports show one leak.
   */
  recordLeak(leak: LeakEvidence): void {
    if (this.leak) {
      this.counters.cancelled++;
      return;
    }
    this.leak = leak;
    // Told first: what the leak sets off (a revert) must not wait behind stopping the
    // run, which aborts every request in flight and closes the connections.
    this.hooks.onLeak?.(leak);
    this.stop.abort();
    void this.transport.close();
    this.hooks.log?.warn({ leak }, 'leak found: stopping the run');
  }

  async one(planned: PlannedRequest): Promise<void> {
    const request = this.config.requests[planned.request];
    const tenant = planned.anonymous ? undefined : this.config.tenants[planned.tenant];
    if (!request || (!tenant && !planned.anonymous)) return;
    let credentials: Record<string, string> | undefined = {};
    if (tenant) {
      const fresh = this.sessions.headersFor(planned.tenant);
      credentials = fresh instanceof Promise ? await fresh : fresh;
      if (this.stop.signal.aborted) return;
      // Not sent: the failed login was counted, and is the failure to report.
      if (!credentials) return;
    }
    const info: RequestInfo = {
      number: ++this.counters.sent,
      tenant: tenant?.name ?? NOBODY,
      method: request.method,
      path: request.path,
      pattern: planned.pattern,
      pool: planned.pool,
    };
    this.count(planned.pattern, planned.pool, 'sent');
    if (planned.anonymous) this.counters.anonymous++;
    // Only abandoned requests carry a signal: a leak stops the others by closing the pools.
    let cancelTimer: NodeJS.Timeout | undefined;
    const timed = typeof planned.cancel === 'number';
    const cancel = timed ? new AbortController() : undefined;
    if (cancel && typeof planned.cancel === 'number') {
      const after = Math.max(1, planned.cancel * this.latencies.typical());
      cancelTimer = setTimeout(() => cancel.abort(), after);
    }
    const started = performance.now();
    try {
      const result = await exchange(this.ctx, {
        tenant: planned.tenant,
        anonymous: planned.anonymous,
        pool: planned.pool === 'shared' ? 'shared' : planned.tenant,
        method: request.method,
        path: request.path,
        headers: { ...this.config.headers, ...request.headers, ...credentials },
        body: request.body?.text,
        identity: planned.identity,
        signal: cancel?.signal,
        abandonWhenSent: planned.cancel === 'sent',
        abandonAtHeaders: planned.cancel === 'headers',
      });
      const latency = performance.now() - started;
      this.counters.bytesScanned += result.scanned;
      const { detection } = result;
      if (detection.leak) {
        this.recordLeak(this.evidence(detection.leak, info, result, latency));
        return;
      }
      if (result.unchecked) {
        // Read in part: findings in that part counted above, but it is no clean sample.
        this.counters.unchecked++;
        this.warn(result.unchecked.kind, request.path, result.unchecked.detail);
        return;
      }
      if (detection.cacheRisk) this.warn('cache-risk', request.path, detection.cacheRisk);
      if (detection.failure) {
        const refused = tenant ? refusedRequest(tenant, result.status) : undefined;
        if (refused) this.fail(refused, true);
        else this.fail(`${detection.failure} on ${request.path}`);
        return;
      }
      this.counters.checked++;
      this.count(planned.pattern, planned.pool, 'checked');
      if (planned.identity && tenant)
        this.identityChecks[planned.tenant] = (this.identityChecks[planned.tenant] ?? 0) + 1;
      this.latencies.add(latency);
      this.hooks.onLatency?.(latency);
    } catch (error) {
      // In flight when the run stopped (a leak, the time budget) is cancelled too: every
      // request sent ends in exactly one count, so the report's sum adds up.
      const abandoned = cancel?.signal.aborted || error instanceof AbandonedError;
      if (abandoned || this.stop.signal.aborted) this.counters.cancelled++;
      else this.fail(describeError(error));
    } finally {
      clearTimeout(cancelTimer);
    }
  }

  get log(): Logger | undefined {
    return this.hooks.log;
  }

  verdict(): ProbeVerdict {
    const failures = this.failures.top();
    const identityChecks = Object.fromEntries(
      this.config.tenants.map((t, i) => [t.name, this.identityChecks[i] ?? 0]),
    );
    const judgement = judge({
      leak: this.leak,
      checked: this.counters.checked,
      failed: this.counters.failed,
      unchecked: this.counters.unchecked,
      identityChecks,
      topFailure: failures[0]?.reason,
      pass: this.config.pass,
      abortedBecause: this.leak ? undefined : this.abortedBecause,
    });
    const verdict: ProbeVerdict = {
      outcome: judgement.outcome,
      reason: judgement.reason,
      target: this.config.target,
      tenants: this.config.tenants.map((t) => t.name),
      startedAt: this.startedAt.toISOString(),
      durationMs: round(this.elapsed()),
      counters: this.counters,
      leakRateBound: judgement.leakRateBound,
      confidence: this.config.pass.confidence,
      maxLeakRate: this.config.pass.maxLeakRate,
      warnings: [...this.warnings.values()],
      failures,
      latencyMs: this.latencies.percentiles(),
      protocols: [...this.transport.protocols].sort(),
    };
    if (this.leak) verdict.leak = this.leak;
    return verdict;
  }

  async close(): Promise<void> {
    // A listener left behind would keep this run (its pools, latencies and sessions)
    // alive as long as the signal: for an operator's guard probe, as long as the guard.
    this.hooks.signal?.removeEventListener('abort', this.onStopped);
    this.stop.abort();
    await this.transport.close();
  }
}
