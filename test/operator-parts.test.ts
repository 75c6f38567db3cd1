import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { ApprovalSpec } from '../src/approval/schema.ts';
import { UsageError } from '../src/cli/command.ts';
import { main } from '../src/cli/main.ts';
import { operatorCommand } from '../src/cli/operator.ts';
import { operatorSettings } from '../src/cli/operator-run.ts';
import { createGitHub } from '../src/github/client.ts';
import { createLogger } from '../src/log.ts';
import { ApprovalChecker } from '../src/operator/approvals.ts';
import { startHttp } from '../src/operator/health.ts';
import { createMetrics } from '../src/operator/metrics.ts';
import { startOperator } from '../src/operator/operator.ts';
import type { LeaderElector } from '../src/operator/ports.ts';
import { serviceUrlFromTemplate } from '../src/operator/service-url.ts';
import type { ProbeConfig } from '../src/probe/config.ts';
import type { RunHooks } from '../src/probe/run.ts';
import type { ProbeVerdict } from '../src/probe/types.ts';
import type { ApprovalReport, ProbeReport } from '../src/release/state.ts';
import POLICY from './fixtures/operator/policy.json' with { type: 'json' };
import { captureIo } from './support/io.ts';
import { MemoryCluster } from './support/memory-cluster.ts';
import { offline } from './support/offline.ts';
import { API, github, mockGitHub, SHA } from './support/operator-fixtures.ts';
import { LEAK, probeManager, REF, scriptedRun, setup, verdict } from './support/probe-manager.ts';
import { shopEnv } from './support/shop-probe.ts';

offline({ loopback: true });

/** The operator's parts on their own: leadership, HTTP endpoints, flags, probes, approvals. */

const silent = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const SPEC = {
  targetRef: { name: 'shop' },
  service: { port: 8080 },
  policy: { inline: POLICY },
  tenantsSecretRef: { name: 'shop-tenants' },
  source: { repository: 'acme/shop' },
};

function cluster(): MemoryCluster {
  const c = new MemoryCluster();
  c.secrets.set('shop/shop-tenants', shopEnv());
  c.applyDeployment(
    'shop',
    'shop',
    { spec: { containers: [{ name: 'shop', image: 'shop:1' }] } },
    2,
  );
  c.applyGuard('shop', 'shop', SPEC);
  return c;
}

class FakeElector implements LeaderElector {
  leader = false;
  released = 0;
  grant: () => void = () => {};
  lose: () => void = () => {};
  private giveUp: () => void = () => {};
  acquire(onLost: () => void): Promise<void> {
    this.lose = () => {
      this.leader = false;
      onLost();
    };
    return new Promise((resolve, reject) => {
      this.grant = () => {
        this.leader = true;
        resolve();
      };
      this.giveUp = () => reject(new Error('leader election stopped'));
    });
  }
  async release(): Promise<void> {
    this.released += 1;
    this.leader = false;
    this.giveUp();
  }
  isLeading(): boolean {
    return this.leader;
  }
  signal(): AbortSignal {
    return this.leader ? new AbortController().signal : AbortSignal.abort();
  }
}

describe('leader election', () => {
  it('stands by (ready, passive) until it holds the lease, then works; stop releases it', async () => {
    const c = cluster();
    const elector = new FakeElector();
    const op = startOperator({ cluster: c, elector, log: silent });
    await sleep(50);
    expect(op.state()).toBe('standby');
    expect(op.ready()).toBe(true);
    expect(c.count('watchGuards')).toBe(0);
    expect(c.guard('shop', 'shop')?.status).toBeUndefined();

    elector.grant();
    await op.started;
    expect(op.ready()).toBe(true);
    await until(() => c.guard('shop', 'shop')?.status?.phase === 'Idle', 'Idle');
    await op.stop();
    expect(elector.released).toBe(1);
    expect(op.ready()).toBe(false);
  });

  it('stop() while standing by ends the wait for the lease', async () => {
    const c = cluster();
    const elector = new FakeElector();
    const op = startOperator({ cluster: c, elector, log: silent });
    await op.stop();
    await op.started;
    expect(elector.released).toBe(1);
    expect(op.state()).toBe('stopped');
    expect(c.count('watchGuards')).toBe(0);
  });

  it('stops working when the lease is lost and says so', async () => {
    const c = cluster();
    const elector = new FakeElector();
    let lost = false;
    const op = startOperator({
      cluster: c,
      elector,
      log: silent,
      onLeadershipLost: () => {
        lost = true;
      },
    });
    elector.grant();
    await op.started;
    await until(() => c.guard('shop', 'shop')?.status?.phase === 'Idle', 'Idle');
    elector.lose();
    await until(() => lost, 'onLeadershipLost');
    expect(op.state()).toBe('lost');
    expect(op.ready()).toBe(false);
    const passes = c.count('getGuard');
    c.applyGuard('shop', 'shop', { ...SPEC, bakeTime: '1m' });
    await sleep(50);
    expect(c.count('getGuard')).toBe(passes);
    await op.stop();
  });
});

