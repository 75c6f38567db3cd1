import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** No usable Kubernetes configuration was found; the message says where we looked. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

export interface KubeConfigOptions {
  /** An explicit --kubeconfig path: wins over everything, as with kubectl and client-go. */
  kubeconfig?: string;
  env?: Record<string, string | undefined>;
  /** Defaults to the OS home directory; injectable so tests do not read the real one. */
  home?: string;
  /** Where the service account is mounted in a pod; injectable for tests. */
  serviceAccountDir?: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Finds the cluster the way kubectl does, but fails loudly: client-node's loadFromDefault()
 * silently falls back to http://localhost:8080, which turns a missing config into a
 * confusing connection error on the first API call.
 */
export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  if (options.kubeconfig) return fromFiles([options.kubeconfig], '--kubeconfig');
  if (env.KUBERNETES_SERVICE_HOST)
    return inCluster(env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter(Boolean);
    if (files.length > 0) return fromFiles(files, 'KUBECONFIG');
  }
  const home = options.home ?? homedir();
  const fallback = join(home, '.kube', 'config');
  if (existsSync(fallback)) return fromFiles([fallback], '~/.kube/config');
  throw new KubeConfigError(
    `no Kubernetes configuration: not in a cluster (KUBERNETES_SERVICE_HOST is unset), KUBECONFIG is unset and ${fallback} does not exist; pass --kubeconfig or set KUBECONFIG`,
  );
}

/** Like kubectl, a KUBECONFIG list merges its files; the first one's current context wins. */
function fromFiles(files: string[], source: string): KubeConfig {
  const present = files.filter((file) => existsSync(file));
  if (present.length === 0)
    throw new KubeConfigError(
      `no Kubernetes configuration: ${source} names ${files.join(', ')}, which does not exist`,
    );
  const config = new KubeConfig();
  present.forEach((file, index) => {
    try {
      if (index === 0) config.loadFromFile(file);
      else {
        const more = new KubeConfig();
        more.loadFromFile(file);
        config.mergeConfig(more, true);
      }
    } catch (error) {
      throw new KubeConfigError(`cannot read Kubernetes configuration ${file}: ${message(error)}`);
    }
  });
  if (!config.getCurrentCluster())
    throw new KubeConfigError(
      `no Kubernetes configuration: ${present.join(', ')} has no current context with a cluster (current-context: ${config.getCurrentContext() || 'unset'})`,
    );
  return config;
}

/** The pod's service account; built here so it reads `env`, not process.env. */
function inCluster(env: Record<string, string | undefined>, dir: string): KubeConfig {
  const tokenFile = join(dir, 'token');
  if (!existsSync(tokenFile))
    throw new KubeConfigError(
      `no Kubernetes configuration: KUBERNETES_SERVICE_HOST is set but the service account token ${tokenFile} does not exist (automountServiceAccountToken: false?)`,
    );
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  const namespaceFile = join(dir, 'namespace');
  const namespace = existsSync(namespaceFile)
    ? readFileSync(namespaceFile, 'utf8').trim()
    : undefined;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      {
        name: 'inCluster',
        server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`,
        caFile: join(dir, 'ca.crt'),
        skipTLSVerify: false,
      },
    ],
    // tokenFile re-reads the file, so the kubelet's token rotation is picked up.
    users: [{ name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile } } }],
    contexts: [
      {
        name: 'inClusterContext',
        cluster: 'inCluster',
        user: 'inClusterUser',
        ...(namespace ? { namespace } : {}),
      },
    ],
    currentContext: 'inClusterContext',
  });
  return config;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
