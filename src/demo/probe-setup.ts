import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatProblem, loadPolicyFile } from '../policy/load.ts';
import type { ProbeSpec } from '../policy/schema.ts';
import { resolveProbe } from '../policy/secrets.ts';
import { type ProbeConfig, type ProbeOverrides, probeConfig } from '../probe/config.ts';
import { REAL_CUSTOMERS, TEST_USERS } from '../shop/index.ts';

/** The probe as a user would set it up for the sample shop: policies/sample-shop.yaml. */

export const SAMPLE_POLICY = fileURLToPath(
  new URL('../../policies/sample-shop.yaml', import.meta.url),
);

/** What the sample policy reads from the environment, taken from the shop's test users. */
function sampleEnv(): Record<string, string> {
  const user = (name: string) => TEST_USERS.find((u) => u.name === name);
  return {
    ALICE_TOKEN: user('alice')?.token ?? '',
    BOB_PASSWORD: user('bob')?.password ?? '',
    CAROL_PASSWORD: user('carol')?.password ?? '',
    DAVE_API_KEY: user('dave')?.apiKey ?? '',
  };
}

/** Every credential of the shop's accounts: none may appear in the demo's output or reports. */
export function demoSecrets(): string[] {
  return [...TEST_USERS, ...REAL_CUSTOMERS]
    .flatMap((u) => [u.password, u.token, u.apiKey ?? ''])
    .filter(Boolean);
}

export interface DemoProbe {
  spec: ProbeSpec;
  /** A probe config pointed at `target`, sending `header` so the router knows it for a probe. */
  config(
    target: string,
    header: { name: string; value: string },
    overrides?: ProbeOverrides,
  ): ProbeConfig;
}

export async function loadDemoProbe(policyFile = SAMPLE_POLICY): Promise<DemoProbe> {
  const loaded = await loadPolicyFile(policyFile);
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  const spec = loaded.policy.probe;
  if (!spec) throw new Error(`${policyFile} has no probe section`);
  const resolved = resolveProbe(spec, {
    env: sampleEnv(),
    baseDir: dirname(policyFile),
  });
  return {
    spec,
    config(target, header, overrides = {}) {
      // The policy's probe headers are sent with every request, logins included: the router
      // tells probe traffic apart by this one.
      const headers = { ...spec.headers, [header.name]: header.value };
      return probeConfig({ ...spec, headers }, resolved, { ...overrides, target });
    },
  };
}
