import { resolve } from 'node:path';
import { loadPolicyFile } from '../../src/policy/load.ts';
import { resolveProbe } from '../../src/policy/secrets.ts';
import { type ProbeConfig, type ProbeOverrides, probeConfig } from '../../src/probe/config.ts';
import { sampleShopEnv } from '../../src/shop/index.ts';

export const SAMPLE_POLICY = resolve(import.meta.dirname, '../../policies/sample-shop.yaml');

/** The credentials the sample policy reads from the environment. */
export function shopEnv(): Record<string, string> {
  return sampleShopEnv();
}

/** Every secret the sample policy uses: none may appear in any output. */
export function shopSecrets(): string[] {
  return Object.values(shopEnv());
}

/** The probe config a user gets from policies/sample-shop.yaml, pointed at `target`. */
export async function sampleConfig(
  target: string,
  overrides: ProbeOverrides = {},
  policy = SAMPLE_POLICY,
): Promise<ProbeConfig> {
  const loaded = await loadPolicyFile(policy);
  if (!loaded.ok || !loaded.policy.probe)
    throw new Error(`sample policy does not load: ${JSON.stringify(loaded)}`);
  const resolved = resolveProbe(loaded.policy.probe, {
    env: shopEnv(),
    baseDir: resolve(policy, '..'),
  });
  return probeConfig(loaded.policy.probe, resolved, { target, ...overrides });
}
