/**
 * Webhook work, run beside the HTTP answer (GitHub wants one within ten seconds). Work for
 * one key (a pull request, a run's environment) runs one at a time, and what arrives while
 * it runs is folded into one more run with the latest item: five reviews in a second are
 * two decisions, the last on the latest state, never five racing check runs.
 */
export class WorkQueue<T> {
  private readonly slots = new Map<string, { next?: T }>();
  private readonly ready: string[] = [];
  private active = 0;
  private stopped = false;
  private waiters: (() => void)[] = [];
  private readonly run: (item: T) => Promise<void>;
  private readonly limit: number;

  /** `limit`: how many items run at once, across keys. */
  constructor(run: (item: T) => Promise<void>, limit = 4) {
    this.run = run;
    this.limit = limit;
  }

  /** False after stop(): the work is refused. */
  push(key: string, item: T): boolean {
    if (this.stopped) return false;
    const slot = this.slots.get(key);
    if (slot) {
      // Waiting or running: the latest item is the one that runs next.
      slot.next = item;
      return true;
    }
    this.slots.set(key, { next: item });
    this.ready.push(key);
    this.pump();
    return true;
  }

  /** Refuses new work and waits for what is queued and running. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.slots.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private pump(): void {
    while (this.active < this.limit) {
      const key = this.ready.shift();
      if (key === undefined) return;
      const slot = this.slots.get(key);
      const item = slot?.next;
      if (!slot || item === undefined) continue;
      slot.next = undefined;
      this.active += 1;
      void this.run(item)
        .catch(() => undefined)
        .finally(() => {
          this.active -= 1;
          if (slot.next !== undefined) this.ready.push(key);
          else this.slots.delete(key);
          this.pump();
          if (this.slots.size === 0) {
            for (const wake of this.waiters.splice(0)) wake();
          }
        });
    }
  }
}
