// The peers whose timers are armed, by when they are next due: a binary
// min-heap, so that the device's next deadline is found in O(1) and what is due
// in O(log n) per peer, however many peers it has (a server may have 100,000,
// nearly all of them idle). Timers armed later than a peer's place in the heap
// leave it there: it comes up early, finds nothing due and goes back in at its
// real deadline. That keeps the data path, which pushes keepalive deadlines on
// with every packet, free of heap work.

export interface Scheduled {
  /** When the queue will next look at this one; Infinity while not queued. */
  scheduledAt: number;
  /** Its place in the heap; -1 while not queued. */
  heapIndex: number;
}

export class TimerQueue<T extends Scheduled> {
  private readonly heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The earliest time anything is queued for; Infinity when nothing is. */
  get nextDeadline(): number {
    return this.heap[0]?.scheduledAt ?? Infinity;
  }

  /** Makes sure `item` is looked at by `at`: queues it, or moves it earlier. */
  schedule(item: T, at: number): void {
    if (at >= item.scheduledAt) return;
    item.scheduledAt = at;
    if (item.heapIndex < 0) {
      item.heapIndex = this.heap.length;
      this.heap.push(item);
    }
    this.siftUp(item.heapIndex);
  }

  /** Takes the earliest item if it is due at `now`. */
  takeDue(now: number): T | undefined {
    const first = this.heap[0];
    if (!first || first.scheduledAt > now) return undefined;
    this.remove(first);
    return first;
  }

  remove(item: T): void {
    const index = item.heapIndex;
    if (index < 0) return;
    const last = this.heap.pop()!;
    item.heapIndex = -1;
    item.scheduledAt = Infinity;
    if (last === item) return;
    this.heap[index] = last;
    last.heapIndex = index;
    this.siftUp(index);
    this.siftDown(last.heapIndex);
  }

  private siftUp(index: number): void {
    const item = this.heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.heap[parentIndex]!;
      if (parent.scheduledAt <= item.scheduledAt) break;
      this.heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    this.heap[index] = item;
    item.heapIndex = index;
  }

  private siftDown(index: number): void {
    const item = this.heap[index]!;
    const length = this.heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && this.heap[right]!.scheduledAt < this.heap[left]!.scheduledAt ? right : left;
      const childItem = this.heap[child]!;
      if (childItem.scheduledAt >= item.scheduledAt) break;
      this.heap[index] = childItem;
      childItem.heapIndex = index;
      index = child;
    }
    this.heap[index] = item;
    item.heapIndex = index;
  }
}
