import { afterEach, describe, expect, it } from 'vitest';
import { NotificationConfig } from '../src/notify/config.ts';
import type { Notification } from '../src/notify/notification.ts';
import type { Operator } from '../src/operator/operator.ts';
import { RECHECK_ANNOTATION } from '../src/operator/reconciler.ts';
import {
  failStatusWrites,
  GITHUB_SECRET,
  type KubeWorld,
  OPERATOR_NS,
} from './support/kube-world.ts';
import { digestOf, GITHUB_TOKEN, image, metric, SHA, spec } from './support/operator-fixtures.ts';
import { operatorSuite } from './support/operator-suite.ts';
import { release, releaseUrls } from './support/releases.ts';
import { shopSecrets } from './support/shop-probe.ts';
import { type Answer, type Receiver, startReceiver, urlFiles } from './support/webhook-receiver.ts';

/**
 * Notifications from the operator as it runs against the fake Kubernetes API server, to
 * Slack-, Teams- and webhook-shaped receivers on loopback: each decision announced once
 * (Blocked once per release, across restarts), with the leak's evidence and no credential,
 * and a receiver that never answers holding up no decision.
 */

const APPROVERS = ['bob', 'carol'];

const suite = operatorSuite(
  {
    v1: { version: 'v1' },
    v2: { version: 'v2' },
    leaky: { version: 'leaky', flaw: 'cache-without-user' },
    // Slow enough that a canary run is still going when the operator is restarted.
    slow: { version: 'slow', backendLatencyMs: 40 },
  },
  { checkGrants: true },
);

const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((c) => c.close()));
});

interface Sinks {
  slack: Receiver;
  teams: Receiver;
  hook: Receiver;
  config: NotificationConfig;
}

async function sinks(hookAnswers: Answer[] = []): Promise<Sinks> {
  const [slack, teams, hook] = await Promise.all([
    startReceiver(),
    startReceiver(),
    startReceiver(hookAnswers),
  ]);
  closing.push(slack, teams, hook);
  const files = await urlFiles({ slack: slack.url, teams: teams.url, hook: hook.url });
  closing.push({ close: files.remove });
  const config = NotificationConfig.parse({
    sinks: [
      { name: 'slack', type: 'slack', urlFile: files.files.slack },
      { name: 'teams', type: 'teams', urlFile: files.files.teams },
      { name: 'hook', type: 'webhook', urlFile: files.files.hook },
    ],
    timeoutSeconds: 60,
  });
  return { slack, teams, hook, config };
}

async function startWorld(guardSpec: unknown = spec()): Promise<KubeWorld> {
  const { shops } = suite;
  const world = await suite.start({
    spec: guardSpec,
    urls: releaseUrls({
      stable: shops.v1,
      candidate: shops.v2,
      slow: shops.slow,
      leaky: shops.leaky,
    }),
  });
  return world;
}

async function adopted(world: KubeWorld, config: NotificationConfig): Promise<Operator> {
  const op = world.start({ notifications: config });
  await world.waitFor('adoption', () => world.status()?.phase === 'Idle');
  return op;
}

/** The notifications the JSON webhook received, in order. */
const bodies = (hook: Receiver) => hook.received.map((r) => r.body as Notification);
const events = (hook: Receiver) => bodies(hook).map((n) => n.event);

/** What the Slack and Teams receivers were told, by the event their headers name. */
const named = (receiver: Receiver) => receiver.received.map((r) => r.headers['x-vakt-event']);

/** No webhook URL in what the operator logged, in an Event, or in a guard's status. */
function expectNoUrl(world: KubeWorld, { slack, teams, hook }: Sinks): void {
  const places = {
    logs: world.logs.join(''),
    events: JSON.stringify(world.kube.store.list('events.k8s.io/v1/Event')),
    status: JSON.stringify(world.kube.store.list('ReleaseGuard').map((g) => g.status)),
  };
  for (const receiver of [slack, teams, hook]) {
    for (const [where, text] of Object.entries(places)) {
      expect(text.includes(receiver.token), `a webhook URL in ${where}`).toBe(false);
    }
  }
}

