/**
 * How many reconcile passes run at once, across all guards. Each guard's passes are
 * serialized already; without a bound, an operator adopting a thousand guards (or seeing
 * a thousand watch events at once after a relist) runs a thousand passes together: a
 * thousand sets of API objects in memory and as many connections to the API server at
 * once, and the one pass that matters (after a leak) waits behind all of them for the
 * event loop. With a bound the others take turns; nothing is skipped.
 *
 * A pass waiting for its turn goes ahead of the queue while its guard has an urgent
 * trigger (a leak, a retry timer), looked at when a turn comes free, not when it queued.
 * The revert itself never waits here: the reconciler's reflex scales the candidate down
 * outside any pass.
 */

export interface Turn {
  /** Gives the turn back; calling it again does nothing. */
  release(): void;
}

interface Waiter {
  urgent: () => boolean;
  grant: (turn: Turn) => void;
}

export class PassTurns {
  private readonly size: number;
  private running = 0;
  private readonly queue: Waiter[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`passes at once: ${size} < 1`);
    this.size = size;
  }

  /** Resolves when a turn is free; `urgent` is asked again whenever one comes free. */
  take(urgent: () => boolean): Promise<Turn> {
    return new Promise((resolve) => {
      this.queue.push({ urgent, grant: resolve });
      this.pump();
    });
  }

  /** Passes running now (for tests and metrics). */
  active(): number {
    return this.running;
  }

  /** Passes waiting for a turn. */
  waiting(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.running < this.size && this.queue.length > 0) {
      const urgentAt = this.queue.findIndex((w) => w.urgent());
      const [waiter] = this.queue.splice(urgentAt >= 0 ? urgentAt : 0, 1);
      if (!waiter) return;
      this.running += 1;
      let released = false;
      waiter.grant({
        release: () => {
          if (released) return;
          released = true;
          this.running -= 1;
          this.pump();
        },
      });
    }
  }
}
