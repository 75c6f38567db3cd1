import { spawn } from 'node:child_process';
import type { LeakEvidence, ProbeVerdict } from './types.ts';

/**
 * Runs the user's revert command at the first leak (outside Kubernetes there is nothing
 * else to take the release back). The leak is described in VAKT_LEAK_* variables; the
 * variables that hold tenant credentials are removed from its environment.
 */

export interface OnLeakOptions {
  command: string;
  leak: LeakEvidence;
  target: string;
  env: Record<string, string | undefined>;
  /** Environment variable names that hold credentials: not passed on. */
  secretEnvNames: readonly string[];
  timeoutMs?: number;
  /** Where the command's own output goes. */
  output: (text: string) => void;
}

export function leakEnvironment(leak: LeakEvidence, target: string): Record<string, string> {
  const env: Record<string, string> = {
    VAKT_LEAK_KIND: leak.kind,
    VAKT_LEAK_SUMMARY: leak.summary,
    VAKT_LEAK_TENANT: leak.request.tenant,
    VAKT_LEAK_PATH: leak.request.path,
    VAKT_LEAK_REQUEST: String(leak.request.number),
    VAKT_LEAK_STATUS: String(leak.status),
    VAKT_LEAK_ELAPSED_MS: String(leak.elapsedMs),
    VAKT_TARGET: target,
  };
  if (leak.owner) env.VAKT_LEAK_OWNER = leak.owner;
  if (leak.expectedIdentity) env.VAKT_LEAK_EXPECTED = leak.expectedIdentity;
  if (leak.observedIdentity) env.VAKT_LEAK_OBSERVED = leak.observedIdentity;
  return env;
}

export function runOnLeak(options: OnLeakOptions): Promise<NonNullable<ProbeVerdict['onLeak']>> {
  const started = performance.now();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env)) {
    if (v !== undefined && !options.secretEnvNames.includes(k)) env[k] = v;
  }
  Object.assign(env, leakEnvironment(options.leak, options.target));
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', options.command], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 300_000,
    });
    child.stdout.on('data', (d: Buffer) => options.output(d.toString()));
    child.stderr.on('data', (d: Buffer) => options.output(d.toString()));
    const done = (result: Partial<NonNullable<ProbeVerdict['onLeak']>>) =>
      resolve({
        command: options.command,
        exitCode: null,
        signal: null,
        durationMs: Math.round(performance.now() - started),
        ...result,
      });
    child.on('error', (error) => done({ error: `could not start: ${error.message}` }));
    child.on('close', (code, signal) => done({ exitCode: code, signal }));
  });
}
