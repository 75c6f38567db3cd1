import type { Clock } from '../../src/kube/clock.ts';

interface Timer {
  at: number;
  kind: 'sleep' | 'timeout';
  fire(): void;
}

/**
 * A monotonic clock that moves only when the test says so. Sleeps and request timeouts
 * fire in order as `advance` passes them; `sleeping` tells a test that every loop it drives
 * is idle, so moving time on cannot race a request in flight.
 */
export class FakeClock implements Clock {
  #now = 1_000_000;
  #timers: Timer[] = [];

  now = (): number => this.#now;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer: Timer = { at: this.#now + ms, kind: 'sleep', fire: resolve };
      this.#timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.#drop(timer);
          resolve();
        },
        { once: true },
      );
    });

  timeout = (ms: number): AbortSignal => {
    const controller = new AbortController();
    this.#timers.push({
      at: this.#now + ms,
      kind: 'timeout',
      fire: () => controller.abort(new DOMException('request timed out', 'TimeoutError')),
    });
    return controller.signal;
  };

  /** Pending sleeps (timeouts not counted). */
  get sleeping(): number {
    return this.#timers.filter((t) => t.kind === 'sleep').length;
  }

  /** Moves time on by `ms`, firing every timer due on the way, earliest first. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.#drop(next);
      this.#now = Math.max(this.#now, next.at);
      next.fire();
    }
    this.#now = target;
  }

  #drop(timer: Timer): void {
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
  }
}
