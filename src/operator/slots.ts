/**
 * The slots guard runs take turns for: at most `size` at once, shared fairly.
 *
 * - One holder (a guard) holds one slot at a time: a replaced probe's next run waits
 *   until the run before it has wound down.
 * - A free slot goes to the group (a namespace) holding the fewest; among equals, to the
 *   one served longest ago. So waiters take turns across namespaces, not in arrival order.
 * - A group may use slots nobody else waits for, but while other groups wait, it keeps at
 *   most its share, ceil(size / groups holding or waiting) and at least 1. Runs against
 *   targets that never answer would hold their slots for ever, so the share is enforced by
 *   taking slots back: the newest grant of the group furthest above its share is revoked
 *   (its holder stops and releases), one for each slot the others are owed.
 *
 * A waiter whose signal aborts leaves the queue without taking a slot.
 */

export interface SlotHolder {
  /** Who holds it: at most one slot per key. */
  key: string;
  /** Whose share it counts against. */
  group: string;
}

export interface SlotGrant {
  /** Gives the slot back; calling it again does nothing. */
  release(): void;
  /** Aborts when the slot is taken back for another group: stop, then release. */
  revoked: AbortSignal;
}

interface Held {
  holder: SlotHolder;
  order: number;
  revoke: AbortController;
}

interface Waiter {
  holder: SlotHolder;
  order: number;
  grant: (held: Held) => void;
}

export class FairSlots {
  private readonly size: number;
  private readonly holding = new Set<Held>();
  private readonly queue: Waiter[] = [];
  /** When each group was last granted a slot (a counter, not a clock). */
  private readonly served = new Map<string, number>();
  private count = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`slots: size ${size} < 1`);
    this.size = size;
  }

  /** Resolves with the grant once a slot is held; null when aborted first. */
  acquire(holder: SlotHolder, signal: AbortSignal): Promise<SlotGrant | null> {
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        holder,
        order: this.next(),
        grant: (held) => {
          signal.removeEventListener('abort', abandon);
          resolve(this.grantOf(held));
        },
      };
      const abandon = () => {
        const at = this.queue.indexOf(waiter);
        if (at >= 0) this.queue.splice(at, 1);
        resolve(null);
        this.pump();
      };
      this.queue.push(waiter);
      signal.addEventListener('abort', abandon, { once: true });
      this.pump();
    });
  }

  /** Slots held now (revoked ones included until released), in all or in one group. */
  held(group?: string): number {
    return [...this.holding].filter((h) => group === undefined || h.holder.group === group).length;
  }

  /** Holders waiting for a slot. */
  waiting(): number {
    return this.queue.length;
  }

  private next(): number {
    this.count += 1;
    return this.count;
  }

  private grantOf(held: Held): SlotGrant {
    let released = false;
    return {
      revoked: held.revoke.signal,
      release: () => {
        if (released) return;
        released = true;
        this.holding.delete(held);
        this.pump();
      },
    };
  }

  /** Waiters that may be granted now: their holder holds no slot. */
  private eligible(): Waiter[] {
    const busy = new Set([...this.holding].map((h) => h.holder.key));
    return this.queue.filter((w) => !busy.has(w.holder.key));
  }

  private pump(): void {
    while (this.holding.size < this.size) {
      const waiter = this.pick();
      if (!waiter) break;
      this.queue.splice(this.queue.indexOf(waiter), 1);
      const held: Held = {
        holder: waiter.holder,
        order: this.next(),
        revoke: new AbortController(),
      };
      this.holding.add(held);
      this.served.set(waiter.holder.group, held.order);
      waiter.grant(held);
    }
    this.reclaim();
    for (const group of this.served.keys()) {
      if (this.held(group) === 0 && !this.queue.some((w) => w.holder.group === group)) {
        this.served.delete(group); // a namespace without guard runs now: forget it
      }
    }
  }

  /** The first eligible waiter of the group holding fewest, served longest ago. */
  private pick(): Waiter | undefined {
    let best: { waiter: Waiter; rank: [number, number, number] } | undefined;
    for (const waiter of this.eligible()) {
      const { group } = waiter.holder;
      const rank: [number, number, number] = [
        this.held(group),
        this.served.get(group) ?? 0,
        waiter.order,
      ];
      if (!best || less(rank, best.rank)) best = { waiter, rank };
    }
    return best?.waiter;
  }

  /** Takes slots back from groups above their share, as many as other groups are owed. */
  private reclaim(): void {
    const groups = new Set([
      ...[...this.holding].map((h) => h.holder.group),
      ...this.queue.map((w) => w.holder.group),
    ]);
    const share = Math.max(1, Math.ceil(this.size / groups.size));
    const wanting = new Map<string, number>();
    for (const waiter of this.eligible()) {
      const { group } = waiter.holder;
      wanting.set(group, (wanting.get(group) ?? 0) + 1);
    }
    let owed = 0;
    for (const [group, waiters] of wanting) {
      owed += Math.min(waiters, Math.max(0, share - this.held(group)));
    }
    const live = [...this.holding].filter((h) => !h.revoke.signal.aborted);
    // Free slots, and revoked ones whose holders are still stopping.
    let coming = this.size - live.length;
    while (coming < owed) {
      const victim = furthestAbove(live, share);
      if (!victim) break;
      victim.revoke.abort();
      live.splice(live.indexOf(victim), 1);
      coming += 1;
    }
  }
}

/** The newest live grant of the group holding most above `share`. */
function furthestAbove(live: Held[], share: number): Held | undefined {
  const byGroup = new Map<string, Held[]>();
  for (const held of live) {
    byGroup.set(held.holder.group, [...(byGroup.get(held.holder.group) ?? []), held]);
  }
  let most: Held[] | undefined;
  for (const grants of byGroup.values()) {
    if (grants.length > share && (!most || grants.length > most.length)) most = grants;
  }
  return most?.reduce((a, b) => (b.order > a.order ? b : a));
}

function less(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}
