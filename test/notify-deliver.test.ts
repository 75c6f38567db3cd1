import { writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { NotificationConfig, type SinkType } from '../src/notify/config.ts';
import { NOTIFICATION_SCHEMA, type Notification } from '../src/notify/notification.ts';
import { Notifier, type NotifierOptions } from '../src/notify/notifier.ts';
import { createMetrics } from '../src/operator/metrics.ts';
import { type Answer, type Receiver, startReceiver, urlFiles } from './support/webhook-receiver.ts';

/**
 * The notifier against webhook receivers on loopback: what reaches each kind of sink, the
 * retries (500s, a 429's Retry-After), per-try deadlines, bounded queues, and a URL that
 * never shows in a log line, whatever goes wrong.
 */

const opened: { close(): Promise<void> }[] = [];
const notifiers: Notifier[] = [];
let logs: string[] = [];

afterEach(async () => {
  await Promise.all(notifiers.splice(0).map((n) => n.stop()));
  await Promise.all(opened.splice(0).map((o) => o.close()));
  logs = [];
});

async function receiver(answers: Answer[] = []): Promise<Receiver> {
  const r = await startReceiver(answers);
  opened.push(r);
  return r;
}

interface Setup {
  sinks: { name: string; type: SinkType; receiver: Receiver | string; events?: string[] }[];
  attempts?: number;
  timeoutSeconds?: number;
  queueSize?: number;
  drainMs?: number;
}

async function notifier(setup: Setup) {
  const urls = Object.fromEntries(
    setup.sinks.map((s) => [s.name, typeof s.receiver === 'string' ? s.receiver : s.receiver.url]),
  );
  const files = await urlFiles(urls);
  opened.push({ close: files.remove });
  const config = NotificationConfig.parse({
    sinks: setup.sinks.map((s) => ({
      name: s.name,
      type: s.type,
      urlFile: files.files[s.name],
      ...(s.events && { events: s.events }),
    })),
    ...(setup.attempts !== undefined && { attempts: setup.attempts }),
    ...(setup.timeoutSeconds !== undefined && { timeoutSeconds: setup.timeoutSeconds }),
    ...(setup.queueSize !== undefined && { queueSize: setup.queueSize }),
  });
  const waits: number[] = [];
  const metrics = createMetrics();
  const registry = metrics.registry;
  const options: NotifierOptions = {
    config,
    counter: metrics.notifications,
    log: createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(chunk.toString());
          done();
        },
      }),
    }),
    // Waits between tries are recorded, not waited: the test asserts what was asked for.
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...(setup.drainMs !== undefined && { drainMs: setup.drainMs }),
  };
  const n = new Notifier(options);
  notifiers.push(n);
  const count = async (labels: string) => {
    const text = await registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`vakt_notifications_total{${labels}} `));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  return { notifier: n, waits, count, files: files.files };
}

