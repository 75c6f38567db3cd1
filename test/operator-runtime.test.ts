import { Writable } from 'node:stream';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitHub } from '../src/github/client.ts';
import { createLogger } from '../src/log.ts';
import { type Operator, startOperator } from '../src/operator/operator.ts';
import { RECHECK_ANNOTATION } from '../src/operator/reconciler.ts';
import type { ReleaseGuardStatus } from '../src/release/schema.ts';
import { templateHash } from '../src/release/template.ts';
import { type Shop, startShop } from '../src/shop/index.ts';
import POLICY from './fixtures/operator/policy.json' with { type: 'json' };
import { apiError, MemoryCluster } from './support/memory-cluster.ts';
import {
  API,
  GITHUB_TOKEN,
  github,
  image,
  metric,
  mockGitHub,
  SHA,
  spec,
  template,
} from './support/operator-fixtures.ts';
import { shopEnv, shopSecrets } from './support/shop-probe.ts';

/**
 * The operator end to end, over an in-memory cluster: real sample shops on loopback are
 * the pods behind the Services, GitHub answers through nock, decide() does the rest.
 */

const NS = 'shop';

// --- the world ----------------------------------------------------------------------------

let shops: { clean: Shop; clean2: Shop; slow: Shop; leaky: Shop; leakySlow: Shop };
const logLines: string[] = [];

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  const [clean, clean2, slow, leaky, leakySlow] = await Promise.all([
    startShop({ version: 'v1' }),
    startShop({ version: 'v2' }),
    startShop({ version: 'slow', backendLatencyMs: 30 }),
    startShop({ version: 'leaky', flaw: 'cache-without-user' }),
    startShop({ version: 'leaky-slow', flaw: 'cache-without-user', backendLatencyMs: 150 }),
  ]);
  shops = { clean, clean2, slow, leaky, leakySlow };
});

afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await Promise.all(Object.values(shops).map((s) => s.close()));
});

const running: Operator[] = [];

beforeEach(() => {
  github.reset();
  mockGitHub();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((op) => op.stop()));
  nock.cleanAll();
  // Nothing the operator logged may carry a credential.
  const logs = logLines.splice(0).join('');
  for (const secret of [...shopSecrets(), GITHUB_TOKEN]) expect(logs).not.toContain(secret);
});

interface World {
  cluster: MemoryCluster;
  urls: Map<string, string>;
  start(): Operator;
  status(): ReleaseGuardStatus | undefined;
  waitFor(what: string, check: () => boolean): Promise<void>;
  events(reason?: string): { type: string; reason: string; message: string }[];
}

