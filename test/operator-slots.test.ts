import { describe, expect, it } from 'vitest';
import { FairSlots, type SlotGrant } from '../src/operator/slots.ts';

/**
 * The guard-run scheduler on its own: which waiter gets a slot, and whose slot is taken
 * back. Every step is awaited as an event (a grant resolving); `settled()` only lets the
 * promises already due run, so "not granted" is checked without any timer.
 */

/** Lets every promise that can resolve now do so (a macrotask turn runs after microtasks). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** One holder asking for a slot: its grant when it came, and a way to give up waiting. */
interface Ask {
  name: string;
  grant?: SlotGrant | null;
  give: Promise<SlotGrant | null>;
  abort: AbortController;
}

function asker(slots: FairSlots, order: string[]) {
  return (name: string, key = name): Ask => {
    const group = name.replace(/[0-9]+$/, '');
    const abort = new AbortController();
    const ask: Ask = {
      name,
      abort,
      give: slots.acquire({ key, group }, abort.signal),
    };
    void ask.give.then((grant) => {
      ask.grant = grant;
      if (grant) order.push(name);
    });
    return ask;
  };
}

describe('guard slots', () => {
  it('grants at most `size` at once; a released slot goes to a waiter; an abort leaves the queue', async () => {
    const order: string[] = [];
    const slots = new FairSlots(2);
    const ask = asker(slots, order);
    const [a1, a2, a3, a4] = ['a1', 'a2', 'a3', 'a4'].map((n) => ask(n));
    await settled();
    expect(order).toEqual(['a1', 'a2']);
    a3?.abort.abort();
    expect(await a3?.give).toBeNull();
    a1?.grant?.release();
    a1?.grant?.release(); // twice is once
    await a4?.give;
    expect(order).toEqual(['a1', 'a2', 'a4']);
    expect(slots.held()).toBe(2);
    a2?.grant?.release();
    a4?.grant?.release();
    expect(slots.held()).toBe(0);
    expect(() => new FairSlots(0)).toThrow(RangeError);
  });

  it('gives one holder (one guard) one slot at a time, even with slots free', async () => {
    const order: string[] = [];
    const slots = new FairSlots(4);
    const ask = asker(slots, order);
    const first = ask('a1', 'shop/shop');
    const again = ask('a2', 'shop/shop');
    ask('a3');
    await settled();
    expect(order).toEqual(['a1', 'a3']);
    first.grant?.release();
    await again.give;
    expect(order).toEqual(['a1', 'a3', 'a2']);
  });

  it('takes turns across namespaces, not in arrival order', async () => {
    const order: string[] = [];
    const slots = new FairSlots(1);
    const ask = asker(slots, order);
    const asks = ['a1', 'a2', 'a3', 'a4', 'b1', 'c1'].map((n) => ask(n));
    await settled();
    // Each holder in turn gives its slot back, and the next one is granted.
    for (let turn = 1; turn < asks.length; turn++) {
      asks.find((a) => a.name === order.at(-1))?.grant?.release();
      await settled();
    }
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'a3', 'a4']);
  });

  it('lets one namespace use every slot while no other waits', async () => {
    const order: string[] = [];
    const slots = new FairSlots(4);
    const ask = asker(slots, order);
    ask('b1');
    await settled();
    const asks = ['a1', 'a2', 'a3', 'a4'].map((n) => ask(n));
    await settled();
    // b holds one and waits for nothing: a takes the other three, beyond half.
    expect(order).toEqual(['b1', 'a1', 'a2', 'a3']);
    expect(asks.every((a) => !a.grant?.revoked.aborted)).toBe(true);
  });

  it('takes the newest slot back from a namespace above its share when another waits', async () => {
    const order: string[] = [];
    const slots = new FairSlots(4);
    const ask = asker(slots, order);
    const asks = ['a1', 'a2', 'a3', 'a4', 'a5'].map((n) => ask(n));
    await settled();
    expect(order).toEqual(['a1', 'a2', 'a3', 'a4']);
    const b1 = ask('b1');
    await settled();
    // Two namespaces: a's share is 2 of 4, but b wants only one slot: one is taken back.
    const revoked = asks.filter((a) => a.grant?.revoked.aborted).map((a) => a.name);
    expect(revoked).toEqual(['a4']);
    expect(b1.grant).toBeUndefined();
    asks[3]?.grant?.release();
    await b1.give;
    expect(order).toEqual(['a1', 'a2', 'a3', 'a4', 'b1']); // not a5: a is above its share
    // b wants a second slot: a (3 of 4) is still above its share of 2.
    const b2 = ask('b2');
    await settled();
    expect(asks.filter((a) => a.grant?.revoked.aborted).map((a) => a.name)).toEqual(['a3', 'a4']);
    asks[2]?.grant?.release();
    await b2.give;
    // Now each holds its share: nothing more is taken back, a5 waits for a release.
    const b3 = ask('b3');
    await settled();
    expect(asks.filter((a) => a.grant?.revoked.aborted).map((a) => a.name)).toEqual(['a3', 'a4']);
    // A free slot goes to the namespace holding fewer: b (1) before a (2).
    b1.grant?.release();
    await b3.give;
    expect(order.at(-1)).toBe('b3');
  });

  it('gives every namespace at least one slot in turn when there are more namespaces than slots', async () => {
    const order: string[] = [];
    const slots = new FairSlots(2);
    const ask = asker(slots, order);
    const asks = ['a1', 'b1', 'c1', 'a2'].map((n) => ask(n));
    await settled();
    expect(order).toEqual(['a1', 'b1']);
    // A share of one each: nobody holds more, so nothing is taken back.
    expect(asks.some((a) => a.grant?.revoked.aborted)).toBe(false);
    asks[0]?.grant?.release();
    await settled();
    expect(order).toEqual(['a1', 'b1', 'c1']);
    asks[1]?.grant?.release();
    await settled();
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2']);
  });
});