describe('readiness', () => {
  it('is not ready while a watch has not listed its objects yet', async () => {
    const c = cluster();
    let listed = false;
    const watchGuards = c.watchGuards.bind(c);
    c.watchGuards = async (namespace, onChange) =>
      Object.assign(await watchGuards(namespace, onChange), { synced: () => listed });
    const op = startOperator({ cluster: c, log: silent });
    await op.started;
    expect(op.state()).toBe('leading');
    expect(op.ready()).toBe(false);
    listed = true;
    expect(op.ready()).toBe(true);
    await op.stop();
  });
});

describe('health and metrics endpoints', () => {
  it('answers /healthz, /readyz by the readiness check, and /metrics', async () => {
    let ready = false;
    const metrics = createMetrics();
    metrics.setPhases(['Idle', 'Idle', 'Blocked']);
    const server = await startHttp({
      port: 0,
      host: '127.0.0.1',
      ready: () => ready,
      registry: metrics.registry,
    });
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      ready = true;
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain('vakt_guards{phase="Idle"} 2');
      expect(text).toContain('vakt_guards{phase="Blocked"} 1');
      for (const name of [
        'vakt_probe_requests_total',
        'vakt_leaks_total',
        'vakt_reverts_total',
        'vakt_revert_seconds',
        'vakt_reconcile_errors_total',
      ]) {
        expect(text).toContain(`# TYPE ${name}`);
      }
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('serves only what it was given', async () => {
    const server = await startHttp({ port: 0, host: '127.0.0.1', ready: () => true });
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('vakt operator flags', () => {
  it('defaults: leader election in a cluster only, ports 8080 and 8081, cluster DNS', () => {
    const outside = operatorSettings([], captureIo({ POD_NAMESPACE: 'vakt-system' }).io);
    expect(outside).toMatchObject({
      leaderElect: false,
      metricsPort: 8080,
      healthPort: 8081,
      leaseNamespace: 'vakt-system',
      operatorNamespace: 'vakt-system',
      serviceUrlTemplate: 'http://{name}.{namespace}.svc:{port}',
    });
    expect(outside.namespaces).toBeUndefined();
    expect(outside.platformConfig).toEqual({ namespace: 'vakt-system', name: 'vakt-platform' });
    const inside = operatorSettings(
      [
        '--namespace',
        'shop,cart',
        '--github-secret',
        'gh',
        '--lease-namespace',
        'ops',
        '--platform-config',
        'ops/floors',
      ],
      captureIo({ KUBERNETES_SERVICE_HOST: '10.0.0.1', POD_NAMESPACE: 'vakt-system' }).io,
    );
    expect(inside).toMatchObject({
      leaderElect: true,
      namespaces: ['shop', 'cart'],
      platformConfig: { namespace: 'ops', name: 'floors' },
      githubSecret: 'gh',
      leaseNamespace: 'ops',
    });
    const off = operatorSettings(
      ['--no-leader-elect'],
      captureIo({ KUBERNETES_SERVICE_HOST: 'x' }).io,
    );
    expect(off.leaderElect).toBe(false);
  });

  it('refuses bad flags with a UsageError naming them', () => {
    const io = captureIo().io;
    expect(() => operatorSettings(['--service-url-template', 'nothing'], io)).toThrow(UsageError);
    expect(() => operatorSettings(['--metrics-port', 'x'], io)).toThrow(/--metrics-port/);
    expect(() => operatorSettings(['--health-port', '70000'], io)).toThrow(/--health-port/);
    expect(() => operatorSettings(['--bogus'], io)).toThrow(UsageError);
  });

  it.each([
    [
      '/nonexistent/trusted-root.json',
      '--trusted-root: cannot read /nonexistent/trusted-root.json',
    ],
    [
      'package.json',
      'package.json: mediaType must be application/vnd.dev.sigstore.trustedroot+json',
    ],
  ])(
    'exits 2 before touching the cluster when --trusted-root %s does not load',
    async (file, said) => {
      const run = captureIo({ POD_NAMESPACE: 'vakt-system' });
      const args = ['operator', '--trusted-root', file, '--kubeconfig', '/nonexistent/kubeconfig'];
      expect(await main(args, run.io)).toBe(2);
      expect(run.stderr).toContain(`vakt operator: ${said}`);
    },
  );

  it('reads --admission-policies as names, and without it expects none', () => {
    const io = captureIo().io;
    expect(operatorSettings([], io).admissionPolicies).toBeUndefined();
    expect(
      operatorSettings(['--admission-policies', 'vakt-workloads, vakt-pods'], io).admissionPolicies,
    ).toEqual(['vakt-workloads', 'vakt-pods']);
  });

  it.each([
    ['', /\("" is not one\), got ""/],
    ['vakt-pods,,vakt-services', /\("" is not one\)/],
    ['vakt-pods,Vakt_Services', /\("Vakt_Services" is not one\)/],
    ['vakt-pods,vakt-pods', /\(each once\)/],
    [`${'a'.repeat(254)}`, /is not one/],
  ])('exits 2 with one line for --admission-policies %j', async (value, message) => {
    const run = captureIo();
    expect(await main(['operator', '--admission-policies', value], run.io)).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--admission-policies expects ValidatingAdmissionPolicy names/);
    expect(lines[0]).toMatch(message);
  });

  it('documents itself with an example', () => {
    expect(operatorCommand.name).toBe('operator');
    expect(operatorCommand.help).toMatch(/Example:\n {2}vakt operator /);
    for (const flag of [
      '--namespace',
      '--kubeconfig',
      '--leader-elect',
      '--lease-namespace',
      '--github-secret',
      '--service-url-template',
      '--metrics-port',
      '--health-port',
      '--admission-policies',
      '--trusted-root',
    ]) {
      expect(operatorCommand.help).toContain(flag);
    }
  });

  it('makes Service URLs from the template', () => {
    const url = serviceUrlFromTemplate('http://{name}.{namespace}.svc.cluster.local:{port}');
    expect(url({ namespace: 'shop', name: 'shop-canary', port: 8080 })).toBe(
      'http://shop-canary.shop.svc.cluster.local:8080',
    );
  });
});

// --- probes, with a scripted runner instead of real HTTP --------------------------------

describe('probe manager', () => {
  it('drops the reports of a stopped or replaced probe', async () => {
    const reports: ProbeReport[] = [];
    const scripted = scriptedRun(30);
    const probes = probeManager({ report: (_ref, r) => reports.push(r), run: scripted.run });
    probes.start(REF, { target: 'candidate', mode: 'canary', templateHash: 'h1' }, setup());
    probes.stop(REF);
    expect(probes.current(REF)).toBeNull();
    probes.start(REF, { target: 'candidate', mode: 'canary', templateHash: 'h2' }, setup());
    probes.start(REF, { target: 'candidate', mode: 'canary', templateHash: 'h3' }, setup());
    expect(probes.current(REF)).toEqual({
      target: 'candidate',
      mode: 'canary',
      templateHash: 'h3',
    });
    await until(() => reports.length > 0, 'a report');
    await sleep(60);
    expect(reports.map((r) => [r.templateHash, r.outcome])).toEqual([['h3', 'pass']]);
    // A canary run is one run: once it ended, decide() sees no probe running.
    expect(probes.current(REF)).toBeNull();
    expect(scripted.targets.at(-1)).toBe('http://shop-canary.shop:8080');
    await probes.stopAll();
  });

  it('probes the edge too, reports a leak on it at once, and keeps guarding after it', async () => {
    const reports: ProbeReport[] = [];
    const scripted = scriptedRun(20, /edge/);
    const probes = probeManager({ report: (_ref, r) => reports.push(r), run: scripted.run });
    probes.start(
      REF,
      { target: 'stable', mode: 'guard', templateHash: 'h1', intervalMs: 10 },
      setup('https://edge.example/'),
    );
    await until(() => reports.length > 0, 'the leak');
    expect(scripted.targets.slice(0, 2).sort()).toEqual([
      'http://shop.shop:8080',
      'https://edge.example/',
    ]);
    expect(reports[0]).toMatchObject({
      outcome: 'leak',
      mode: 'guard',
      target: 'stable',
      leak: LEAK,
    });
    // Nothing to revert on stable: the guard goes on, so it sees whether the leak lasts.
    await until(() => reports.length >= 2, 'the next guard run');
    expect(reports[1]).toMatchObject({ outcome: 'leak', mode: 'guard' });
    expect(reports[1]?.runId).not.toBe(reports[0]?.runId);
    expect(probes.current(REF)).toMatchObject({ mode: 'guard', target: 'stable' });
    await probes.stopAll();
  });

  it('ends a canary run at a leak through the edge, and runs it again after a pause', async () => {
    const reports: ProbeReport[] = [];
    const scripted = scriptedRun(5, /edge/);
    const probes = probeManager({ report: (_ref, r) => reports.push(r), run: scripted.run });
    const canary = { target: 'candidate', mode: 'canary', templateHash: 'h1' } as const;
    probes.start(REF, canary, setup('https://edge.example/'));
    await until(() => reports.length > 0, 'the leak');
    expect(reports[0]).toMatchObject({ outcome: 'leak', via: 'edge' });
    // No verdict on the candidate: decide() sees no probe running and asks for another.
    await until(() => probes.current(REF) === null, 'the run to end');
    const runs = scripted.targets.length;
    const again = Date.now();
    probes.start(REF, canary, setup('https://edge.example/'));
    await until(() => reports.length > 1, 'the second run');
    expect(Date.now() - again).toBeGreaterThanOrEqual(900);
    expect(scripted.targets.length).toBeGreaterThan(runs);
    await probes.stopAll();
  });

  it('counts runs by mode and outcome, failed requests, and the latency of clean samples', async () => {
    const metrics = createMetrics();
    const reports: ProbeReport[] = [];
    const run = async (config: ProbeConfig, hooks: RunHooks = {}): Promise<ProbeVerdict> => {
      for (const ms of [4, 40, 400]) hooks.onLatency?.(ms);
      const ended = verdict(config, 'inconclusive');
      return { ...ended, counters: { ...ended.counters, sent: 13, failed: 3 } };
    };
    const probes = probeManager({ report: (_ref, r) => reports.push(r), run, metrics });
    probes.start(REF, { target: 'candidate', mode: 'canary', templateHash: 'h1' }, setup());
    await until(() => reports.length > 0, 'the inconclusive run');
    await probes.stopAll();
    const value = async (name: string, labels: string) => {
      const text = await metrics.registry.metrics();
      const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
      return Number(line?.split(' ').at(-1));
    };
    const canary = 'mode="canary"';
    expect(await value('vakt_probe_runs_total', `${canary},outcome="inconclusive"`)).toBe(1);
    expect(await value('vakt_probe_runs_total', `${canary},outcome="pass"`)).toBe(0);
    expect(await value('vakt_probe_requests_total', canary)).toBe(13);
    expect(await value('vakt_probe_request_failures_total', canary)).toBe(3);
    expect(await value('vakt_probe_request_seconds_count', canary)).toBe(3);
    expect(await value('vakt_probe_request_seconds_bucket', `le="0.05",${canary}`)).toBe(2);
    expect(await value('vakt_probe_request_seconds_sum', canary)).toBeCloseTo(0.444);
  });

  it('lets guard runs take turns, while canary runs never wait', async () => {
    let running = 0;
    let most = 0;
    const started: string[] = [];
    const run = async (config: ProbeConfig): Promise<ProbeVerdict> => {
      started.push(config.target);
      running += 1;
      most = Math.max(most, running);
      await sleep(40);
      running -= 1;
      return verdict(config, 'pass');
    };
    const probes = probeManager({ report: () => {}, run, guardRunsAtOnce: 1 });
    const guard = { target: 'stable', mode: 'guard', templateHash: 'h', intervalMs: 1 } as const;
    for (const name of ['a', 'b', 'c']) probes.start({ namespace: 'shop', name }, guard, setup());
    await until(() => running === 1, 'the first guard run');
    probes.start(
      { namespace: 'shop', name: 'd' },
      { target: 'candidate', mode: 'canary', templateHash: 'h2' },
      setup(),
    );
    await until(() => started.includes('http://d-canary.shop:8080'), 'the canary run');
    expect(most).toBe(2); // one guard run, and the canary beside it
    await until(() => new Set(started).size === 4, 'every guard run');
    await probes.stopAll();
    expect(most).toBe(2);
  });
});

/** The approval section's defaults (two approvals from people with write access), provenance off. */
const APPROVAL = ApprovalSpec.parse({ provenance: 'off' });

describe('approval checker', () => {
  it('fails closed without GitHub credentials, and never throws on a status it cannot post', async () => {
    const reports: ApprovalReport[] = [];
    const checker = new ApprovalChecker({
      cluster: new MemoryCluster(),
      log: silent,
      report: (_ref, r) => reports.push(r),
    });
    const action = {
      kind: 'checkApproval',
      templateHash: 'h',
      revision: 'a'.repeat(40),
      repository: 'acme/shop',
      digests: [] as string[],
    } as const;
    checker.check(REF, action, APPROVAL);
    checker.postStatus(REF, {
      kind: 'postCommitStatus',
      repository: 'acme/shop',
      sha: 'a'.repeat(40),
      context: 'vakt/two-person',
      state: 'pending',
      description: 'x',
    });
    await checker.idle();
    expect(reports).toHaveLength(1);
    expect(reports[0]?.verdict.outcome).toBe('undecided');
    expect(reports[0]?.verdict.reasons[0]).toMatch(/--github-secret/);
    expect(reports[0]?.warnings?.[0]).toMatch(/^provenance checking is off/);
  });

  it('denies when the policy has no approval section', async () => {
    const reports: ApprovalReport[] = [];
    const c = new MemoryCluster();
    c.secrets.set('vakt/gh', { token: 't' });
    const checker = new ApprovalChecker({
      cluster: c,
      github: { secret: { namespace: 'vakt', name: 'gh' } },
      log: silent,
      report: (_ref, r) => reports.push(r),
    });
    checker.check(
      REF,
      {
        kind: 'checkApproval',
        templateHash: 'h',
        revision: 'b'.repeat(40),
        repository: 'acme/shop',
        digests: [],
      },
      undefined,
    );
    await checker.idle();
    expect(reports[0]?.verdict.outcome).toBe('denied');
    expect(reports[0]?.verdict.reasons[0]).toMatch(/no approval section/);
  });

  it('asks GitHub as an App installation when the Secret holds one, never logging its key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const installationToken = 'ghs_operatorInstallation0123456789';
    const tokens = nock(API)
      .post('/app/installations/77/access_tokens')
      .matchHeader('authorization', /^bearer [\w-]+\.[\w-]+\.[\w-]+$/i)
      .reply(201, { token: installationToken, expires_at: '2099-01-01T00:00:00Z' });
    github.reset();
    github.approvers.set(SHA.v2, ['bob', 'carol']);
    mockGitHub();
    const c = new MemoryCluster();
    c.secrets.set('vakt/gh', { 'app-id': '1234', 'private-key': pem, 'installation-id': '77' });
    const lines: string[] = [];
    const log = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const reports: ApprovalReport[] = [];
    const checker = new ApprovalChecker({
      cluster: c,
      github: {
        secret: { namespace: 'vakt', name: 'gh' },
        baseUrl: API,
        createOctokit: (options) => createGitHub({ ...options, retries: false }),
      },
      log,
      report: (_ref, r) => reports.push(r),
    });
    checker.check(
      REF,
      {
        kind: 'checkApproval',
        templateHash: 'h',
        revision: SHA.v2,
        repository: 'acme/shop',
        digests: [],
      },
      APPROVAL,
    );
    await checker.idle();
    nock.cleanAll();
    expect(tokens.isDone()).toBe(true);
    expect(reports[0]?.verdict.outcome).toBe('approved');
    expect(reports[0]?.verdict.counted.map((a) => a.login).sort()).toEqual(['bob', 'carol']);
    const logged = lines.join('');
    expect(logged).not.toContain(pem.split('\n')[1] ?? 'missing');
    expect(logged).not.toContain(installationToken);
  });
});
