/**
 * A small bounded map for work that repeats on every cache hit: the same request bodies and
 * the same stored entries come back again and again. At most `capacity` entries; when full,
 * the oldest insertion goes (a hit does not refresh it: cheaper than LRU bookkeeping, and the
 * work to redo on a miss is what was saved). get and set are O(1).
 */
export class BoundedMemo<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): void {
    if (this.entries.size >= this.capacity && !this.entries.has(key)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, value);
  }
}
