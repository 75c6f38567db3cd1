// The operator at scale: 1,000 ReleaseGuards on the fake Kubernetes API server, the
// operator in its own process (`vakt operator`), GitHub and the shops on loopback.
// Figures: peak RSS; template change to canary scaled up; first leaking response to the
// revert accepted by the API server (median and p99); a foreign edit of <name>-stable to
// its repair (see repair.ts).
// Usage: node bench/operator.ts [GUARDS]   (default 1000)
// BENCH_NOTIFY=ok (or hang): every decision also goes to a Slack, a Teams and a JSON webhook
// sink (--notifications) on one loopback receiver that answers 200 (or never answers), to
// see that neither the RSS nor the revert times move.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeGitHub } from '../test/support/fake-github.ts';
import { type FakeKube, startFakeKube } from '../test/support/fake-kube/index.ts';
import { shopEnv } from '../test/support/shop-probe.ts';
import { type Receiver, startReceiver } from '../test/support/webhook-receiver.ts';
import { repairFigures, timeGets, timeRepairs } from './repair.ts';
import { type Figure, median, print, spawnShop } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..');
const NS = 'bench';
const MERGE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
/** Releases timed one after another, and leaking releases at once; the rest are carried. */
const CANARY_SAMPLES = 50;
const LEAK_SAMPLES = 100;
/** Foreign edits of <name>-stable, one after another, on guards that had no release. */
const REPAIR_SAMPLES = 20;
const CHART_HEAP_MIB = 256;
/** The young generation's cap the chart sets beside it (--max-semi-space-size). */
const CHART_SEMI_SPACE_MIB = 8;

const fixture = async (name: string) =>
  JSON.parse(await readFile(join(ROOT, 'test/fixtures', name), 'utf8')) as Record<string, unknown>;

