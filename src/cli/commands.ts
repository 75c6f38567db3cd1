import type { Command } from './command.ts';

/**
 * The CLI's commands by name. Each is loaded only when it runs: importing all of them up
 * front cost seconds on every call (the operator alone pulls in @kubernetes/client-node),
 * and `vakt --version` or `vakt --help` need none of them.
 */
export interface CommandEntry {
  name: string;
  /** One line for `vakt --help`. */
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'probe',
    summary: 'probe a release as several test tenants and stop at the first cross-tenant leak',
    load: async () => (await import('./probe.ts')).probeCommand,
  },
  {
    name: 'gate',
    summary: 'check that a pull request or deployed commit had two-person approval',
    load: async () => (await import('./gate.ts')).gateCommand,
  },
  {
    name: 'policy',
    summary: 'check policy files; print the policy JSON Schema',
    load: async () => (await import('./policy.ts')).policyCommand,
  },
  {
    name: 'shop',
    summary: 'run the sample multi-tenant shop, clean or with a release flaw',
    load: async () => (await import('./shop.ts')).shopCommand,
  },
  {
    name: 'demo',
    summary:
      'run the whole story locally: gate, canary probe, leak caught and reverted, fix promoted',
    load: async () => (await import('./demo.ts')).demoCommand,
  },
  {
    name: 'serve',
    summary: "answer Flagger's webhooks with the two-person gate and the probe",
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'operator',
    summary: 'run the Kubernetes operator that guards Deployments with ReleaseGuards',
    load: async () => (await import('./operator.ts')).operatorCommand,
  },
  {
    name: 'app',
    summary:
      'run the GitHub App that posts two-person check runs and answers deployment protection rules',
    load: async () => (await import('./app.ts')).appCommand,
  },
];
