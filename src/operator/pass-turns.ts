/**
 * How many reconcile passes run at once, across all guards. Each guard's passes are
 * serialized already; without a bound, an operator adopting a thousand guards (or seeing
 * a thousand watch events at once after a relist) runs a thousand passes together: a
 * thousand sets of API objects in memory and as many connections to the API server at
 * once, and the one pass that matters (after a leak) waits behind all of them for the
 * event loop. With a bound the others take turns; nothing is skipped.
 *
 * A pass waiting for its turn goes ahead of the queue while its guard has an urgent
 * trigger (a leak, a foreign edit, a retry timer): the highest priority first, in order
 * of asking among equals, looked at when a turn comes free, not when it queued.
 * The revert itself never waits here: the reconciler's reflex scales the candidate down
 * outside any pass.
 */

export interface Turn {
  /** Gives the turn back; calling it again does nothing. */
  release(): void;
}

interface Waiter {
  /** 0 for an ordinary pass; higher goes first. */
  priority: () => number;
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

  /** Resolves when a turn is free; `priority` is asked again whenever one comes free. */
  take(priority: () => number): Promise<Turn> {
    return new Promise((resolve) => {
      this.queue.push({ priority, grant: resolve });
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
      let next = 0;
      let highest = 0;
      this.queue.forEach((w, i) => {
        const priority = w.priority();
        if (priority > highest) [next, highest] = [i, priority];
      });
      const [waiter] = this.queue.splice(next, 1);
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
