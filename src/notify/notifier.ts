import type { Counter } from 'prom-client';
import { Agent } from 'undici';
import type { Logger } from '../log.ts';
import { type NotificationConfig, readWebhookUrl, type Sink } from './config.ts';
import { deliver } from './deliver.ts';
import { type DecisionFacts, notificationFor } from './from-decision.ts';
import type { Notification } from './notification.ts';
import { bodyFor } from './payloads.ts';

/**
 * Sends notifications beside the decisions, never in their way: notify() only queues and
 * returns. Each sink has its own bounded queue and one delivery at a time, so a sink that
 * hangs delays nothing but its own later notifications, and a full queue drops (logged and
 * counted) instead of growing. What was sent is remembered by key, so a pass repeated
 * after a failed status write does not send again (see from-decision.ts for restarts).
 */

export type Outcome = 'sent' | 'failed' | 'dropped';

export interface NotifierOptions {
  config: NotificationConfig;
  log: Logger;
  /** vakt_notifications_total{sink,event,outcome} (OperatorMetrics.notifications). */
  counter: Counter<'sink' | 'event' | 'outcome'>;
  /** How long stop() lets queued notifications go out before it abandons them (default 5 s). */
  drainMs?: number;
  /** Backoff and wait between tries (tests pass recorders). */
  backoffMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Queued {
  notification: Notification;
}

interface SinkState {
  sink: Sink;
  queue: Queued[];
  running: Promise<void> | null;
}

/** Keys remembered: a few per guard and release; the oldest are forgotten first. */
const REMEMBERED = 4096;
const DEFAULT_DRAIN_MS = 5000;

export class Notifier {
  private readonly options: NotifierOptions;
  private readonly sinks: SinkState[];
  private readonly sent = new Set<string>();
  private readonly abort = new AbortController();
  private readonly agent = new Agent({ connections: 2, keepAliveTimeout: 30_000 });
  private stopped = false;

  constructor(options: NotifierOptions) {
    this.options = options;
    this.sinks = options.config.sinks.map((sink) => ({ sink, queue: [], running: null }));
  }

  /** A decision of a pass: queued for every sink that wants its event, unless already sent. */
  decided(facts: DecisionFacts): void {
    const built = notificationFor(facts);
    if (built) this.notify(built.key, built.notification);
  }

  notify(key: string, notification: Notification): void {
    if (this.sent.has(key)) return;
    this.remember(key);
    for (const state of this.sinks) {
      if (!state.sink.events.includes(notification.event)) continue;
      if (this.stopped || state.queue.length >= this.options.config.queueSize) {
        this.count(state.sink, notification, 'dropped');
        this.options.log.warn(
          { ...about(state.sink, notification), queued: state.queue.length },
          this.stopped ? 'notification dropped: stopping' : 'notification dropped: queue full',
        );
        continue;
      }
      state.queue.push({ notification });
      state.running ??= this.pump(state).finally(() => {
        state.running = null;
      });
    }
  }

  /** Resolves once every queue is empty (for tests). */
  async idle(): Promise<void> {
    while (this.sinks.some((s) => s.running)) {
      await Promise.all(this.sinks.map((s) => s.running));
    }
  }

  /** Lets queued notifications go out for a while, then abandons the rest, counted as dropped. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const drained = this.idle();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.drainMs ?? DEFAULT_DRAIN_MS);
    });
    await Promise.race([drained, late]);
    clearTimeout(timer);
    this.abort.abort();
    await drained;
    await this.agent.close().catch(() => {});
  }

  private async pump(state: SinkState): Promise<void> {
    for (let next = state.queue.shift(); next; next = state.queue.shift()) {
      if (this.abort.signal.aborted) {
        this.count(state.sink, next.notification, 'dropped');
        this.options.log.warn(
          about(state.sink, next.notification),
          'notification dropped: stopped',
        );
        continue;
      }
      await this.send(state.sink, next.notification);
    }
  }

  private async send(sink: Sink, notification: Notification): Promise<void> {
    const { config, log } = this.options;
    let url: URL;
    try {
      url = await readWebhookUrl(sink);
    } catch (error) {
      this.count(sink, notification, 'failed');
      log.warn(
        { ...about(sink, notification), reason: (error as Error).message },
        'notification failed',
      );
      return;
    }
    const result = await deliver(url, bodyFor(sink.type, notification), headersFor(notification), {
      attempts: config.attempts,
      timeoutMs: config.timeoutSeconds * 1000,
      signal: this.abort.signal,
      dispatcher: this.agent,
      ...(this.options.backoffMs !== undefined && { backoffMs: this.options.backoffMs }),
      ...(this.options.sleep && { sleep: this.options.sleep }),
    });
    this.count(sink, notification, result.outcome);
    if (result.outcome === 'sent') {
      log.info({ ...about(sink, notification), attempts: result.attempts }, 'notification sent');
    } else {
      log.warn(
        { ...about(sink, notification), attempts: result.attempts, reason: result.reason },
        'notification failed',
      );
    }
  }

  private remember(key: string): void {
    this.sent.add(key);
    if (this.sent.size > REMEMBERED) {
      const oldest = this.sent.values().next().value;
      if (oldest !== undefined) this.sent.delete(oldest);
    }
  }

  private count(sink: Sink, notification: Notification, outcome: Outcome): void {
    this.options.counter.inc({ sink: sink.name, event: notification.event, outcome });
  }
}

/** What a log line says about a notification: never its URL. */
function about(sink: Sink, n: Notification) {
  return {
    sink: sink.name,
    event: n.event,
    guard: `${n.guard.namespace}/${n.guard.name}`,
    templateHash: n.release.templateHash,
    notification: n.id,
  };
}

function headersFor(n: Notification): Record<string, string> {
  return {
    'user-agent': 'vakt-operator',
    'x-vakt-event': n.event,
    'x-vakt-notification': n.id,
  };
}