describe('operator notifications', () => {
  it('announces a revert once on every sink, with the evidence and no credential', async () => {
    const s = await sinks();
    const world = await startWorld();
    const op = await adopted(world, s.config);
    const hash = release(world, SHA.leak, 'leak', APPROVERS);
    await world.waitFor('the revert', () => world.status()?.phase === 'Reverted');
    await world.waitFor('every sink told', () =>
      [s.slack, s.teams, s.hook].every((r) => r.answered >= 1),
    );
    expect(events(s.hook)).toEqual(['Reverted']);
    expect(named(s.slack)).toEqual(['Reverted']);
    expect(named(s.teams)).toEqual(['Reverted']);

    const [reverted] = bodies(s.hook);
    const leak = world.status()?.lastLeak;
    expect(reverted).toMatchObject({
      schema: 'vakt.dev/notification/v1',
      severity: 'warning',
      guard: { namespace: 'shop', name: 'shop' },
      release: {
        templateHash: hash,
        commit: SHA.leak,
        images: [image('leak')],
        digests: [digestOf('leak')],
      },
      message: world.events('Reverted')[0]?.note,
      evidence: {
        leak: {
          kind: leak?.kind,
          tenant: leak?.tenant,
          method: leak?.method,
          path: leak?.path,
          requestNumber: leak?.requestNumber,
        },
        probe: { mode: 'canary', target: 'candidate' },
      },
    });
    expect(reverted?.evidence.leak?.tenant).toMatch(/\S/);
    expect(reverted?.evidence.leak?.requestNumber).toBeGreaterThan(0);
    const slackText = JSON.stringify(s.slack.received[0]?.body);
    expect(slackText).toContain(`*Tenant*\\n${leak?.tenant}`);
    expect(slackText).toContain(`${leak?.method} ${leak?.path}`);

    // Tenant credentials and the GitHub token reach no sink.
    const sent = JSON.stringify([s.slack, s.teams, s.hook].map((r) => r.received));
    for (const secret of [...shopSecrets(), GITHUB_TOKEN]) expect(sent).not.toContain(secret);
    // Counted once the answer is read, a moment after the receiver sent it.
    await world.waitFor(
      'the metric',
      async () =>
        (await metric(
          op,
          'vakt_notifications_total',
          'sink="hook",event="Reverted",outcome="sent"',
        )) === 1,
    );
    expectNoUrl(world, s);
  });

  it('a receiver that never answers holds up neither the revert nor the next release', async () => {
    const s = await sinks(['hang']);
    const world = await startWorld();
    await adopted(world, s.config);
    release(world, SHA.leak, 'leak', APPROVERS);
    await world.waitFor('the notification held open', () => s.hook.hanging === 1);
    // The revert went ahead with the webhook still unanswered: scaled to zero, status and
    // Event written, the other sinks told.
    await world.waitFor('the revert recorded', () => world.status()?.phase === 'Reverted');
    expect(world.events('Reverted')).toHaveLength(1);
    expect(world.replicasOf('shop').at(-1)).toBe(0);
    await world.waitFor('Slack told', () => s.slack.answered === 1);

    const next = release(world, SHA.v4, 'v4', APPROVERS);
    await world.waitFor(
      'the next release promoted',
      () => world.status()?.stable?.templateHash === next,
    );
    await world.waitFor('Slack told of it', () => named(s.slack).includes('Promoted'));
    expect(s.hook.hanging).toBe(1);
    expect(s.hook.answered).toBe(0);
    // Its queue waits behind the held request, in order.
    s.hook.release();
    await world.waitFor('the webhook caught up', () => events(s.hook).includes('Promoted'));
    expect(events(s.hook).slice(0, 2)).toEqual(['Reverted', 'Promoted']);
    expectNoUrl(world, s);
  });

  it('announces Blocked once per release, however its reasons change and across a restart', async () => {
    const s = await sinks();
    const world = await startWorld();
    const first = await adopted(world, s.config);
    const v2 = release(world, SHA.v2, 'v2', ['bob']);
    await world.waitFor('denied', () => world.status()?.approval?.outcome === 'denied');
    await world.waitFor('the webhook told', () => s.hook.answered === 1);
    expect(bodies(s.hook)[0]).toMatchObject({
      event: 'Blocked',
      release: { templateHash: v2, commit: SHA.v2 },
      evidence: { approval: { outcome: 'denied', approvers: ['bob'] } },
    });

    // GitHub cannot be asked any more: undecided, a Blocked decision for another reason.
    world.putSecret(GITHUB_SECRET, {}, OPERATOR_NS);
    world.annotateGuard(RECHECK_ANNOTATION, '1');
    await world.waitFor('undecided', () => world.status()?.approval?.outcome === 'undecided');
    expect(world.events('Blocked')).toHaveLength(2);

    // A new operator process remembers nothing sent; status says Blocked was recorded.
    await first.stop();
    const gets = world.kube.requests.count('get', 'ReleaseGuard');
    world.start({ notifications: s.config });
    await world.waitFor(
      'a first pass',
      () => world.kube.requests.count('get', 'ReleaseGuard') > gets,
    );
    world.putSecret(GITHUB_SECRET, { token: GITHUB_TOKEN }, OPERATOR_NS);
    world.annotateGuard(RECHECK_ANNOTATION, '2');
    await world.waitFor('denied again', () => world.events('Blocked').length === 3);

    // Another release is announced again.
    const v4 = release(world, SHA.v4, 'v4', ['bob']);
    await world.waitFor('the second release blocked', () => s.hook.answered === 2);
    expect(bodies(s.hook).map((n) => [n.event, n.release.templateHash])).toEqual([
      ['Blocked', v2],
      ['Blocked', v4],
    ]);
    expect(named(s.slack)).toEqual(['Blocked', 'Blocked']);
    expectNoUrl(world, s);
  });

  it('announces Promoted and Baked once each when the operator restarts mid-canary', async () => {
    const s = await sinks();
    const world = await startWorld();
    const first = await adopted(world, s.config);
    const probed = suite.shops.slow.stats.requests;
    const hash = release(world, SHA.v6, 'v6', APPROVERS);
    await world.waitFor(
      'the canary probe under way',
      () => world.status()?.phase === 'Canary' && suite.shops.slow.stats.requests > probed + 10,
    );
    await first.stop();
    world.start({ notifications: s.config });
    await world.waitFor(
      'promotion and bake',
      () => world.status()?.phase === 'Idle' && world.status()?.stable?.templateHash === hash,
    );
    await world.waitFor('the webhook told', () => s.hook.answered === 2);
    expect(events(s.hook)).toEqual(['Promoted', 'Baked']);
    const [promoted, baked] = bodies(s.hook);
    expect(promoted?.evidence.approval).toEqual({
      outcome: 'approved',
      approvers: APPROVERS,
      pullRequest: expect.any(Number),
    });
    expect(promoted?.evidence.probe?.checked).toBeGreaterThan(0);
    expect(baked?.evidence.bake?.passedRuns).toBeGreaterThanOrEqual(1);
    expect(named(s.teams)).toEqual(['Promoted', 'Baked']);
  });

  it('repeated passes that cannot write status announce once; a restart before status is written sends the same id again', async () => {
    const s = await sinks();
    const world = await startWorld();
    const first = await adopted(world, s.config);
    failStatusWrites(world);
    release(world, SHA.leak, 'leak', APPROVERS);
    // Each pass reverts, records its Event, then fails to write status, and runs again.
    await world.waitFor('the decision repeated', () => world.events('Reverted').length >= 2);
    await world.waitFor('the webhook told', () => s.hook.answered === 1);
    expect(events(s.hook)).toEqual(['Reverted']);

    // Stopped before status was ever written: the next leader makes the decision again.
    await first.stop();
    world.kube.faults.clear();
    world.start({ notifications: s.config });
    await world.waitFor('the revert in status', () => world.status()?.phase === 'Reverted');
    await world.waitFor('the webhook told again', () => s.hook.answered === 2);
    const [before, after] = bodies(s.hook);
    expect(after?.id).toBe(before?.id);
    expectNoUrl(world, s);
  });
});
