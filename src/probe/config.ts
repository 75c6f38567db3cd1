import { parseDuration } from '../policy/duration.ts';
import type { ProbeSpec } from '../policy/schema.ts';

/** A tenant with its secrets resolved: what the run loop needs, nothing more. */
export interface ProbeTenant {
  name: string;
  identity: string;
  markers: string[];
  auth: {
    /** Static credential headers (bearer, API key, cookie). */
    headers: Record<string, string>;
    login?: {
      method: string;
      path: string;
      body?: { contentType: string; text: string };
      tokenPointer?: string;
    };
  };
  /** Every secret value of this tenant: searched for in others' responses, never printed. */
  secrets: string[];
}

/** A probe run, fully resolved: durations in milliseconds, secrets in hand. */
export interface ProbeConfig {
  target: string;
  headers: Record<string, string>;
  tenants: ProbeTenant[];
  identity: { path: string; jsonPointer: string };
  endpoints: string[];
  load: {
    concurrency: number;
    requests: number;
    durationMs: number;
    cancelRatio: number;
    reloginEvery: number;
    timeoutMs: number;
    maxBodyBytes: number;
  };
  pass: { maxLeakRate: number; confidence: number; maxErrorRate: number };
}

export interface ProbeOverrides {
  target?: string;
  requests?: number;
  concurrency?: number;
  durationMs?: number;
}

/** A probe setting that cannot work, found before any request is sent. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Combines a validated probe section, resolved tenants and command-line overrides. */
export function probeConfig(
  spec: ProbeSpec,
  tenants: ProbeTenant[],
  overrides: ProbeOverrides = {},
): ProbeConfig {
  const target = overrides.target ?? spec.target;
  if (!target) throw new ConfigError('no target: set probe.target in the policy or pass --target');
  return {
    target,
    headers: spec.headers ?? {},
    tenants,
    identity: spec.identity,
    endpoints: spec.endpoints,
    load: {
      concurrency: overrides.concurrency ?? spec.load.concurrency,
      requests: overrides.requests ?? spec.load.requests,
      durationMs: overrides.durationMs ?? parseDuration(spec.load.duration) ?? 60_000,
      cancelRatio: spec.load.cancelRatio,
      reloginEvery: spec.load.reloginEvery,
      timeoutMs: parseDuration(spec.load.timeout) ?? 10_000,
      maxBodyBytes: spec.load.maxBodyBytes,
    },
    pass: spec.pass,
  };
}
