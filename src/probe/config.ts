import { parseDuration } from '../policy/duration.ts';
import type { ProbeSpec } from '../policy/schema.ts';
import type { CredentialSource, ResolvedProbe, ResolvedRequest } from '../policy/secrets.ts';
import type { AddressRules } from './addresses.ts';
import { BROWSER_ACCEPT_ENCODING } from './decode.ts';
import type { TlsOptions } from './transport.ts';

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
  /** Where its secrets came from, to name in a refusal (never the values). */
  sources?: CredentialSource[];
}

export type ProbeRequest = ResolvedRequest;

/** A probe run, fully resolved: durations in milliseconds, secrets in hand. */
export interface ProbeConfig {
  target: string;
  headers: Record<string, string>;
  tenants: ProbeTenant[];
  /** The identity request first, then the endpoints: each sent as every tenant and as nobody. */
  requests: ProbeRequest[];
  /** Where the identity request's JSON answer names the caller. */
  identityPointer: string;
  /** Secrets of the requests themselves (in bodies): never printed. */
  requestSecrets: string[];
  tls?: TlsOptions;
  /** Addresses no connection may reach (the operator's platform rules); none refused when unset. */
  addresses?: AddressRules;
  load: {
    concurrency: number;
    requests: number;
    durationMs: number;
    cancelRatio: number;
    reloginEvery: number;
    timeoutMs: number;
    maxBodyBytes: number;
    maxExpansion: number;
  };
  pass: { maxLeakRate: number; confidence: number; maxErrorRate: number };
}

export interface ProbeOverrides {
  target?: string;
  requests?: number;
  concurrency?: number;
  durationMs?: number;
  addresses?: AddressRules;
}

/** A probe setting that cannot work, found before any request is sent. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Combines a validated probe section, its resolved secrets and command-line overrides. */
export function probeConfig(
  spec: ProbeSpec,
  resolved: ResolvedProbe,
  overrides: ProbeOverrides = {},
): ProbeConfig {
  const target = overrides.target ?? spec.target;
  if (!target) throw new ConfigError('no target: set probe.target in the policy or pass --target');
  const config: ProbeConfig = {
    target,
    headers: withBrowserEncoding(spec.headers ?? {}),
    tenants: resolved.tenants,
    requests: resolved.requests,
    identityPointer: spec.identity.jsonPointer,
    requestSecrets: resolved.secrets,
    load: {
      concurrency: overrides.concurrency ?? spec.load.concurrency,
      requests: overrides.requests ?? spec.load.requests,
      durationMs: overrides.durationMs ?? parseDuration(spec.load.duration) ?? 60_000,
      cancelRatio: spec.load.cancelRatio,
      reloginEvery: spec.load.reloginEvery,
      timeoutMs: parseDuration(spec.load.timeout) ?? 10_000,
      maxBodyBytes: spec.load.maxBodyBytes,
      maxExpansion: spec.load.maxExpansion,
    },
    pass: spec.pass,
  };
  if (resolved.tls) config.tls = resolved.tls;
  if (overrides.addresses) config.addresses = overrides.addresses;
  return config;
}

/**
 * Edges compress for clients that say they can decode: a probe that does not say so takes
 * another path than users do (and another cache entry). Unless the policy chose, say what
 * a browser says.
 */
export function withBrowserEncoding(headers: Record<string, string>): Record<string, string> {
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'accept-encoding')) return headers;
  return { ...headers, 'accept-encoding': BROWSER_ACCEPT_ENCODING };
}
