import { readFileSync } from 'node:fs';
import { createCluster } from '../kube/cluster.ts';
import { loadKubeConfig } from '../kube/config.ts';
import { createLeaderElector } from '../kube/lease.ts';
import type { SealKeys } from '../kube/seal.ts';
import { loadSealKeys, SealKeyError } from '../kube/seal-keys.ts';
import { createLogger } from '../log.ts';
import {
  loadNotificationConfig,
  type NotificationConfig,
  NotificationConfigError,
} from '../notify/config.ts';
import { clusterAdmission } from '../operator/admission-source.ts';
import { type HttpOptions, type HttpServer, startHttp } from '../operator/health.ts';
import { createMetrics } from '../operator/metrics.ts';
import { type Operator, startOperator } from '../operator/operator.ts';
import { configMapPlatform } from '../operator/platform-source.ts';
import { describeError } from '../operator/refs.ts';
import {
  DEFAULT_SERVICE_URL_TEMPLATE,
  serviceUrlFromTemplate,
  serviceUrlTemplateProblem,
} from '../operator/service-url.ts';
import { loadTrustRoots, type TrustRoot, TrustRootError } from '../provenance/trust-roots.ts';
import { EXIT, type Io, intFlag, ioStream, parseFlags, UsageError } from './command.ts';

// What `vakt operator` runs. Apart from the command's help (operator.ts) so that
// `vakt operator --help` does not load the Kubernetes client.

const FLAGS = {
  namespace: { type: 'string' },
  kubeconfig: { type: 'string' },
  'leader-elect': { type: 'boolean' },
  'no-leader-elect': { type: 'boolean' },
  'lease-namespace': { type: 'string' },
  'lease-name': { type: 'string' },
  'github-secret': { type: 'string' },
  'service-url-template': { type: 'string' },
  'metrics-port': { type: 'string' },
  'health-port': { type: 'string' },
  'log-level': { type: 'string' },
  'platform-config': { type: 'string' },
  'admission-policies': { type: 'string' },
  'trusted-root': { type: 'string' },
  notifications: { type: 'string' },
  'seal-key-file': { type: 'string' },
  'seal-previous-key-file': { type: 'string' },
} as const;

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export interface OperatorSettings {
  /** Namespaces to watch; all when absent. */
  namespaces?: string[];
  /** The chart's ValidatingAdmissionPolicies (and bindings, named alike); none expected when absent. */
  admissionPolicies?: string[];
  /** The platform ConfigMap (see src/operator/platform.ts). */
  platformConfig: { namespace: string; name: string };
  kubeconfig?: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  githubSecret?: string;
  /** --trusted-root: replaces the shipped public-good root. */
  trustedRoot?: string;
  /** --notifications: sinks and events (see src/notify/config.ts). */
  notifications?: string;
  /** --seal-key-file: the key that seals rejection marks (see src/kube/seal.ts). */
  sealKeyFile?: string;
  /** --seal-previous-key-file: the key before a rotation; verifies only, used when the file exists. */
  sealPreviousKeyFile?: string;
  operatorNamespace: string;
  serviceUrlTemplate: string;
  metricsPort: number;
  healthPort: number;
  logLevel: string;
}

