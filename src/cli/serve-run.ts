import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createGitHub } from '../github/client.ts';
import { createLogger } from '../log.ts';
import { formatProblem, loadPolicyFile } from '../policy/load.ts';
import { resolveProbe } from '../policy/secrets.ts';
import { probeConfig } from '../probe/config.ts';
import { MIN_TOKEN_LENGTH } from '../serve/auth.ts';
import type { GateSetup } from '../serve/hooks.ts';
import { type ServeOptions, startServe } from '../serve/server.ts';
import { EXIT, type Io, intFlag, ioStream, parseFlags, UsageError } from './command.ts';
import { readCredentials } from './github-credentials.ts';
import { parseOverrides } from './probe-run.ts';

const FLAGS = {
  policy: { type: 'string' },
  canary: { type: 'string' },
  repo: { type: 'string' },
  target: { type: 'string' },
  requests: { type: 'string' },
  concurrency: { type: 'string' },
  duration: { type: 'string' },
  'trusted-root': { type: 'string' },
  'app-id': { type: 'string' },
  'app-key': { type: 'string' },
  installation: { type: 'string' },
  'auth-token-file': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
} as const;

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `vakt serve` itself: listens until SIGTERM or SIGINT, then exits 0. */
export async function runServeCommand(argv: string[], io: Io): Promise<number> {
  const prepared = await prepareServe(argv, io);
  if (typeof prepared === 'number') return prepared;
  const server = await startServe(prepared);
  prepared.log.info(
    { url: server.url, canary: `${prepared.canary.namespace}/${prepared.canary.name}` },
    `vakt serve: answering Flagger webhooks at ${server.url}/flagger/<type>`,
  );
  let onTerm = () => {};
  let onInt = () => {};
  const signal = await new Promise<string>((done) => {
    onTerm = () => done('SIGTERM');
    onInt = () => done('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
  });
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
  prepared.log.info({ signal }, 'vakt serve: stopping');
  await server.close();
  return EXIT.ok;
}

/**
 * Everything `vakt serve` needs, read and checked before it listens: bad flags, a policy
 * with problems, a missing token or credential are exit 2 with one line each, so a
 * misconfigured pod fails at start, not at Flagger's first call.
 */
export async function prepareServe(argv: string[], io: Io): Promise<ServeOptions | number> {
  const { values } = parseFlags(argv, FLAGS);
  if (!values.policy) throw new UsageError('--policy FILE is required (see vakt serve --help)');
  const canary = parseCanary(values.canary);
  const port = intFlag('port', values.port, 0) ?? 8080;
  if (port > 65535) throw new UsageError(`--port expects 0 to 65535, got "${values.port}"`);
  const overrides = parseOverrides(values);
  const token = await readServeToken(values['auth-token-file'], io);

  const policyFile = resolve(io.cwd, values.policy);
  const loaded = await loadPolicyFile(policyFile);
  if (!loaded.ok) {
    for (const problem of loaded.problems) io.stderr(`${formatProblem(problem)}\n`);
    return EXIT.badInput;
  }
  const { approval, probe: probeSpec } = loaded.policy;
  if (!approval && !probeSpec) {
    throw new UsageError(`${values.policy} has neither an approval nor a probe section`);
  }
  const secrets: string[] = [];
  let probe: ServeOptions['probe'];
  if (probeSpec) {
    const resolved = resolveProbe(probeSpec, { env: io.env, baseDir: dirname(policyFile) });
    secrets.push(...resolved.tenants.flatMap((t) => t.secrets), ...resolved.secrets);
    probe = probeConfig(probeSpec, resolved, overrides);
  }
  let gate: GateSetup | undefined;
  if (approval) {
    const repo = parseRepo(values.repo);
    const credentials = await readCredentials(values, io, 'set GITHUB_TOKEN');
    secrets.push(...credentials.secrets);
    const octokit = await createGitHub({
      ...credentials.options,
      ...(io.env.GITHUB_API_URL && { baseUrl: io.env.GITHUB_API_URL }),
      retries: io.env.VAKT_GITHUB_RETRIES !== '0',
    });
    gate = {
      octokit,
      policy: approval,
      policyFile: values.policy,
      ...repo,
      ...(values['trusted-root'] && { trustedRoot: resolve(io.cwd, values['trusted-root']) }),
    };
  } else if (values.repo !== undefined) {
    throw new UsageError(
      `--repo needs a policy with an approval section; ${values.policy} has none`,
    );
  }
  return {
    port,
    ...(values.host !== undefined && { host: values.host }),
    token,
    canary,
    ...(gate && { gate }),
    ...(probe && { probe }),
    secrets,
    log: createLogger({ pretty: io.isTTY, destination: ioStream(io) }),
  };
}

function parseCanary(value: string | undefined): { namespace: string; name: string } {
  if (value === undefined) {
    throw new UsageError('--canary NAMESPACE/NAME is required: the Flagger Canary to answer for');
  }
  const [namespace, name, ...rest] = value.split('/');
  if (!namespace || !name || rest.length > 0 || !NAME.test(namespace) || !NAME.test(name)) {
    throw new UsageError(`--canary expects NAMESPACE/NAME, got "${value}"`);
  }
  return { namespace, name };
}

function parseRepo(value: string | undefined): { owner: string; repo: string } {
  if (value === undefined) {
    throw new UsageError('--repo OWNER/NAME is required: the policy has an approval section');
  }
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
  if (!match?.[1] || !match[2]) throw new UsageError(`--repo expects OWNER/NAME, got "${value}"`);
  return { owner: match[1], repo: match[2] };
}

/** From a mounted Secret (the file's one line) or VAKT_SERVE_TOKEN; never a flag value. */
async function readServeToken(file: string | undefined, io: Io): Promise<string> {
  let token = io.env.VAKT_SERVE_TOKEN;
  let source = 'VAKT_SERVE_TOKEN';
  if (file !== undefined) {
    source = '--auth-token-file';
    token = await readFile(resolve(io.cwd, file), 'utf8').catch(() => {
      throw new UsageError(`--auth-token-file: cannot read ${file}`);
    });
  }
  token = token?.trim();
  if (!token) {
    throw new UsageError(
      'no token for callers: mount one and pass --auth-token-file FILE, or set VAKT_SERVE_TOKEN',
    );
  }
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new UsageError(
      `${source}: the token must be at least ${MIN_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 24)`,
    );
  }
  return token;
}
