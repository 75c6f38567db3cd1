import { createLogger } from '../../src/log.ts';
import {
  ProbeManager,
  type ProbeManagerOptions,
  type ProbeSetup,
} from '../../src/operator/probes.ts';
import { serviceUrlFromTemplate } from '../../src/operator/service-url.ts';
import { ProbeSpec } from '../../src/policy/schema.ts';
import type { ProbeConfig } from '../../src/probe/config.ts';
import type { RunHooks } from '../../src/probe/run.ts';
import { type LeakEvidence, noCounters, type ProbeVerdict } from '../../src/probe/types.ts';
import { validateSpec } from '../../src/release/validate.ts';
import POLICY from '../fixtures/operator/policy.json' with { type: 'json' };

/** Probe manager tests: a scripted runner instead of real HTTP, and what it needs. */

const silent = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SPEC = {
  targetRef: { name: 'shop' },
  service: { port: 8080 },
  policy: { inline: POLICY },
  tenantsSecretRef: { name: 'shop-tenants' },
  source: { repository: 'acme/shop' },
};

export function setup(edgeURL?: string): ProbeSetup {
  const checked = validateSpec({ ...SPEC, probe: edgeURL ? { edgeURL } : {} });
  if (!checked.ok) throw new Error('bad spec');
  const probe = ProbeSpec.parse(POLICY.probe);
  return {
    spec: checked.value,
    probe,
    resolved: { tenants: [], requests: [], secrets: [] },
    allowed: { repository: 'acme/shop', targetOverride: false, addresses: { allowLoopback: true } },
  };
}

export const LEAK: LeakEvidence = {
  kind: 'identity-mismatch',
  summary: 'bob was told alice',
  request: {
    number: 3,
    tenant: 'bob',
    method: 'GET',
    path: '/api/me',
    pattern: 'interleaved',
    pool: 'tenant',
  },
  status: 200,
  headers: {},
  elapsedMs: 5,
  latencyMs: 1,
};

export function verdict(config: ProbeConfig, outcome: ProbeVerdict['outcome']): ProbeVerdict {
  return {
    outcome,
    reason: outcome,
    target: config.target,
    tenants: [],
    startedAt: new Date().toISOString(),
    durationMs: 1,
    counters: { ...noCounters(), sent: 10, checked: 10, byPool: { tenant: 10, shared: 0 } },
    leakRateBound: outcome === 'leak' ? null : 0.01,
    confidence: 0.95,
    maxLeakRate: 0.05,
    warnings: [],
    failures: [],
    latencyMs: { p50: 1, p99: 1, max: 1 },
    protocols: ['http/1.1'],
    ...(outcome === 'leak' && { leak: LEAK }),
  };
}

/** A runner: each call waits `ms`, leaks on targets matching `leaky`, else passes. */
export function scriptedRun(ms: number, leaky?: RegExp) {
  const targets: string[] = [];
  const run = async (config: ProbeConfig, hooks: RunHooks = {}): Promise<ProbeVerdict> => {
    targets.push(config.target);
    await sleep(ms);
    if (leaky?.test(config.target)) {
      hooks.onLeak?.(LEAK);
      return verdict(config, 'leak');
    }
    return verdict(config, 'pass');
  };
  return { run, targets };
}

export const REF = { namespace: 'shop', name: 'shop' };

/** A probe manager whose Services are `http://<name>.<namespace>:<port>`. */
export function probeManager(
  options: Omit<ProbeManagerOptions, 'serviceUrl' | 'log'>,
): ProbeManager {
  return new ProbeManager({
    serviceUrl: serviceUrlFromTemplate('http://{name}.{namespace}:{port}'),
    log: silent,
    ...options,
  });
}
