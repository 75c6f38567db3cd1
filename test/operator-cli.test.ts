import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { operatorSettings, runOperator } from '../src/cli/operator-run.ts';
import { type Shop, startShop } from '../src/shop/index.ts';
import { type FakeKube, startFakeKube } from './support/fake-kube/index.ts';
import { captureIo } from './support/io.ts';
import { spec } from './support/operator-fixtures.ts';
import { shopEnv, shopSecrets } from './support/shop-probe.ts';

/**
 * `vakt operator` against the loopback fake Kubernetes API server, through the real kube
 * adapter: a guard is adopted, its guard probe passes, and the HTTP endpoints answer.
 */

let kube: FakeKube;
let shop: Shop;
let dir: string;

beforeAll(async () => {
  [kube, shop] = await Promise.all([startFakeKube(), startShop()]);
  dir = await mkdtemp(join(tmpdir(), 'vakt-operator-'));
});

afterAll(async () => {
  await Promise.all([kube.close(), shop.close(), rm(dir, { recursive: true, force: true })]);
});

it('adopts a Deployment through the Kubernetes API and serves /readyz and /metrics', async () => {
  const namespace = 'shop';
  const template = {
    metadata: { labels: { app: 'shop' }, annotations: { 'vakt.dev/revision': 'a'.repeat(40) } },
    spec: { containers: [{ name: 'shop', image: 'ghcr.io/acme/shop:v1' }] },
  };
  kube.store.put({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'shop', namespace },
    spec: { replicas: 2, selector: { matchLabels: { app: 'shop' } }, template },
  });
  const data = Object.fromEntries(
    Object.entries(shopEnv()).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  );
  kube.store.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'shop-tenants', namespace, labels: { 'vakt.dev/tenants': 'true' } },
    data,
  } as never);
  // The admin's floors and allow-lists, where `vakt operator` looks by default. The
  // Services are a shop on loopback here.
  kube.store.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'vakt-platform', namespace: 'vakt-system' },
    data: {
      'platform.yaml': [
        'floors: { minApprovals: 2, minRequests: 100, maxLeakRate: 0.05 }',
        'namespaces: { shop: { repositories: [acme/shop] } }',
        'allowLoopback: true',
      ].join('\n'),
    },
  } as never);
  kube.store.put({
    apiVersion: 'vakt.dev/v1alpha1',
    kind: 'ReleaseGuard',
    metadata: { name: 'shop', namespace },
    spec: spec(),
  } as never);
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kube.kubeConfig().exportConfig());

  const out = captureIo({ POD_NAMESPACE: 'vakt-system' });
  const settings = operatorSettings(
    [
      '--kubeconfig',
      kubeconfig,
      '--no-leader-elect',
      '--metrics-port',
      '0',
      '--health-port',
      '0',
      // Every Service is the one shop here: the guard probe of stable reaches it.
      '--service-url-template',
      shop.url,
    ],
    out.io,
  );
  let shutdown: (reason: string) => void = () => {};
  const running = runOperator(
    settings,
    out.io,
    new Promise<string>((resolve) => {
      shutdown = resolve;
    }),
  );
  const guardStatus = () =>
    (kube.store.get('ReleaseGuard', namespace, 'shop') as { status?: Record<string, unknown> })
      ?.status as
      | { phase?: string; conditions?: { type: string; status: string; reason: string }[] }
      | undefined;
  const deadline = Date.now() + 20_000;
  while (
    !guardStatus()?.conditions?.some(
      (c) => c.type === 'ProbesPassing' && c.reason === 'GuardPassed',
    )
  ) {
    if (Date.now() > deadline)
      throw new Error(`no passing guard probe: ${JSON.stringify(guardStatus())}\n${out.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(guardStatus()?.phase).toBe('Idle');
  expect(kube.store.get('Deployment', namespace, 'shop-stable')).toBeDefined();
  expect(kube.store.get('Service', namespace, 'shop-canary')).toBeDefined();

  const starting = out.stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg: string; health?: string; metrics?: string })
    .find((line) => line.msg === 'vakt operator starting');
  expect((await fetch(`${starting?.health}/readyz`)).status).toBe(200);
  // Without a seal key the operator says once what that means.
  const unsealed = out.stderr
    .split('\n')
    .filter((line) => line.includes('no --seal-key-file'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });
  expect(unsealed).toHaveLength(1);
  expect(unsealed[0]?.msg).toContain('trusted as written');
  const metrics = await (await fetch(`${starting?.metrics}/metrics`)).text();
  expect(metrics).toContain('vakt_guards{phase="Idle"} 1');

  shutdown('test');
  expect(await running).toBe(0);
  for (const secret of shopSecrets()) expect(out.stderr).not.toContain(secret);
});

it('exits non-zero without standing for the Lease when the health port is taken', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
  const port = (taken.address() as { port: number }).port;
  const kubeconfig = join(dir, 'kubeconfig-taken');
  await writeFile(kubeconfig, kube.kubeConfig().exportConfig());
  kube.requests.reset();
  const out = captureIo({ POD_NAMESPACE: 'vakt-system' });
  const settings = operatorSettings(
    [
      '--kubeconfig',
      kubeconfig,
      '--leader-elect',
      '--health-port',
      String(port),
      '--metrics-port',
      '0',
    ],
    out.io,
  );
  try {
    // Never shut down from outside: the command must end on its own.
    const code = await runOperator(settings, out.io, new Promise<string>(() => {}));
    expect(code).toBe(1);
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
  expect(out.stderr).toContain(`vakt operator: cannot listen on :${port} (address in use)\n`);
  expect(out.stderr).not.toContain('could not finish');
  // It never stood for leadership, so it never led.
  expect(kube.requests.count(undefined, 'Lease')).toBe(0);
  expect(kube.store.get('Lease', 'vakt-system', 'vakt-operator')).toBeUndefined();
});

it('refuses to start when the seal key file is unreadable or too short, without showing the key', async () => {
  const kubeconfig = join(dir, 'kubeconfig-seal');
  await writeFile(kubeconfig, kube.kubeConfig().exportConfig());
  const short = join(dir, 'seal-short');
  await writeFile(short, 'not-long-enough\n');
  const missing = join(dir, 'no-such-seal-key');
  for (const [file, why] of [
    [short, 'expected a key of at least 32 bytes, found 15'],
    [missing, 'cannot be read (ENOENT)'],
  ] as const) {
    kube.requests.reset();
    const out = captureIo({ POD_NAMESPACE: 'vakt-system' });
    const settings = operatorSettings(
      ['--kubeconfig', kubeconfig, '--no-leader-elect', '--seal-key-file', file],
      out.io,
    );
    const code = await runOperator(settings, out.io, new Promise<string>(() => {}));
    expect(code).toBe(2);
    expect(out.stderr).toBe(`vakt operator: --seal-key-file ${file}: ${why}\n`);
    expect(kube.requests.all).toEqual([]);
  }
  const out = captureIo({});
  expect(() => operatorSettings(['--seal-previous-key-file', short], out.io)).toThrow(
    '--seal-previous-key-file needs --seal-key-file',
  );
  expect(() => operatorSettings(['--seal-key-file', ''], out.io)).toThrow(
    '--seal-key-file expects a file',
  );
});