/** Reads the flags into settings, or throws a UsageError naming the flag. */
export function operatorSettings(argv: string[], io: Io): OperatorSettings {
  const { values } = parseFlags(argv, FLAGS);
  if (values['leader-elect'] && values['no-leader-elect']) {
    throw new UsageError('pass --leader-elect or --no-leader-elect, not both');
  }
  const inCluster = Boolean(io.env.KUBERNETES_SERVICE_HOST);
  const template = values['service-url-template'] ?? DEFAULT_SERVICE_URL_TEMPLATE;
  const problem = serviceUrlTemplateProblem(template);
  if (problem) throw new UsageError(`--service-url-template "${template}": ${problem}`);
  // The chart sets LOG_LEVEL; a flag still wins.
  const logLevel = values['log-level'] ?? (io.env.LOG_LEVEL || 'info');
  if (!LEVELS.includes(logLevel)) {
    throw new UsageError(`--log-level expects one of ${LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const port = (name: 'metrics-port' | 'health-port', fallback: number) => {
    const n = intFlag(name, values[name], 0) ?? fallback;
    if (n > 65535) throw new UsageError(`--${name} expects a port (0-65535), got ${n}`);
    return n;
  };
  const operatorNamespace = io.env.POD_NAMESPACE || ownNamespace() || 'default';
  const platformText = values['platform-config'] ?? `${operatorNamespace}/vakt-platform`;
  const platformMatch = /^([a-z0-9][-a-z0-9]*)\/([a-z0-9][-a-z0-9.]*)$/.exec(platformText);
  if (!platformMatch) {
    throw new UsageError(
      `--platform-config expects NAMESPACE/NAME of a ConfigMap, got "${platformText}"`,
    );
  }
  const settings: OperatorSettings = {
    platformConfig: { namespace: platformMatch[1] ?? '', name: platformMatch[2] ?? '' },
    leaderElect: values['no-leader-elect'] ? false : (values['leader-elect'] ?? inCluster),
    leaseNamespace: values['lease-namespace'] ?? operatorNamespace,
    leaseName: values['lease-name'] ?? 'vakt-operator',
    operatorNamespace,
    serviceUrlTemplate: template,
    metricsPort: port('metrics-port', 8080),
    healthPort: port('health-port', 8081),
    logLevel,
  };
  if (values.namespace) {
    const namespaces = values.namespace.split(',').map((n) => n.trim());
    if (namespaces.some((n) => !/^[a-z0-9][-a-z0-9]*$/.test(n))) {
      throw new UsageError(
        `--namespace expects namespaces separated by commas, got "${values.namespace}"`,
      );
    }
    settings.namespaces = namespaces;
  }
  if (values['admission-policies'] !== undefined) {
    settings.admissionPolicies = admissionPolicies(values['admission-policies']);
  }
  if (values.kubeconfig) settings.kubeconfig = values.kubeconfig;
  if (values['github-secret']) settings.githubSecret = values['github-secret'];
  if (values['trusted-root'] !== undefined) {
    if (values['trusted-root'] === '') throw new UsageError('--trusted-root expects a file');
    settings.trustedRoot = values['trusted-root'];
  }
  if (values.notifications !== undefined) {
    if (values.notifications === '') throw new UsageError('--notifications expects a file');
    settings.notifications = values.notifications;
  }
  for (const flag of ['seal-key-file', 'seal-previous-key-file'] as const) {
    if (values[flag] === '') throw new UsageError(`--${flag} expects a file`);
  }
  if (values['seal-previous-key-file'] !== undefined && values['seal-key-file'] === undefined) {
    throw new UsageError('--seal-previous-key-file needs --seal-key-file');
  }
  if (values['seal-key-file']) settings.sealKeyFile = values['seal-key-file'];
  if (values['seal-previous-key-file']) {
    settings.sealPreviousKeyFile = values['seal-previous-key-file'];
  }
  return settings;
}

/** Object names (DNS subdomains), comma-separated, each once. */
function admissionPolicies(text: string): string[] {
  const names = text.split(',').map((n) => n.trim());
  const bad = names.find((n) => n.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(n));
  if (bad !== undefined || new Set(names).size !== names.length) {
    const why = bad === undefined ? 'each once' : `"${bad}" is not one`;
    throw new UsageError(
      `--admission-policies expects ValidatingAdmissionPolicy names separated by commas (${why}), got "${text}"`,
    );
  }
  return names;
}

function ownNamespace(): string | undefined {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `vakt operator`: the flags read into settings, then the operator until a signal or a lost Lease. */
export async function runOperatorCommand(argv: string[], io: Io): Promise<number> {
  const settings = operatorSettings(argv, io);
  let stop: (signal: string) => void = () => {};
  const shutdown = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  try {
    return await runOperator(settings, io, shutdown);
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
}

/**
 * Runs the operator until `shutdown` resolves (with the reason, e.g. a signal's name) or
 * the lease is lost; returns the exit code.
 */
export async function runOperator(
  settings: OperatorSettings,
  io: Io,
  shutdown: Promise<string>,
): Promise<number> {
  const log = createLogger({ level: settings.logLevel, destination: ioStream(io) });
  // Read before anything starts: a root that does not load is a setup error, said at once.
  let trustRoots: TrustRoot[];
  try {
    trustRoots = await loadTrustRoots(settings.trustedRoot);
  } catch (error) {
    if (!(error instanceof TrustRootError)) throw error;
    io.stderr(`vakt operator: ${error.message}\n`);
    return EXIT.badInput;
  }
  let notifications: NotificationConfig | undefined;
  try {
    if (settings.notifications) {
      notifications = await loadNotificationConfig(settings.notifications);
    }
  } catch (error) {
    if (!(error instanceof NotificationConfigError)) throw error;
    io.stderr(`vakt operator: ${error.message}\n`);
    return EXIT.badInput;
  }
  let seal: SealKeys | undefined;
  try {
    if (settings.sealKeyFile) {
      seal = await loadSealKeys(settings.sealKeyFile, settings.sealPreviousKeyFile);
    }
  } catch (error) {
    if (!(error instanceof SealKeyError)) throw error;
    io.stderr(`vakt operator: ${error.message}\n`);
    return EXIT.badInput;
  }
  if (!seal) {
    log.warn(
      'no --seal-key-file: vakt.dev/rejected-template marks are written unsealed and trusted as written; with the admission policies off, anyone who may edit a Deployment can reject its next release',
    );
  }
  const kubeConfig = loadKubeConfig({
    ...(settings.kubeconfig && { kubeconfig: settings.kubeconfig }),
    env: io.env,
  });
  const identity = io.env.HOSTNAME || `vakt-${process.pid}`;
  const elector = settings.leaderElect
    ? createLeaderElector(kubeConfig, {
        namespace: settings.leaseNamespace,
        name: settings.leaseName,
        identity,
        log: log.child({ component: 'lease' }),
      })
    : undefined;
  // Every write passes the elector: a replica that lost the Lease writes nothing more.
  const cluster = createCluster(kubeConfig, {
    log: log.child({ component: 'kube' }),
    ...(elector && { fence: elector }),
    ...(seal && { seal }),
  });

  // Listen before standing for the Lease: a leader without health endpoints would be
  // restarted by its probes, or worse, lead unseen.
  const metrics = createMetrics();
  let operator: Operator | undefined;
  const ready = () => operator?.ready() ?? false;
  const servers = await listenAll(
    settings.metricsPort === settings.healthPort
      ? [{ port: settings.healthPort, ready, registry: metrics.registry }]
      : [
          { port: settings.healthPort, ready },
          { port: settings.metricsPort, registry: metrics.registry },
        ],
  );
  if (typeof servers === 'string') {
    io.stderr(`vakt operator: ${servers}\n`);
    return EXIT.fail;
  }

  let lost = false;
  let onLost: () => void = () => {};
  const leadershipLost = new Promise<string>((resolve) => {
    onLost = () => resolve('lost the leader lease');
  });
  operator = startOperator({
    cluster,
    metrics,
    ...(elector && { elector }),
    ...(settings.namespaces && { namespaces: settings.namespaces }),
    platform: configMapPlatform({
      cluster,
      configMap: settings.platformConfig,
      log: log.child({ component: 'platform' }),
    }),
    admission: clusterAdmission({
      cluster,
      names: settings.admissionPolicies ?? [],
      log: log.child({ component: 'admission' }),
    }),
    github: {
      ...(settings.githubSecret && {
        secret: { namespace: settings.operatorNamespace, name: settings.githubSecret },
      }),
      ...(io.env.GITHUB_API_URL && { baseUrl: io.env.GITHUB_API_URL }),
      trustRoots,
    },
    log,
    serviceUrl: serviceUrlFromTemplate(settings.serviceUrlTemplate),
    ...(notifications && { notifications }),
    // Kubernetes restarts the pod; the new process stands by for the lease.
    onLeadershipLost: () => {
      lost = true;
      onLost();
    },
  });
  log.info(
    {
      namespaces: settings.namespaces ?? '(all)',
      leaderElect: settings.leaderElect,
      health: servers[0]?.url,
      metrics: servers.at(-1)?.url,
    },
    'vakt operator starting',
  );
  const reason = await Promise.race([shutdown, leadershipLost]);
  log.info({ reason }, 'shutting down');
  await operator.stop();
  await Promise.all(servers.map((s) => s.close()));
  return lost ? EXIT.fail : EXIT.ok;
}

/** Starts every server, or closes those started and says which port could not be had. */
async function listenAll(options: HttpOptions[]): Promise<HttpServer[] | string> {
  const servers: HttpServer[] = [];
  for (const option of options) {
    try {
      servers.push(await startHttp(option));
    } catch (error) {
      await Promise.all(servers.map((s) => s.close()));
      const code = (error as { code?: unknown }).code;
      const why = code === 'EADDRINUSE' ? 'address in use' : describeError(error);
      return `cannot listen on :${option.port} (${why})`;
    }
  }
  return servers;
}