let serial = 0;
function notification(event: Notification['event'] = 'Reverted'): Notification {
  serial += 1;
  return {
    schema: NOTIFICATION_SCHEMA,
    id: `id-${serial}`,
    event,
    severity: 'warning',
    time: '2026-12-02T10:00:00.000Z',
    guard: { namespace: 'shop', name: 'shop' },
    release: { templateHash: 'abc', commit: 'c3'.repeat(20), images: [], digests: [] },
    message: 'leak on candidate: bob was told it is alice',
    evidence: {
      leak: {
        kind: 'identity-mismatch',
        summary: 'bob was told it is alice',
        tenant: 'bob',
        owner: 'alice',
        method: 'GET',
        path: '/api/me',
        requestNumber: 3,
        status: 200,
        headers: {},
      },
    },
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const noUrlLogged = (...receivers: Receiver[]) => {
  const text = logs.join('');
  expect(text.length).toBeGreaterThan(0);
  for (const r of receivers) {
    expect(text).not.toContain(r.token);
    expect(text).not.toContain(r.url);
  }
};

describe('notifier', () => {
  it('posts each sink its own body, once per decision, to the sinks that want the event', async () => {
    const [slack, teams, hook] = await Promise.all([receiver(), receiver(), receiver()]);
    const { notifier: n, count } = await notifier({
      sinks: [
        { name: 'slack', type: 'slack', receiver: slack },
        { name: 'teams', type: 'teams', receiver: teams },
        { name: 'hook', type: 'webhook', receiver: hook, events: ['Reverted'] },
      ],
    });
    const reverted = notification('Reverted');
    n.notify('k1', reverted);
    n.notify('k1', reverted); // the same decision again: a pass repeated
    n.notify('k2', notification('Promoted'));
    await n.idle();

    expect(slack.received).toHaveLength(2);
    expect(teams.received).toHaveLength(2);
    expect(hook.received).toHaveLength(1);
    expect(slack.received[0]?.body).toMatchObject({ text: expect.stringContaining('Reverted') });
    expect(slack.received[0]?.body).toMatchObject({ blocks: expect.any(Array) });
    expect(teams.received[0]?.body).toMatchObject({
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }],
    });
    expect(hook.received[0]?.body).toEqual(reverted);
    expect(hook.received[0]?.path).toBe(`/services/${hook.token}`);
    expect(hook.received[0]?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-vakt-event': 'Reverted',
      'x-vakt-notification': reverted.id,
    });
    expect(await count('sink="hook",event="Reverted",outcome="sent"')).toBe(1);
    expect(await count('sink="slack",event="Promoted",outcome="sent"')).toBe(1);
    noUrlLogged(slack, teams, hook);
  });

  it('retries a 500 with backoff, then succeeds', async () => {
    const hook = await receiver([{ status: 500 }, { status: 502 }]);
    const {
      notifier: n,
      waits,
      count,
    } = await notifier({
      sinks: [{ name: 'hook', type: 'webhook', receiver: hook }],
    });
    const sent = notification();
    n.notify('k', sent);
    await n.idle();
    // Every try carries the same id: a receiver that got an earlier one can drop the rest.
    expect(hook.received.map((r) => r.headers['x-vakt-notification'])).toEqual([
      sent.id,
      sent.id,
      sent.id,
    ]);
    expect(waits).toEqual([1000, 2000]);
    expect(await count('sink="hook",event="Reverted",outcome="sent"')).toBe(1);
    expect(logs.join('')).toContain('"attempts":3');
  });

  it("waits as long as a 429's Retry-After says (seconds or a date), at most 60 s", async () => {
    const later = new Date(Date.now() + 3_600_000).toUTCString();
    const hook = await receiver([
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 429, headers: { 'retry-after': later } },
    ]);
    const { notifier: n, waits } = await notifier({
      sinks: [{ name: 'hook', type: 'webhook', receiver: hook }],
    });
    n.notify('k', notification());
    await n.idle();
    expect(hook.received).toHaveLength(3);
    expect(waits).toEqual([7000, 60_000]);
  });

  it('gives up after the tries, and at once on an answer that will not change (404)', async () => {
    const failing = await receiver([{ status: 500 }, { status: 500 }, { status: 500 }]);
    const gone = await receiver([{ status: 404 }]);
    const { notifier: n, count } = await notifier({
      sinks: [
        { name: 'failing', type: 'slack', receiver: failing },
        { name: 'gone', type: 'teams', receiver: gone },
      ],
    });
    n.notify('k', notification());
    await n.idle();
    expect(failing.received).toHaveLength(3);
    expect(gone.received).toHaveLength(1);
    expect(await count('sink="failing",event="Reverted",outcome="failed"')).toBe(1);
    expect(await count('sink="gone",event="Reverted",outcome="failed"')).toBe(1);
    const failures = logs.filter((l) => l.includes('notification failed')).join('');
    expect(failures).toContain('"reason":"HTTP 500"');
    expect(failures).toContain('"reason":"HTTP 404"');
    noUrlLogged(failing, gone);
  });

  it('ends a try that gets no answer at its deadline, and never names the URL in the error', async () => {
    const silent = await receiver(['hang', 'hang']);
    // Nothing listens here: the connection is refused, and the error must not say where.
    const closed = await receiver();
    const refusedUrl = closed.url;
    await closed.close();
    const { notifier: n, count } = await notifier({
      sinks: [
        { name: 'silent', type: 'webhook', receiver: silent },
        { name: 'refused', type: 'webhook', receiver: refusedUrl },
      ],
      attempts: 2,
      timeoutSeconds: 0.2,
    });
    n.notify('k', notification());
    await n.idle();
    expect(silent.received).toHaveLength(2);
    expect(await count('sink="silent",event="Reverted",outcome="failed"')).toBe(1);
    expect(await count('sink="refused",event="Reverted",outcome="failed"')).toBe(1);
    const text = logs.join('');
    expect(text).toContain('no answer within 200 ms');
    expect(text).toContain('ECONNREFUSED');
    expect(text).not.toContain(refusedUrl);
    expect(text).not.toContain(closed.token);
    noUrlLogged(silent);
  });

  it('a sink that hangs holds up neither notify() nor the other sinks; its full queue drops', async () => {
    const stuck = await receiver(['hang']);
    const fine = await receiver();
    const { notifier: n, count } = await notifier({
      sinks: [
        { name: 'stuck', type: 'webhook', receiver: stuck },
        { name: 'fine', type: 'slack', receiver: fine },
      ],
      queueSize: 1,
      timeoutSeconds: 60,
    });
    for (const [i, key] of ['a', 'b', 'c'].entries()) {
      n.notify(key, notification());
      await until(`the other sink served ${key}`, () => fine.received.length === i + 1);
    }
    // stuck: a in flight, b waiting, c dropped.
    expect(stuck.hanging).toBe(1);
    expect(await count('sink="stuck",event="Reverted",outcome="dropped"')).toBe(1);
    expect(await count('sink="fine",event="Reverted",outcome="sent"')).toBe(3);
    expect(logs.join('')).toContain('notification dropped: queue full');
    stuck.release();
    await n.idle();
    expect(stuck.received).toHaveLength(2);
    noUrlLogged(stuck, fine);
  });

  it('stopping lets the queue go out for a while, then abandons what still hangs', async () => {
    const stuck = await receiver(['hang']);
    const { notifier: n, count } = await notifier({
      sinks: [{ name: 'stuck', type: 'webhook', receiver: stuck }],
      timeoutSeconds: 60,
      drainMs: 100,
    });
    n.notify('a', notification());
    n.notify('b', notification());
    await until('the first request held', () => stuck.hanging === 1);
    await n.stop();
    expect(stuck.received).toHaveLength(1);
    expect(await count('sink="stuck",event="Reverted",outcome="failed"')).toBe(1);
    expect(await count('sink="stuck",event="Reverted",outcome="dropped"')).toBe(1);
    n.notify('c', notification());
    expect(await count('sink="stuck",event="Reverted",outcome="dropped"')).toBe(2);
  });

  it('reads the URL file for each notification, so a rotated Secret is used without a restart', async () => {
    const [before, after] = await Promise.all([receiver(), receiver()]);
    const { notifier: n, files } = await notifier({
      sinks: [{ name: 'hook', type: 'webhook', receiver: before }],
    });
    n.notify('a', notification());
    await n.idle();
    await writeFile(files.hook as string, after.url);
    n.notify('b', notification());
    await n.idle();
    expect(before.received).toHaveLength(1);
    expect(after.received).toHaveLength(1);
    await writeFile(files.hook as string, 'not a url');
    n.notify('c', notification());
    await n.idle();
    expect(logs.join('')).toContain('does not hold an http(s) URL');
    noUrlLogged(before, after);
  });
});
