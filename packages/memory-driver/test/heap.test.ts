import { describe, expect, it } from 'vitest';
import { IndexedHeap } from '../src/heap.js';

interface Item {
  value: number;
  heapIndex: number;
}

/** A deterministic pseudo-random sequence (LCG), so the test is repeatable. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state;
  };
}

const item = (value: number): Item => ({ value, heapIndex: -1 });
const byValue = (): IndexedHeap<Item> =>
  new IndexedHeap<Item>(
    (x) => x.value,
    () => 0,
    () => 0,
  );

describe('IndexedHeap', () => {
  it('pops in order', () => {
    const heap = byValue();
    for (const value of [5, 3, 8, 1, 9, 2, 7]) heap.push(item(value));
    const out: number[] = [];
    for (let next = heap.pop(); next !== undefined; next = heap.pop()) out.push(next.value);
    expect(out).toEqual([1, 2, 3, 5, 7, 8, 9]);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
  });

  it('removes arbitrary items and keeps order under a random workload', () => {
    const next = sequence(42);
    const heap = byValue();
    const live = new Set<Item>();
    for (let step = 0; step < 5_000; step += 1) {
      const action = next() % 3;
      if (action === 0 || live.size === 0) {
        const added = item(next() % 1_000);
        heap.push(added);
        live.add(added);
      } else if (action === 1) {
        const victim = [...live][next() % live.size]!;
        expect(heap.remove(victim)).toBe(true);
        expect(victim.heapIndex).toBe(-1);
        live.delete(victim);
      } else {
        const min = Math.min(...[...live].map((entry) => entry.value));
        const popped = heap.pop()!;
        expect(popped.value).toBe(min);
        live.delete(popped);
      }
      expect(heap.size).toBe(live.size);
    }
  });

  it('refuses to remove an item it does not hold', () => {
    const a = byValue();
    const b = byValue();
    const inA = item(1);
    a.push(inA);
    b.push(item(2));
    expect(b.remove(inA)).toBe(false);
    expect(b.size).toBe(1);
    expect(a.remove(inA)).toBe(true);
    expect(a.remove(inA)).toBe(false);
  });

  it('orders by the three key parts in turn, under pushes, pops and removals', () => {
    interface Keyed extends Item {
      a: number;
      b: number;
      c: number;
    }
    const next = sequence(7);
    const heap = new IndexedHeap<Keyed>(
      (x) => x.a,
      (x) => x.b,
      (x) => x.c,
    );
    const live: Keyed[] = [];
    const order = (x: Keyed, y: Keyed): number => x.a - y.a || x.b - y.b || x.c - y.c;
    for (let step = 0; step < 3_000; step += 1) {
      const action = next() % 4;
      if (action <= 1 || live.length === 0) {
        const added: Keyed = { value: 0, heapIndex: -1, a: next() % 3, b: next() % 4, c: step };
        heap.push(added);
        live.push(added);
      } else if (action === 2) {
        const victim = live.splice(next() % live.length, 1)[0]!;
        expect(heap.remove(victim)).toBe(true);
      } else {
        live.sort(order);
        expect(heap.pop()).toBe(live.shift());
      }
      expect(heap.size).toBe(live.length);
      expect(new Set(heap)).toEqual(new Set(live));
    }
    live.sort(order);
    const drained: Keyed[] = [];
    for (let popped = heap.pop(); popped !== undefined; popped = heap.pop()) drained.push(popped);
    expect(drained).toEqual(live);
  });

  it('keeps order when most pushes arrive in order (the sorted run) and some do not', () => {
    const next = sequence(99);
    const heap = byValue();
    const live = new Set<Item>();
    let value = 0;
    for (let step = 0; step < 20_000; step += 1) {
      const action = next() % 10;
      if (action <= 4 || live.size === 0) {
        // mostly ascending, sometimes behind the last value pushed
        value += 1;
        const added = item(next() % 8 === 0 ? value - (next() % 3_000) : value);
        heap.push(added);
        live.add(added);
      } else if (action <= 6) {
        const victim = [...live][next() % live.size]!;
        expect(heap.remove(victim)).toBe(true);
        expect(heap.remove(victim)).toBe(false);
        live.delete(victim);
      } else {
        const min = Math.min(...[...live].map((entry) => entry.value));
        expect(heap.peek()!.value).toBe(min);
        const popped = heap.pop()!;
        expect(popped.value).toBe(min);
        expect(popped.heapIndex).toBe(-1);
        live.delete(popped);
      }
      expect(heap.size).toBe(live.size);
    }
    expect(new Set(heap)).toEqual(live);
    let last = Number.NEGATIVE_INFINITY;
    for (let popped = heap.pop(); popped !== undefined; popped = heap.pop()) {
      expect(popped.value).toBeGreaterThanOrEqual(last);
      last = popped.value;
      live.delete(popped);
    }
    expect(live.size).toBe(0);
  });

  it('keeps finding run items after the run drops its dead prefix', () => {
    const heap = byValue();
    const items = Array.from({ length: 5_000 }, (_, value) => item(value));
    for (const added of items.slice(0, 3_000)) heap.push(added);
    for (let value = 0; value < 2_000; value += 1) expect(heap.pop()).toBe(items[value]);
    for (const added of items.slice(3_000)) heap.push(added);
    for (let value = 2_000; value < 5_000; value += 7) expect(heap.remove(items[value]!)).toBe(true);
    expect(heap.remove(items[0]!)).toBe(false);
    const rest = items.slice(2_000).filter((_, offset) => offset % 7 !== 0);
    expect(heap.size).toBe(rest.length);
    for (const expected of rest) expect(heap.pop()).toBe(expected);
    expect(heap.pop()).toBeUndefined();
  });
});
