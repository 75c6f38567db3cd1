import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PERMISSIONS } from '../approval/schema.ts';
import { DEFAULT_MESSAGE, explainIssues, formatPath } from '../policy/issues.ts';

/**
 * What the cluster admin decides for every guard, above any namespace editor: floors no
 * guard's policy may go below, and allow-lists of the repositories, probe hosts and tenants
 * Secrets a guard may name. It lives in a ConfigMap in the operator's namespace (the chart
 * renders it from `platform:` values), key `platform.yaml`.
 */

export const PLATFORM_KEY = 'platform.yaml';

const Floors = z
  .strictObject({
    minApprovals: z.int().min(1).default(2).describe('least approval.minApprovals of any policy'),
    minPermission: z
      .enum(PERMISSIONS)
      .default('write')
      .describe('least approval.minPermission (read < triage < write < maintain < admin)'),
    minRequests: z.int().min(1).default(1000).describe('least probe.load.requests of a run'),
    maxLeakRate: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.01)
      .describe('largest probe.pass.maxLeakRate: the leak-rate bound a release must meet'),
    minConfidence: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.95)
      .describe('least probe.pass.confidence of that bound'),
    maxErrorRate: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe('largest probe.pass.maxErrorRate: failed requests are requests never checked'),
  })
  .describe('floors no guard policy may go below');
export type Floors = z.infer<typeof Floors>;

/** `owner/name`, or a glob over it: `acme/*`, `*\/*`. */
const RepositoryPattern = z.string().regex(/^[A-Za-z0-9_.*?-]+\/[A-Za-z0-9_.*?-]+$/, {
  message: 'expected owner/name, or a glob such as acme/*',
});

/** An exact host (a name or an IP address), `*.suffix` for any name under it, or `*` for any. */
const HostPattern = z
  .string()
  .regex(
    /^(\*|(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/,
    {
      message: 'expected a host name, an IP address, *.suffix or *',
    },
  );

const NamespaceRules = z
  .strictObject({
    repositories: z
      .array(RepositoryPattern)
      .default([])
      .describe('repositories spec.source.repository may name (and commit statuses go to)'),
    probeHosts: z
      .array(HostPattern)
      .default([])
      .describe('hosts spec.probe.edgeURL (and an allowed target override) may name'),
    probeTargetOverride: z
      .boolean()
      .default(false)
      .describe(
        'spec.probe.target may replace the <name>-canary Service for candidate probes (its host must be in probeHosts)',
      ),
  })
  .describe("what a namespace's guards may name");
export type NamespaceRules = z.infer<typeof NamespaceRules>;

const LabelSelector = z
  .string()
  .regex(/^([A-Za-z0-9./_-]+=[A-Za-z0-9._-]*)?$/, { message: 'expected key=value' })
  .describe('the label a tenants Secret must carry, as key=value ("" for none: any Secret)');

export const PlatformConfig = z.strictObject({
  floors: Floors.default(Floors.parse({})),
  namespaces: z
    .record(z.string().min(1), NamespaceRules)
    .default({})
    .describe('rules by namespace; the entry "*" serves namespaces without one of their own'),
  tenantsSecretLabel: LabelSelector.default('vakt.dev/tenants=true'),
  allowLoopback: z
    .boolean()
    .default(false)
    .describe('probes may reach 127.0.0.0/8 and ::1 (the operator pod itself)'),
});
export type PlatformConfig = z.infer<typeof PlatformConfig>;

/** Where the config came from, as messages name it: `vakt-system/vakt-platform`. */
export interface PlatformState {
  source: string;
  config?: PlatformConfig;
  /** Why there is no config: every guard is Invalid with this (fail closed). */
  problem?: string;
}

/** The rules for a namespace: its own entry, else "*", else nothing is allowed. */
export function rulesFor(config: PlatformConfig, namespace: string): NamespaceRules {
  return (
    config.namespaces[namespace] ??
    config.namespaces['*'] ?? { repositories: [], probeHosts: [], probeTargetOverride: false }
  );
}

/** Reads the ConfigMap's data; a problem names the ConfigMap, the key and the field. */
export function parsePlatform(data: Record<string, string> | null, source: string): PlatformState {
  if (!data) return { source, problem: `platform configuration ConfigMap ${source} not found` };
  const text = data[PLATFORM_KEY];
  if (text === undefined) {
    return {
      source,
      problem: `platform configuration ConfigMap ${source} has no key ${PLATFORM_KEY}`,
    };
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      source,
      problem: `platform configuration ${source}[${PLATFORM_KEY}]: not YAML: ${why}`,
    };
  }
  const parsed = PlatformConfig.safeParse(raw ?? {}, { error: () => DEFAULT_MESSAGE });
  if (!parsed.success) {
    const first = explainIssues(parsed.error.issues, raw, PlatformConfig)
      .slice(0, 3)
      .map((e) => `${formatPath(e.path) || '(top)'}: ${e.message}`)
      .join('; ');
    return { source, problem: `platform configuration ${source}[${PLATFORM_KEY}]: ${first}` };
  }
  return { source, config: parsed.data };
}

/**
 * What an operator embedded without a platform configuration applies (tests, a program
 * wiring startOperator itself): no floors beyond the policy schema's own, every repository
 * and host, loopback, and target overrides. `vakt operator` never uses it: it reads the
 * ConfigMap and fails closed without one.
 */
export const UNRESTRICTED_PLATFORM: PlatformConfig = PlatformConfig.parse({
  floors: {
    minApprovals: 1,
    minPermission: 'read',
    minRequests: 1,
    maxLeakRate: 0.999999,
    minConfidence: 0.000001,
    maxErrorRate: 1,
  },
  namespaces: { '*': { repositories: ['*/*'], probeHosts: ['*'], probeTargetOverride: true } },
  allowLoopback: true,
  tenantsSecretLabel: '',
});

/** The label a tenants Secret must carry, split: `vakt.dev/tenants=true` → key, value. */
export function tenantsLabel(config: PlatformConfig): { key: string; value: string } | undefined {
  if (config.tenantsSecretLabel === '') return undefined;
  const at = config.tenantsSecretLabel.indexOf('=');
  return {
    key: config.tenantsSecretLabel.slice(0, at),
    value: config.tenantsSecretLabel.slice(at + 1),
  };
}
