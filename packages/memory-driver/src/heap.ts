/** An item that knows its own slot, so the heap can remove it in O(log n) without searching. */
export interface HeapItem {
  /** Index in the heap holding the item, or -1 when it is in none. */
  heapIndex: number;
}

/**
 * A binary min-heap ordered by `before(a, b)` (true when `a` must come out first). Items carry their index,
 * which gives O(log n) `remove` of any item; an item lives in at most one heap at a time.
 */
export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** The items in heap (not sorted) order. The heap must not change during the iteration. */
  [Symbol.iterator](): IterableIterator<T> {
    return this.items.values();
  }

  /** Removes `item` if this heap holds it; returns whether it did. */
  remove(item: T): boolean {
    const index = item.heapIndex;
    if (index < 0 || this.items[index] !== item) return false;
    this.removeAt(index);
    return true;
  }

  /**
   * Bottom-up removal (Floyd): the hole left at `index` sinks to a leaf along the earlier child (one
   * comparison per level instead of two), then the last item fills it and rises to its place.
   */
  private removeAt(index: number): void {
    const items = this.items;
    const removed = items[index]!;
    const last = items.pop()!;
    removed.heapIndex = -1;
    const length = items.length;
    if (index >= length) return;
    const before = this.before;
    let hole = index;
    for (;;) {
      const left = 2 * hole + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      let childItem = items[left]!;
      if (right < length) {
        const rightItem = items[right]!;
        if (before(rightItem, childItem)) {
          child = right;
          childItem = rightItem;
        }
      }
      items[hole] = childItem;
      childItem.heapIndex = hole;
      hole = child;
    }
    items[hole] = last;
    this.up(hole);
  }

  private up(start: number): void {
    const items = this.items;
    const item = items[start]!;
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex]!;
      if (!this.before(item, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
