import { dirname, resolve } from 'node:path';
import { createLogger } from '../log.ts';
import { parseDuration } from '../policy/duration.ts';
import { resolveProbe } from '../policy/secrets.ts';
import { type ProbeOverrides, probeConfig } from '../probe/config.ts';
import { runOnLeak } from '../probe/on-leak.ts';
import { redactSecrets } from '../probe/redact.ts';
import { runProbe } from '../probe/run.ts';
import type { ProbeVerdict } from '../probe/types.ts';
import { probeMarkdown } from '../report/probe-markdown.ts';
import { probeText } from '../report/probe-text.ts';
import {
  EXIT,
  type Io,
  intFlag,
  ioStream,
  parseFlags,
  stdoutReport,
  UsageError,
  writeReport,
} from './command.ts';
import { loadCommandPolicy } from './command-policy.ts';

const FLAGS = {
  policy: { type: 'string' },
  target: { type: 'string' },
  requests: { type: 'string' },
  concurrency: { type: 'string' },
  duration: { type: 'string' },
  json: { type: 'string' },
  markdown: { type: 'string' },
  'on-leak': { type: 'string' },
  quiet: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

/** `vakt probe` itself, loaded only when it runs: --help needs none of this. */
export async function runProbeCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  if (!values.policy) throw new UsageError('--policy FILE is required (see vakt probe --help)');
  const overrides = parseOverrides(values);
  // A report on stdout moves the summary to stderr: `--json - | jq` must get JSON only.
  const summary = stdoutReport(values, ['json', 'markdown']) ? io.stderr : io.stdout;
  const spec = await loadCommandPolicy(io, values.policy, 'probe');
  if (!spec) return EXIT.badInput;
  // Secret files named in the policy are relative to the policy's folder.
  const baseDir = dirname(resolve(io.cwd, values.policy));
  const resolved = resolveProbe(spec, { env: io.env, baseDir });
  const secrets = [...resolved.tenants.flatMap((t) => t.secrets), ...resolved.secrets];
  const config = probeConfig(spec, resolved, overrides);
  const secretEnvNames = spec.tenants.flatMap((t) => envNames(t.auth));

  let onLeak: Promise<ProbeVerdict['onLeak']> | undefined;
  const progress = io.isTTY && !values.quiet;
  const log = values.verbose
    ? createLogger({ level: 'debug', pretty: io.isTTY, destination: ioStream(io) })
    : undefined;
  const verdict = await runProbe(config, {
    log,
    onProgress: progress
      ? (c, ms) =>
          io.stderr(
            `\r  ${(ms / 1000).toFixed(1)} s  ${c.sent} sent, ${c.checked} checked, ${c.failed} failed `,
          )
      : undefined,
    onLeak: (leak) => {
      const command = values['on-leak'];
      if (command) {
        onLeak = runOnLeak({
          command,
          leak,
          target: config.target,
          env: io.env,
          secretEnvNames,
          output: io.stderr,
        });
      }
    },
  });
  if (progress) io.stderr('\r\x1b[K');
  const ran = await onLeak;
  if (ran) verdict.onLeak = ran;

  const safe = (text: string) => redactSecrets(text, secrets);
  if (values.json)
    await writeReport(io, values.json, safe(`${JSON.stringify(verdict, null, 2)}\n`));
  if (values.markdown) await writeReport(io, values.markdown, safe(probeMarkdown(verdict)));
  const text = probeText(verdict, io.isTTY && !io.env.NO_COLOR);
  // Quiet still says why it failed: a bare exit code would leave a pipeline log silent.
  if (!values.quiet) summary(safe(text));
  else if (verdict.outcome !== 'pass') summary(safe(`${text.split('\n')[0]}\n`));
  if (verdict.outcome === 'pass') return EXIT.ok;
  if (verdict.outcome === 'leak') return EXIT.fail;
  return EXIT.undecided;
}

/** The probe flags that override the policy's load; shared with `vakt serve`. */
export function parseOverrides(values: {
  target?: string;
  requests?: string;
  concurrency?: string;
  duration?: string;
}): ProbeOverrides {
  const overrides: ProbeOverrides = {};
  if (values.target !== undefined) {
    if (!/^https?:\/\/[^/]/.test(values.target) || !URL.canParse(values.target)) {
      throw new UsageError(`--target expects an http(s) URL, got "${values.target}"`);
    }
    overrides.target = values.target;
  }
  const requests = intFlag('requests', values.requests, 1);
  if (requests !== undefined) overrides.requests = requests;
  const concurrency = intFlag('concurrency', values.concurrency, 1);
  if (concurrency !== undefined) overrides.concurrency = concurrency;
  if (values.duration !== undefined) {
    // A policy may give bare seconds; on the command line "30" reads as seconds or as
    // requests alike, so the flag wants its unit.
    if (/^\s*\d+(\.\d+)?\s*$/.test(values.duration)) {
      throw new UsageError(
        `--duration needs a unit: ${values.duration.trim()}s, for example, got "${values.duration}"`,
      );
    }
    const ms = parseDuration(values.duration);
    if (ms === undefined || ms <= 0)
      throw new UsageError(
        `--duration expects a duration such as 30s or 2m, got "${values.duration}"`,
      );
    overrides.durationMs = ms;
  }
  return overrides;
}

/** Environment variable names a tenant's auth reads, at any depth. */
function envNames(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(envNames);
  if (node === null || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  if (Object.keys(record).length === 1 && typeof record.env === 'string') return [record.env];
  return Object.values(record).flatMap(envNames);
}