function world(guardSpec: unknown = spec()): World {
  const cluster = new MemoryCluster();
  cluster.secrets.set(`${NS}/shop-tenants`, shopEnv());
  cluster.secrets.set('vakt-system/github', { token: GITHUB_TOKEN });
  cluster.applyDeployment(NS, 'shop', template(SHA.v1, 'v1'), 3);
  cluster.applyGuard(NS, 'shop', guardSpec);
  const urls = new Map<string, string>([
    [image('v1'), shops.clean.url],
    [image('v2'), shops.clean2.url],
    [image('v4'), shops.clean2.url],
    [image('v5'), shops.clean2.url],
    [image('v6'), shops.slow.url],
    [image('leak'), shops.leaky.url],
    [image('leak-slow'), shops.leakySlow.url],
  ]);
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  });
  return {
    cluster,
    urls,
    start() {
      const op = startOperator({
        cluster,
        log,
        github: {
          secret: { namespace: 'vakt-system', name: 'github' },
          baseUrl: API,
          createOctokit: (options) => createGitHub({ ...options, retries: false }),
        },
        serviceUrl: cluster.serviceUrl((img) => urls.get(img)),
        guardLoad: { requests: 30, concurrency: 2 },
      });
      running.push(op);
      return op;
    },
    status: () => cluster.guard(NS, 'shop')?.status,
    async waitFor(what, check) {
      const deadline = Date.now() + 20_000;
      while (!check()) {
        if (Date.now() > deadline) {
          const status = cluster.guard(NS, 'shop')?.status;
          throw new Error(
            `timed out waiting for ${what}; phase ${status?.phase}: ${status?.message}; events ${cluster.events.map((e) => e.reason).join(', ')}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    events: (reason) => cluster.events.filter((e) => reason === undefined || e.reason === reason),
  };
}

async function adopted(w: World): Promise<Operator> {
  const op = w.start();
  await w.waitFor('adoption', () => w.status()?.phase === 'Idle');
  return op;
}

function release(w: World, sha: string, tag: string, approvers: string[], replicas = 3): string {
  github.approvers.set(sha, approvers);
  const tpl = template(sha, tag);
  w.cluster.applyDeployment(NS, 'shop', tpl, replicas);
  return templateHash(tpl);
}

const phaseIs =
  (w: World, ...phases: string[]) =>
  () =>
    phases.includes(w.status()?.phase ?? '');

describe('operator', () => {
  it('adopts the target: <name>-stable and the Services first, then the target goes to zero', async () => {
    const w = world();
    const op = await adopted(w);
    const stable = w.cluster.deployment(NS, 'shop-stable');
    expect(stable?.templateHash).toBe(templateHash(template(SHA.v1, 'v1')));
    expect(stable?.replicas).toBe(3);
    expect(
      w.cluster.services.has(`${NS}/shop`) && w.cluster.services.has(`${NS}/shop-canary`),
    ).toBe(true);
    expect(w.cluster.deployment(NS, 'shop')?.replicas).toBe(0);
    const kinds = w.cluster.writes.map((x) => x.kind);
    expect(kinds.indexOf('setStable')).toBeLessThan(kinds.indexOf('scale'));
    expect(w.events('Adopted')).toHaveLength(1);
    expect(await metric(op, 'vakt_guards', 'phase="Idle"')).toBe(1);
    // Between releases the guard probe watches stable.
    await w.waitFor('a guard probe run', () => w.status()?.probe?.mode === 'guard');
    expect(await metric(op, 'vakt_probe_requests_total', 'mode="guard"')).toBeGreaterThan(0);
  });

  it('blocks an unapproved template, then proceeds when approvals arrive (recheck on demand)', async () => {
    const w = world();
    await adopted(w);
    const hash = release(w, SHA.v2, 'v2', ['bob']);
    await w.waitFor('Blocked and denied', () => w.status()?.approval?.outcome === 'denied');
    expect(w.status()?.phase).toBe('Blocked');
    expect(w.status()?.candidate?.templateHash).toBe(hash);
    expect(w.status()?.message).toMatch(/approval/);
    expect(w.cluster.deployment(NS, 'shop')?.replicas).toBe(0);
    expect(w.events('Blocked')).toEqual([expect.objectContaining({ type: 'Warning' })]);
    await w.waitFor('the failure status', () =>
      github.statuses.some((s) => s.sha === SHA.v2 && s.state === 'failure'),
    );
    expect(
      github.statuses.filter((s) => s.sha === SHA.v2).map((s) => [s.context, s.state]),
    ).toEqual([
      ['vakt/two-person', 'pending'],
      ['vakt/two-person', 'failure'],
    ]);

    github.approvers.set(SHA.v2, ['bob', 'carol']);
    w.cluster.annotateGuard(NS, 'shop', RECHECK_ANNOTATION, 'now');
    await w.waitFor(
      'approval',
      () =>
        w.status()?.approval?.outcome === 'approved' ||
        w.status()?.phase === 'Baking' ||
        w.status()?.stable?.templateHash === hash,
    );
    expect(w.events('Approved')).toHaveLength(1);
    await w.waitFor('the success status', () =>
      github.statuses.some((s) => s.sha === SHA.v2 && s.state === 'success'),
    );
    expect(github.asked.get(SHA.v2)).toBe(2);
  });

  it('reverts a leaking canary at once and never retries that template', async () => {
    const w = world();
    const op = await adopted(w);
    const hash = release(w, SHA.leak, 'leak', ['bob', 'carol']);
    await w.waitFor('the revert', phaseIs(w, 'Reverted'));
    const status = w.status() as ReleaseGuardStatus;
    expect(w.cluster.deployment(NS, 'shop')?.replicas).toBe(0);
    expect(status.rejected.map((r) => r.templateHash)).toEqual([hash]);
    expect(status.lastLeak).toMatchObject({
      target: 'candidate',
      templateHash: hash,
      revision: SHA.leak,
    });
    expect(status.lastLeak?.summary).toBeTruthy();
    expect(w.events('Reverted')).toEqual([expect.objectContaining({ type: 'Warning' })]);
    expect(await metric(op, 'vakt_leaks_total', 'target="candidate"')).toBe(1);
    expect(await metric(op, 'vakt_reverts_total', 'why="candidate"')).toBe(1);
    expect(await metric(op, 'vakt_revert_seconds_count')).toBe(1);
    const ms = (await metric(op, 'vakt_revert_seconds_sum')) * 1000;
    console.info(`leak -> candidate scaled to zero: ${ms.toFixed(1)} ms`);
    await w.waitFor('the probe failure status', () =>
      github.statuses.some((s) => s.sha === SHA.leak && s.context === 'vakt/probe'),
    );

    // Someone applies the very same template again, with replicas.
    const passes = w.cluster.count('getGuard');
    w.cluster.applyDeployment(NS, 'shop', template(SHA.leak, 'leak'), 2);
    await w.waitFor(
      'another pass and zero replicas',
      () =>
        w.cluster.count('getGuard') > passes && w.cluster.deployment(NS, 'shop')?.replicas === 0,
    );
    expect(w.status()?.phase).toBe('Reverted');
    expect(github.asked.get(SHA.leak)).toBe(1);
    expect(w.events('Reverted')).toHaveLength(1);
    // No new canary run: the last canary report is still the leaking run's.
    const probe = w.status()?.probe;
    expect(probe?.mode !== 'canary' || probe.runId === w.status()?.lastLeak?.runId).toBe(true);
  });

  it('scales a leaking candidate to zero at once, even while every pass is stuck', async () => {
    const w = world();
    const op = await adopted(w);
    const before = shops.leakySlow.stats.requests;
    const hash = release(w, SHA.v7, 'leak-slow', ['bob', 'carol']);
    await w.waitFor('the canary probe', () => shops.leakySlow.stats.requests > before);
    // From here on every pass hangs at its first read, as behind a struggling API server.
    const unblock = w.cluster.hold('getGuard');
    await w.waitFor(
      'the candidate at zero',
      () => w.cluster.deployment(NS, 'shop')?.replicas === 0,
    );
    expect(w.cluster.deployment(NS, 'shop')?.annotations['vakt.dev/rejected-template']).toBe(hash);
    expect(w.status()?.phase).toBe('Canary');
    unblock();
    await w.waitFor('the revert in status', phaseIs(w, 'Reverted'));
    expect(w.status()?.rejected.map((r) => r.templateHash)).toEqual([hash]);
    expect(w.events('Reverted')).toHaveLength(1);
    expect(await metric(op, 'vakt_reverts_total', 'why="candidate"')).toBe(1);
    expect(w.cluster.deployment(NS, 'shop')?.replicas).toBe(0);
  });

  it('promotes a clean canary, bakes it, then settles to Idle', async () => {
    const w = world();
    await adopted(w);
    const hash = release(w, SHA.v4, 'v4', ['bob', 'carol']);
    await w.waitFor('promotion', () =>
      w.cluster.writes.some((x) => x.kind === 'setStable' && x.why === 'promote'),
    );
    expect(w.cluster.deployment(NS, 'shop-stable')?.templateHash).toBe(hash);
    await w.waitFor(
      'the end of the bake',
      () => w.status()?.phase === 'Idle' && w.status()?.stable?.templateHash === hash,
    );
    expect(w.events().map((e) => e.reason)).toEqual(
      expect.arrayContaining(['ReleaseDetected', 'Approved', 'Promoted', 'Baked']),
    );
    expect(w.status()?.previousStable).toBeUndefined();
    expect(w.cluster.deployment(NS, 'shop')?.replicas).toBe(0);
    await w.waitFor('the probe success status', () =>
      github.statuses.some(
        (s) => s.sha === SHA.v4 && s.context === 'vakt/probe' && s.state === 'success',
      ),
    );
  });

  it('restores the previous stable template on a leak while baking', async () => {
    const w = world(spec({ bakeTime: '60s' }));
    const op = await adopted(w);
    const hash = release(w, SHA.v5, 'v5', ['bob', 'carol']);
    await w.waitFor('baking', phaseIs(w, 'Baking'));
    // The promoted release meets a cache on the way to users.
    w.urls.set(image('v5'), shops.leaky.url);
    await w.waitFor('the rollback', phaseIs(w, 'Reverted'));
    expect(w.cluster.deployment(NS, 'shop-stable')?.templateHash).toBe(
      templateHash(template(SHA.v1, 'v1')),
    );
    expect(w.cluster.writes.filter((x) => x.kind === 'setStable').map((x) => x.why)).toEqual([
      'adopt',
      'promote',
      'restore',
    ]);
    expect(w.status()?.rejected.map((r) => r.templateHash)).toEqual([hash]);
    expect(w.events('RolledBack')).toHaveLength(1);
    expect(await metric(op, 'vakt_reverts_total', 'why="restore"')).toBe(1);
    console.info(
      `leak while baking -> stable restored: ${((await metric(op, 'vakt_revert_seconds_sum')) * 1000).toFixed(1)} ms`,
    );
  });

  it('raises a Warning, a condition and a metric on a leak on stable, and reverts nothing', async () => {
    const w = world();
    const op = await adopted(w);
    const writes = w.cluster.writes.filter((x) => x.kind !== 'status').length;
    // A CDN change, not a release: stable itself starts leaking.
    w.urls.set(image('v1'), shops.leaky.url);
    await w.waitFor('the alarm', () => w.events('LeakOnStable').length > 0);
    expect(w.events('LeakOnStable')[0]?.type).toBe('Warning');
    await w.waitFor(
      'the condition',
      () =>
        w
          .status()
          ?.conditions.some((c) => c.type === 'ProbesPassing' && c.reason === 'LeakOnStable') ??
        false,
    );
    expect(w.status()?.phase).toBe('Idle');
    expect(await metric(op, 'vakt_leaks_total', 'target="stable"')).toBeGreaterThanOrEqual(1);
    expect(w.cluster.writes.filter((x) => x.kind !== 'status')).toHaveLength(writes);
  });

  it('hands back on deletion: stable keeps serving, the target gets its replicas back', async () => {
    const w = world();
    await adopted(w);
    expect(w.cluster.guard(NS, 'shop')?.finalizers).toEqual(['vakt.dev/hand-back']);
    w.cluster.deleteGuard(NS, 'shop');
    await w.waitFor('the guard to go', () => w.cluster.guard(NS, 'shop') === undefined);
    expect(w.cluster.deployment(NS, 'shop')?.replicas).toBe(3);
    expect(w.cluster.deployment(NS, 'shop-stable')?.replicas).toBe(3);
    expect(w.cluster.writes.filter((x) => x.kind === 'orphan')).toHaveLength(1);
    expect(w.events('HandedBack')[0]?.message).toMatch(/runs the stable release at 3 replicas/);
  });

  it('never hands an unapproved template the replicas on deletion', async () => {
    const w = world();
    await adopted(w);
    release(w, SHA.v2, 'v2', ['bob']);
    await w.waitFor('Blocked', phaseIs(w, 'Blocked'));
    w.cluster.deleteGuard(NS, 'shop');
    await w.waitFor('the guard to go', () => w.cluster.guard(NS, 'shop') === undefined);
    expect(w.cluster.deployment(NS, 'shop')?.replicas).toBe(0);
    expect(w.events('HandedBack')[0]?.message).toMatch(
      /not the stable release, so it stays at zero/,
    );
  });

  it('sets phase Invalid naming the field, does not loop, and recovers when fixed', async () => {
    const w = world(spec({ bakeTime: 'soon' }));
    const op = w.start();
    await w.waitFor('Invalid', phaseIs(w, 'Invalid'));
    expect(w.status()?.message).toContain('spec.bakeTime');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const passes = w.cluster.count('getGuard');
    expect(passes).toBeLessThanOrEqual(5);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(w.cluster.count('getGuard')).toBe(passes);
    expect(w.events('Invalid')).toHaveLength(1);
    expect(w.cluster.deployment(NS, 'shop')?.replicas).toBe(3);
    expect(w.cluster.deployment(NS, 'shop-stable')).toBeUndefined();
    expect(await metric(op, 'vakt_guards', 'phase="Invalid"')).toBe(1);

    w.cluster.applyGuard(NS, 'shop', spec());
    await w.waitFor('recovery', phaseIs(w, 'Idle'));
  });

  it('reads a policy from a ConfigMap: missing is Invalid naming the field, then it is used', async () => {
    const w = world(
      spec({ policy: { configMapRef: { name: 'shop-policy', key: 'policy.yaml' } } }),
    );
    w.start();
    await w.waitFor('Invalid', phaseIs(w, 'Invalid'));
    expect(w.status()?.message).toBe('spec.policy.configMapRef: ConfigMap shop-policy not found');
    // JSON is YAML too.
    w.cluster.configMaps.set(`${NS}/shop-policy`, { 'policy.yaml': JSON.stringify(POLICY) });
    w.cluster.annotateGuard(NS, 'shop', 'touched', '1');
    await w.waitFor('adoption', phaseIs(w, 'Idle'));
  });

  it('reports a missing tenants Secret key as Invalid, naming the Secret', async () => {
    const w = world();
    w.cluster.secrets.set(`${NS}/shop-tenants`, { ...shopEnv(), BOB_PASSWORD: '' });
    w.start();
    await w.waitFor('Invalid', phaseIs(w, 'Invalid'));
    expect(w.status()?.message).toMatch(
      /spec\.tenantsSecretRef\.name: .*bob.*Secret shop-tenants has no key BOB_PASSWORD/,
    );
  });

  it('resumes a canary after a restart without repeating a decision', async () => {
    const w = world();
    const first = await adopted(w);
    const hash = release(w, SHA.v6, 'v6', ['bob', 'carol']);
    await w.waitFor(
      'the canary probe',
      () => w.status()?.phase === 'Canary' && w.status()?.probe?.mode === 'canary',
    );
    await first.stop();
    expect(w.status()?.phase).toBe('Canary');

    w.start();
    await w.waitFor(
      'promotion and bake',
      () => w.status()?.phase === 'Idle' && w.status()?.stable?.templateHash === hash,
    );
    for (const reason of ['Adopted', 'ReleaseDetected', 'Approved', 'Promoted', 'Baked']) {
      expect(w.events(reason), reason).toHaveLength(1);
    }
    expect(github.asked.get(SHA.v6)).toBe(1);
    expect(
      w.cluster.writes.filter((x) => x.kind === 'setStable' && x.why === 'promote'),
    ).toHaveLength(1);
  });

  it('retries Kubernetes API errors with backoff and loses nothing', async () => {
    const w = world();
    w.cluster.failNext('watchGuards', apiError(503));
    w.cluster.failNext('observe', apiError(429));
    w.cluster.failNext('writeStatus', apiError(409));
    w.cluster.failNext('scaleDeployment', apiError(500));
    const op = await adopted(w);
    expect(await metric(op, 'vakt_reconcile_errors_total')).toBeGreaterThanOrEqual(3);
    expect(w.cluster.deployment(NS, 'shop')?.replicas).toBe(0);
    expect(w.status()?.phase).toBe('Idle');
    // A failed pass may repeat its actions, but the decision is recorded once.
    expect(w.status()?.decisions.filter((d) => d.reason === 'Adopted')).toHaveLength(1);
  });
});
