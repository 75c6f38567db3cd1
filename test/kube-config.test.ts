import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeConfigError, loadKubeConfig } from '../src/kube/config.ts';
import { type FakeKube, startFakeKube } from './support/fake-kube/index.ts';

let dir: string;
let kube: FakeKube;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vakt-kubeconfig-'));
  kube = await startFakeKube();
});

afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  await kube.close();
});

function kubeconfigFile(name = 'config', namespace = 'shop'): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: fake\n  cluster:\n    server: ${kube.url}\n    insecure-skip-tls-verify: true`,
      'users:',
      '- name: fake\n  user:\n    token: fake-token',
      'contexts:',
      `- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: ${namespace}`,
      'current-context: fake',
      '',
    ].join('\n'),
  );
  return file;
}

describe('loadKubeConfig', () => {
  it('fails with KubeConfigError, not a silent localhost:8080, when there is no configuration', () => {
    const load = () => loadKubeConfig({ env: {}, home: dir });
    expect(load).toThrow(KubeConfigError);
    expect(load).toThrow(/no Kubernetes configuration/);
  });

  it('names the missing file given by --kubeconfig or KUBECONFIG', () => {
    const missing = join(dir, 'nope');
    expect(() => loadKubeConfig({ kubeconfig: missing, env: {}, home: dir })).toThrow(
      new RegExp(`--kubeconfig names ${missing}`),
    );
    expect(() => loadKubeConfig({ env: { KUBECONFIG: missing }, home: dir })).toThrow(
      KubeConfigError,
    );
  });

  it('loads a kubeconfig file given by path and talks to its cluster', async () => {
    const config = loadKubeConfig({ kubeconfig: kubeconfigFile(), env: {}, home: dir });
    expect(config.getCurrentCluster()?.server).toBe(kube.url);
    expect(config.getContextObject(config.getCurrentContext())?.namespace).toBe('shop');
    await config.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'shop' });
    expect(kube.requests.count('list', 'ConfigMap')).toBe(1);
  });

  it('uses KUBECONFIG, then ~/.kube/config', () => {
    const viaEnv = loadKubeConfig({ env: { KUBECONFIG: kubeconfigFile('a') }, home: dir });
    expect(viaEnv.getCurrentCluster()?.server).toBe(kube.url);
    const home = join(dir, 'home');
    const kubeDir = join(home, '.kube');
    mkdirSync(kubeDir, { recursive: true });
    kubeconfigFile(join('home', '.kube', 'config'));
    expect(loadKubeConfig({ env: {}, home }).getCurrentCluster()?.server).toBe(kube.url);
    writeFileSync(join(kubeDir, 'config'), 'apiVersion: v1\nkind: Config\nclusters: []\n');
    expect(() => loadKubeConfig({ env: {}, home })).toThrow(/no current context/);
  });

  it('builds an in-cluster configuration from the service account when KUBERNETES_SERVICE_HOST is set', () => {
    const account = join(dir, 'sa');
    mkdirSync(account, { recursive: true });
    writeFileSync(join(account, 'token'), 'sa-token');
    writeFileSync(join(account, 'namespace'), 'vakt-system\n');
    const config = loadKubeConfig({
      env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountDir: account,
      home: dir,
    });
    expect(config.getCurrentCluster()?.server).toBe('https://10.0.0.1:443');
    expect(config.getContextObject(config.getCurrentContext())?.namespace).toBe('vakt-system');
  });

  it('says so when in a cluster without a service account token', () => {
    expect(() =>
      loadKubeConfig({
        env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' },
        serviceAccountDir: join(dir, 'none'),
        home: dir,
      }),
    ).toThrow(/service account token/);
  });
});
