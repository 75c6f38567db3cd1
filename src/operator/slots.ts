/**
 * A counting semaphore: at most `size` holders at once, the rest wait in arrival order.
 * A waiter whose signal aborts leaves the queue without taking a slot.
 */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`slots: size ${size} < 1`);
    this.free = size;
  }

  /** Resolves with a release function once a slot is held; null when aborted first. */
  acquire(signal: AbortSignal): Promise<(() => void) | null> {
    if (signal.aborted) return Promise.resolve(null);
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const grant = () => {
        signal.removeEventListener('abort', abandon);
        resolve(this.releaser());
      };
      const abandon = () => {
        const at = this.waiting.indexOf(grant);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve(null);
      };
      this.waiting.push(grant);
      signal.addEventListener('abort', abandon, { once: true });
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    };
  }
}
