/** An item that knows its own slot, so the heap can remove it in O(log n) without searching. */
export interface HeapItem {
  /**
   * Where the heap holding the item keeps it: a slot of the binary heap (>= 0), a place in its sorted run
   * (-2 - position, so <= -2), or -1 when it is in none.
   */
  heapIndex: number;
}

/** One part of an item's sort key; it must not change while the item is in a heap. */
export type HeapKey<T> = (item: T) => number;

/**
 * A binary min-heap ordered by a sort key of three numbers compared in turn (smallest first), read once when
 * an item is pushed. The keys live in arrays beside the items, so sifting compares numbers in adjacent slots
 * (siblings share a cache line) instead of reading each item. Items carry their index, which gives O(log n)
 * `remove` of any item; an item lives in at most one heap at a time.
 *
 * Items pushed in order (no earlier than the last one appended) skip the binary heap: they join a sorted run,
 * a FIFO that pushes, pops and removes in O(1). Jobs mostly arrive in ready order, so most never sift.
 * `pop` takes the earlier of the run's head and the binary heap's top.
 */
export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[] = [];
  private readonly k1: number[] = [];
  private readonly k2: number[] = [];
  private readonly k3: number[] = [];
  /** The sorted run: live items in order, with holes (undefined) where items were removed. */
  private run: (T | undefined)[] = [];
  /** Index in `run` of its first live item (run.length when none). */
  private runHead = 0;
  /** Live items in the run. */
  private runSize = 0;
  /** Position of run[0] since the heap was made: an item's position never changes while it is in the run. */
  private runStart = 0;
  /** Key of the item appended last to the run (holes included): a push with a smaller key goes to the heap. */
  private tail1 = Number.NEGATIVE_INFINITY;
  private tail2 = Number.NEGATIVE_INFINITY;
  private tail3 = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly key1: HeapKey<T>,
    private readonly key2: HeapKey<T>,
    private readonly key3: HeapKey<T>,
  ) {}

  get size(): number {
    return this.items.length + this.runSize;
  }

  peek(): T | undefined {
    if (this.runSize === 0) return this.items[0];
    const head = this.run[this.runHead]!;
    return this.items.length > 0 && this.topBefore(head) ? this.items[0] : head;
  }

  push(item: T): void {
    const key1 = this.key1(item);
    const key2 = this.key2(item);
    const key3 = this.key3(item);
    const tail1 = this.tail1;
    if (
      key1 > tail1 ||
      (key1 === tail1 && (key2 > this.tail2 || (key2 === this.tail2 && key3 >= this.tail3)))
    ) {
      item.heapIndex = -2 - (this.runStart + this.run.length);
      this.run.push(item);
      this.runSize += 1;
      this.tail1 = key1;
      this.tail2 = key2;
      this.tail3 = key3;
      return;
    }
    const index = this.items.length;
    this.items.push(item);
    this.k1.push(key1);
    this.k2.push(key2);
    this.k3.push(key3);
    this.up(index);
  }

  pop(): T | undefined {
    if (this.runSize > 0) {
      const head = this.run[this.runHead]!;
      if (this.items.length === 0 || !this.topBefore(head)) {
        this.removeFromRun(this.runHead);
        return head;
      }
    }
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Removes `item` if this heap holds it; returns whether it did. */
  remove(item: T): boolean {
    const index = item.heapIndex;
    if (index >= 0) {
      if (this.items[index] !== item) return false;
      this.removeAt(index);
      return true;
    }
    const place = -2 - index - this.runStart;
    if (index > -2 || place < 0 || place >= this.run.length || this.run[place] !== item) return false;
    this.removeFromRun(place);
    return true;
  }

  /** The items in no particular order. The heap must not change during the iteration. */
  *[Symbol.iterator](): IterableIterator<T> {
    yield* this.items;
    if (this.runSize === 0) return;
    for (let place = this.runHead; place < this.run.length; place += 1) {
      const item = this.run[place];
      if (item !== undefined) yield item;
    }
  }

  /** True when the binary heap's top (which must exist) comes out before `item`. */
  private topBefore(item: T): boolean {
    const key1 = this.key1(item);
    if (this.k1[0] !== key1) return this.k1[0]! < key1;
    const key2 = this.key2(item);
    if (this.k2[0] !== key2) return this.k2[0]! < key2;
    return this.k3[0]! < this.key3(item);
  }

  /** Empties slot `place` of the run, then moves its head past holes and drops the dead prefix when large. */
  private removeFromRun(place: number): void {
    const run = this.run;
    run[place]!.heapIndex = -1;
    run[place] = undefined;
    this.runSize -= 1;
    if (this.runSize === 0) {
      // empty: start afresh, and any key may join the run again
      this.runStart += run.length;
      this.run = [];
      this.runHead = 0;
      this.tail1 = Number.NEGATIVE_INFINITY;
      this.tail2 = Number.NEGATIVE_INFINITY;
      this.tail3 = Number.NEGATIVE_INFINITY;
      return;
    }
    if (place !== this.runHead) return;
    let head = place + 1;
    while (run[head] === undefined) head += 1;
    if (head >= 1024 && head * 2 >= run.length) {
      this.run = run.slice(head);
      this.runStart += head;
      head = 0;
    }
    this.runHead = head;
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
