/** An item that knows its own slot, so the heap can remove it in O(log n) without searching. */
export interface HeapItem {
  /** Index in the heap holding the item, or -1 when it is in none. */
  heapIndex: number;
}

/** One part of an item's sort key; it must not change while the item is in a heap. */
export type HeapKey<T> = (item: T) => number;

/**
 * A binary min-heap ordered by a sort key of three numbers compared in turn (smallest first), read once when
 * an item is pushed. The keys live in arrays beside the items, so sifting compares numbers in adjacent slots
 * (siblings share a cache line) instead of reading each item. Items carry their index, which gives O(log n)
 * `remove` of any item; an item lives in at most one heap at a time.
 */
export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[] = [];
  private readonly k1: number[] = [];
  private readonly k2: number[] = [];
  private readonly k3: number[] = [];

  constructor(
    private readonly key1: HeapKey<T>,
    private readonly key2: HeapKey<T>,
    private readonly key3: HeapKey<T>,
  ) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const index = this.items.length;
    this.items.push(item);
    this.k1.push(this.key1(item));
    this.k2.push(this.key2(item));
    this.k3.push(this.key3(item));
    this.up(index);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Removes `item` if this heap holds it; returns whether it did. */
  remove(item: T): boolean {
    const index = item.heapIndex;
    if (index < 0 || this.items[index] !== item) return false;
    this.removeAt(index);
    return true;
  }

  /** The items in heap (not sorted) order. The heap must not change during the iteration. */
  [Symbol.iterator](): IterableIterator<T> {
    return this.items.values();
  }

  /** True when the item at slot `a` must come out before the one at slot `b`. */
  private before(a: number, b: number): boolean {
    const k1 = this.k1;
    if (k1[a] !== k1[b]) return k1[a]! < k1[b]!;
    const k2 = this.k2;
    if (k2[a] !== k2[b]) return k2[a]! < k2[b]!;
    return this.k3[a]! < this.k3[b]!;
  }

  /** Moves the item and keys at slot `from` to slot `to`. */
  private place(from: number, to: number): void {
    const item = this.items[from]!;
    this.items[to] = item;
    item.heapIndex = to;
    this.k1[to] = this.k1[from]!;
    this.k2[to] = this.k2[from]!;
    this.k3[to] = this.k3[from]!;
  }

  /**
   * Bottom-up removal (Floyd): the hole left at `index` sinks to a leaf along the earlier child (one
   * comparison per level instead of two), then the last item fills it and rises to its place.
   */
  private removeAt(index: number): void {
    const items = this.items;
    items[index]!.heapIndex = -1;
    const last = items.length - 1;
    let hole = index;
    if (index < last) {
      for (;;) {
        const left = 2 * hole + 1;
        if (left >= last) break; // the last slot is about to be emptied: it is no child
        const right = left + 1;
        const child = right < last && this.before(right, left) ? right : left;
        this.place(child, hole);
        hole = child;
      }
      this.place(last, hole);
    }
    items.pop();
    this.k1.pop();
    this.k2.pop();
    this.k3.pop();
    if (hole < last) this.up(hole);
  }

  /** Raises the item at slot `start` to its place. */
  private up(start: number): void {
    const items = this.items;
    const item = items[start]!;
    const key1 = this.k1[start]!;
    const key2 = this.k2[start]!;
    const key3 = this.k3[start]!;
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const p1 = this.k1[parent]!;
      if (p1 < key1) break;
      if (p1 === key1) {
        const p2 = this.k2[parent]!;
        if (p2 < key2 || (p2 === key2 && this.k3[parent]! <= key3)) break;
      }
      this.place(parent, index);
      index = parent;
    }
    items[index] = item;
    item.heapIndex = index;
    this.k1[index] = key1;
    this.k2[index] = key2;
    this.k3[index] = key3;
  }
}