const ms = (value: number | undefined) => `${(value ?? Number.NaN).toFixed(1)} ms`;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function deployment(name: string, image: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, annotations: { 'vakt.dev/revision': MERGE } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'vakt.dev/revision': MERGE } },
        spec: { containers: [{ name: 'shop', image, ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

function guard(name: string, policy: unknown, canaryTarget: string) {
  return {
    apiVersion: 'vakt.dev/v1alpha1',
    kind: 'ReleaseGuard',
    metadata: { name, namespace: NS },
    spec: {
      targetRef: { name },
      service: { port: 8080 },
      policy: { inline: policy },
      tenantsSecretRef: { name: 'tenants' },
      source: { repository: 'acme/shop' },
      probe: { target: canaryTarget, guardInterval: '1h' },
      bakeTime: '1s',
    },
  };
}

/** Polls the fake API server's store (in this process) until `ready` holds. */
async function until(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const phase = (kube: FakeKube, name: string) =>
  (kube.store.get('ReleaseGuard', NS, name)?.status as { phase?: string } | undefined)?.phase;

/** Releases name their images by digest, or the operator blocks them (see notPinned). */
const pinned = (tag: string) =>
  `ghcr.io/acme/shop:${tag}@sha256:${createHash('sha256').update(tag).digest('hex')}`;

/** A new image on the target, as `kubectl set image` would: a new template, nothing else. */
function release(kube: FakeKube, name: string, image: string): void {
  const current = kube.store.get('Deployment', NS, name);
  const next = structuredClone(current) as ReturnType<typeof deployment>;
  const [container] = next.spec.template.spec.containers;
  if (container) container.image = image;
  kube.store.put(next);
}

/** Peak resident set size of a process, from the kernel's high-water mark. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

export async function benchOperator(guards = 1000): Promise<Figure[]> {
  if (guards < CANARY_SAMPLES + LEAK_SAMPLES) {
    throw new Error(`needs at least ${CANARY_SAMPLES + LEAK_SAMPLES} guards`);
  }
  const kube = await startFakeKube({ historyLimit: 100_000 });
  const github = await startFakeGitHub({
    pullRequest: await fixture('github/pull-request.json'),
    permissions: { bob: 'write', carol: 'admin', erin: 'write', frank: 'maintain' },
    teams: {},
    commitPulls: { [MERGE]: (await fixture('github/commit-pulls.json')) as unknown as unknown[] },
  });
  const clean = await spawnShop();
  const leaking = await spawnShop({ flaw: 'cache-without-user' });
  const dir = await mkdtemp(join(tmpdir(), 'vakt-bench-operator-'));
  const notify = process.env.BENCH_NOTIFY;
  let receiver: Receiver | undefined;
  let operator: ChildProcess | undefined;
  try {
    const notifyArgs: string[] = [];
    if (notify) {
      receiver = await startReceiver([], notify === 'hang' ? 'hang' : { status: 200 });
      await writeFile(join(dir, 'webhook-url'), receiver.url);
      const file = join(dir, 'notifications.yaml');
      const sink = (type: string) =>
        `  - { name: ${type}, type: ${type}, urlFile: ${join(dir, 'webhook-url')} }`;
      await writeFile(file, ['sinks:', sink('slack'), sink('teams'), sink('webhook')].join('\n'));
      notifyArgs.push('--notifications', file);
    }
    const policy = {
      ...(await fixture('operator/policy.json')),
      // The bench's images have no attestations to check.
      approval: { minApprovals: 2, provenance: 'off' },
    };
    const env = shopEnv();
    kube.store.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tenants', namespace: NS, labels: { 'vakt.dev/tenants': 'true' } },
      data: Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
    } as never);
    // The admin's floors and allow-lists, where `vakt operator` looks by default: without
    // them every guard is Invalid (fail closed). Probes go to the shops on loopback, and
    // each guard's probe target replaces its -canary Service (which has no pods here).
    kube.store.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'vakt-platform', namespace: 'vakt-system' },
      data: {
        'platform.yaml': [
          'floors: { minApprovals: 2, minRequests: 100, maxLeakRate: 0.05 }',
          `namespaces: { ${NS}: { repositories: [acme/shop], probeHosts: [127.0.0.1], probeTargetOverride: true } }`,
          'allowLoopback: true',
        ].join('\n'),
      },
    } as never);
    kube.store.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'vakt-github', namespace: 'vakt-system' },
      data: { token: Buffer.from('bench-token').toString('base64') },
    } as never);
    // The last LEAK_SAMPLES guards canary against the leaking shop, the CANARY_SAMPLES
    // before them against the clean one; all stable traffic goes to the clean shop.
    const leakFrom = guards - LEAK_SAMPLES;
    const name = (i: number) => `app-${i}`;
    for (let i = 0; i < guards; i++) {
      kube.store.put(deployment(name(i), pinned('v1')));
      kube.store.put(guard(name(i), policy, i >= leakFrom ? leaking.url : clean.url));
    }

    // The heap cap the Helm chart gives the operator (values.yaml heapMiB): left to itself,
    // V8 sizes the heap from the machine's memory and collects late.
    const heapMb = Number(process.env.BENCH_OPERATOR_HEAP_MB ?? CHART_HEAP_MIB);
    const heapNote = `; heap capped at ${heapMb} MiB${heapMb === CHART_HEAP_MIB ? ', as the chart sets it' : ''}, semi-spaces at ${CHART_SEMI_SPACE_MIB} MiB`;
    const kubeconfig = join(dir, 'kubeconfig.json');
    await writeFile(kubeconfig, kube.kubeConfig().exportConfig());
    const t0 = performance.now();
    operator = spawn(
      process.execPath,
      [
        // A heap cap, as a container memory limit would set; by default V8 sizes the heap
        // from the machine's memory and collects late.
        `--max-old-space-size=${heapMb}`,
        `--max-semi-space-size=${CHART_SEMI_SPACE_MIB}`,
        // e.g. --heapsnapshot-signal=SIGUSR2, to see where the memory goes.
        ...(process.env.BENCH_OPERATOR_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        join(ROOT, 'bin/vakt.js'),
        'operator',
        '--kubeconfig',
        kubeconfig,
        '--no-leader-elect',
        '--github-secret',
        'vakt-github',
        '--service-url-template',
        clean.url,
        '--metrics-port',
        '0',
        '--health-port',
        '0',
        ...notifyArgs,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '',
          POD_NAMESPACE: 'vakt-system',
          GITHUB_API_URL: github.url,
          // The fake GitHub has no rate limits; octokit's throttling would otherwise
          // space the gate's two GraphQL queries a second apart (see the gate bench).
          VAKT_GITHUB_RETRIES: '0',
          // As the chart's Deployment sets it.
          MALLOC_ARENA_MAX: '2',
        },
      },
    );
    const child = operator;
    process.once('exit', () => child.kill('SIGKILL'));
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(
        `the operator exited (${code}) during the benchmark; BENCH_DEBUG=1 shows its log`,
      );
    });
    exited.catch(() => {});

    // Timed where it counts: at the API server as it accepts a write (this process), and
    // at the operator's probe as it reads the leaking response (its log line's time).
    const releasedAt = new Map<string, number>();
    const canaryUpAt = new Map<string, number>();
    const leakSeenAt = new Map<string, number>();
    const revertAcceptedAt = new Map<string, number>();
    const ownRevertMs: number[] = [];
    kube.store.onWrite((kind, object) => {
      if (kind !== 'Deployment') return;
      const key = object.metadata.name ?? '';
      const count = (object.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      if (!releasedAt.has(key)) return;
      if (count > 0 && !canaryUpAt.has(key)) canaryUpAt.set(key, performance.now());
      if (count === 0 && canaryUpAt.has(key) && !revertAcceptedAt.has(key)) {
        revertAcceptedAt.set(key, performance.timeOrigin + performance.now());
      }
    });
    const logs = createInterface({ input: child.stderr as NodeJS.ReadableStream });
    logs.on('line', (line) => {
      if (process.env.BENCH_DEBUG) process.stderr.write(`${line}\n`);
      if (line.includes('"leak: reporting at once"')) {
        const entry = JSON.parse(line) as { guard?: string; time?: number };
        const key = entry.guard?.split('/')[1];
        if (key && entry.time && !leakSeenAt.has(key)) leakSeenAt.set(key, entry.time);
      } else if (line.includes('"reverted"')) {
        const entry = JSON.parse(line) as { revertMs?: number; why?: string };
        if (entry.why === 'candidate' && typeof entry.revertMs === 'number') {
          ownRevertMs.push(entry.revertMs);
        }
      }
    });
    const wait = (ready: () => boolean, timeoutMs: number, what: string) =>
      Promise.race([until(ready, timeoutMs, what), exited]);

    await wait(
      () => {
        for (let i = 0; i < guards; i += 1) if (phase(kube, name(i)) !== 'Idle') return false;
        return true;
      },
      600_000,
      `${guards} guards to be adopted`,
    );
    const adoptedMs = performance.now() - t0;
    const adoptedRss = await peakRssMb(child.pid ?? 0);
    const adoptedConnections = kube.connections;

    // A release on each timed guard, one after another: template change to canary up.
    const toCanary: number[] = [];
    for (let i = leakFrom - CANARY_SAMPLES; i < leakFrom; i++) {
      const key = name(i);
      releasedAt.set(key, performance.now());
      release(kube, key, pinned('v2'));
      await wait(() => canaryUpAt.has(key), 60_000, `${key} canary`);
      toCanary.push((canaryUpAt.get(key) ?? 0) - (releasedAt.get(key) ?? 0));
    }

    // Leaking releases, all at once.
    const leakers = Array.from({ length: LEAK_SAMPLES }, (_, k) => name(leakFrom + k));
    for (const key of leakers) {
      releasedAt.set(key, performance.now());
      release(kube, key, pinned('v2'));
    }
    await wait(
      () =>
        leakers.every((key) => revertAcceptedAt.has(key) && leakSeenAt.has(key)) &&
        ownRevertMs.length >= LEAK_SAMPLES,
      120_000,
      'every leaking canary reverted',
    );
    const rss = await peakRssMb(child.pid ?? 0);
    const revertMs = leakers.map(
      (key) => (revertAcceptedAt.get(key) ?? 0) - (leakSeenAt.get(key) ?? 0),
    );
    const repairs = await Promise.race([
      timeRepairs(
        kube,
        NS,
        Array.from({ length: REPAIR_SAMPLES }, (_, i) => name(i)),
      ),
      exited,
    ]);
    const gets = await timeGets(kube, NS, `${name(0)}-stable`, REPAIR_SAMPLES);

    toCanary.sort((a, b) => a - b);
    revertMs.sort((a, b) => a - b);
    return [
      {
        name: 'operator peak RSS',
        value: rss,
        unit: 'MiB',
        note: `${guards} ReleaseGuards adopted and guarded, ${CANARY_SAMPLES + LEAK_SAMPLES} releases run${heapNote}`,
      },
      {
        name: 'operator peak RSS once every guard is adopted',
        value: adoptedRss,
        unit: 'MiB',
        note: `${adoptedConnections} connections to the API server opened by then, ${kube.connections} by the end`,
      },
      { name: `adopt ${guards} guards`, value: adoptedMs, unit: 'ms', note: 'to every phase Idle' },
      {
        name: 'template change to canary scaled up (at the API server)',
        value: median(toCanary),
        unit: 'ms median',
        note: `p90 ${ms(quantile(toCanary, 0.9))}, p99 ${ms(quantile(toCanary, 0.99))}, max ${ms(toCanary.at(-1))} over ${toCanary.length} releases in a row; includes the gate's GitHub queries`,
      },
      {
        name: 'first leaking response to revert accepted by the API server',
        value: median(revertMs),
        unit: 'ms median',
        note: `p99 ${ms(quantile(revertMs, 0.99))}, max ${ms(revertMs.at(-1))} over ${revertMs.length} simultaneous leaks; target p99 < 100 ms`,
      },
      {
        name: "the same, by the operator's own clock (vakt_revert_seconds)",
        value: median(ownRevertMs),
        unit: 'ms median',
        note: `max ${Math.max(...ownRevertMs)} ms over ${ownRevertMs.length}`,
      },
      ...repairFigures(repairs, gets),
      ...(receiver
        ? [
            {
              name: `notifications received (receiver: ${notify === 'hang' ? 'never answers' : 'answers 200'})`,
              value: receiver.received.length,
              unit: 'requests',
              note: 'by the end of the run: Promoted, Baked and Reverted of the releases above, to 3 sinks of at most 100 queued each',
            },
          ]
        : []),
    ];
  } finally {
    if (operator && operator.exitCode === null) {
      operator.kill('SIGTERM');
      await once(operator, 'exit');
    }
    await Promise.all([
      clean.stop(),
      leaking.stop(),
      github.close(),
      kube.close(),
      receiver?.close(),
    ]);
  }
}

if (import.meta.main) {
  print(await benchOperator(Number(process.argv[2] ?? 1000)));
}
