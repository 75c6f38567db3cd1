import { spawn } from 'node:child_process';
import type { LeakEvidence, ProbeVerdict } from './types.ts';

/**
 * Runs the user's revert command at the first leak (outside Kubernetes there is nothing
 * else to take the release back). The leak is described in VAKT_LEAK_* variables; the
 * variables that hold tenant credentials are removed from its environment.
 */

export type OnLeakResult = NonNullable<ProbeVerdict['onLeak']>;

/** How long a revert command may take unless told otherwise (--on-leak-timeout). */
export const ON_LEAK_TIMEOUT_MS = 300_000;
/** After the timeout's SIGTERM, how long the command has to exit before SIGKILL. */
const KILL_GRACE_MS = 5_000;

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

/** A revert that did not say it succeeded: the leaking release may still be serving. */
export function revertFailed(result: OnLeakResult): boolean {
  return (
    result.error !== undefined ||
    result.timedOut === true ||
    result.signal !== null ||
    result.exitCode !== 0
  );
}

export function runOnLeak(options: OnLeakOptions): Promise<OnLeakResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? ON_LEAK_TIMEOUT_MS;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env)) {
    if (v !== undefined && !options.secretEnvNames.includes(k)) env[k] = v;
  }
  Object.assign(env, leakEnvironment(options.leak, options.target));
  return new Promise((resolve) => {
    // Its own process group, so a timeout stops everything the shell started: a `sleep`
    // left behind would hold the output pipes open and the run would never end.
    const child = spawn('/bin/sh', ['-c', options.command], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // The group is gone already: nothing left to stop.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => options.output(d.toString()));
    child.stderr.on('data', (d: Buffer) => options.output(d.toString()));
    let settled = false;
    const done = (result: Partial<OnLeakResult>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({
        command: options.command,
        exitCode: null,
        signal: null,
        durationMs: Math.round(performance.now() - started),
        timeoutMs,
        ...(timedOut ? { timedOut } : {}),
        ...result,
      });
    };
    child.on('error', (error) => done({ error: `could not start: ${error.message}` }));
    child.on('close', (code, signal) => done({ exitCode: code, signal }));
  });
}
