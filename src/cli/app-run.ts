import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type AppSettings, type RunningApp, startApp } from '../app/app.ts';
import { createLogger } from '../log.ts';
import { loadTrustRoots, TrustRootError } from '../provenance/trust-roots.ts';
import { EXIT, type Io, intFlag, ioStream, parseFlags, UsageError } from './command.ts';
import { appIdOf, readAppPrivateKey } from './github-credentials.ts';

// What `vakt app` runs. Apart from its help (app.ts) so that `vakt app --help` loads
// neither octokit nor the gate.

const FLAGS = {
  'app-id': { type: 'string' },
  'app-key': { type: 'string' },
  'webhook-secret-file': { type: 'string' },
  'policy-path': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'trusted-root': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
export const DEFAULT_POLICY_PATH = '.github/vakt-policy.yaml';

/** The flags and environment read into settings (less the logger), or a UsageError. */
export async function appSettings(argv: string[], io: Io): Promise<Omit<AppSettings, 'log'>> {
  const { values } = parseFlags(argv, FLAGS);
  const appId = appIdOf(values['app-id'], io);
  if (appId === undefined) {
    throw new UsageError("--app-id ID is required (or GITHUB_APP_ID): the GitHub App's id");
  }
  const privateKey = await readAppPrivateKey(values['app-key'], io);
  const webhookSecret = await readWebhookSecret(values['webhook-secret-file'], io);
  const policyPath = values['policy-path'] ?? DEFAULT_POLICY_PATH;
  if (
    !/^[^/\s][^\s]*$/.test(policyPath) ||
    policyPath.split('/').some((p) => p === '..' || p === '')
  ) {
    throw new UsageError(
      `--policy-path expects a file path inside the repository such as ${DEFAULT_POLICY_PATH}, got "${policyPath}"`,
    );
  }
  const port = intFlag('port', values.port, 0) ?? 8080;
  if (port > 65535) throw new UsageError(`--port expects a port (0-65535), got ${port}`);
  if (values['trusted-root'] === '') throw new UsageError('--trusted-root expects a file');
  return {
    appId,
    privateKey,
    webhookSecret,
    policyPath,
    port,
    host: values.host ?? '0.0.0.0',
    ...(values['trusted-root'] !== undefined && {
      trustedRoot: resolve(io.cwd, values['trusted-root']),
    }),
    ...(io.env.GITHUB_API_URL && { baseUrl: io.env.GITHUB_API_URL }),
    retries: io.env.VAKT_GITHUB_RETRIES !== '0',
  };
}

async function readWebhookSecret(file: string | undefined, io: Io): Promise<string> {
  let secret = io.env.GITHUB_WEBHOOK_SECRET;
  if (file !== undefined) {
    secret = await readFile(resolve(io.cwd, file), 'utf8').catch(() => {
      throw new UsageError(`--webhook-secret-file: cannot read ${file}`);
    });
  }
  // A file written by an editor or `echo` ends in a newline GitHub never saw.
  secret = secret?.replace(/\r?\n$/, '');
  if (!secret) {
    throw new UsageError(
      'the App needs its webhook secret: --webhook-secret-file FILE or GITHUB_WEBHOOK_SECRET (unsigned webhooks are refused)',
    );
  }
  return secret;
}

/** `vakt app`: the settings read, then the App until SIGTERM or SIGINT. */
export async function runAppCommand(argv: string[], io: Io): Promise<number> {
  const values = parseFlags(argv, FLAGS).values;
  const level = values['log-level'] ?? (io.env.LOG_LEVEL || 'info');
  if (!LEVELS.includes(level)) {
    throw new UsageError(`--log-level expects one of ${LEVELS.join(', ')}, got "${level}"`);
  }
  const settings = await appSettings(argv, io);
  if (settings.trustedRoot !== undefined) {
    // Read at once: a root that does not load is a setup error, not a rejected deployment.
    try {
      await loadTrustRoots(settings.trustedRoot);
    } catch (error) {
      if (error instanceof TrustRootError) throw new UsageError(error.message);
      throw error;
    }
  }
  const log = createLogger({ level, destination: ioStream(io) });
  let app: RunningApp;
  try {
    app = await startApp({ ...settings, log });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = code === 'EADDRINUSE' ? 'address in use' : String((error as Error).message);
    io.stderr(`vakt app: cannot listen on ${settings.host}:${settings.port} (${why})\n`);
    return EXIT.fail;
  }
  log.info(
    { url: app.url, policyPath: settings.policyPath, appId: settings.appId },
    'vakt app listening for webhooks on /webhook',
  );
  let stop: (signal: string) => void = () => {};
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  const signal = await new Promise<string>((done) => {
    stop = done;
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
  });
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
  log.info({ reason: signal }, 'shutting down');
  await app.stop();
  return EXIT.ok;
}
