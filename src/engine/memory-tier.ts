export interface MemoryTierOptions {
  /** Upper bound on entries; 0 disables the tier. */
  readonly maxEntries: number;
  /** Upper bound on the bytes of keys and values, counted as UTF-16 (2 bytes a code unit) plus a fixed overhead. */
  readonly maxBytes: number;
  /** Wall clock in milliseconds; injectable so tests can move time. */
  readonly now?: () => number;
}

export interface MemoryHit {
  readonly json: string;
  readonly storedAt: number;
  /** When the entry leaves the tier: the end of its stale window, if it has one. */
  readonly expiresAt: number;
  /** When the entry stops being fresh; between this and expiresAt it is stale. */
  readonly freshUntil: number;
}

/** Bookkeeping per entry (slot indices, sizes, map entry), charged against maxBytes. */
export const ENTRY_OVERHEAD_BYTES = 96;
const NONE = -1;

/**
 * The in-process tier: an LRU bounded by entry count and by bytes, honouring per-entry TTLs.
 *
 * Entries live in parallel arrays indexed by slot and linked into a recency list by slot
 * number, so a hit moves two integers instead of re-inserting into a Map. Slots are reused
 * through a free list, so steady-state operation allocates nothing but the stored strings.
 * Costs: get, set, delete O(1) (set may evict several entries to fit its bytes, each O(1));
 * deleteMatching O(n); clear O(n).
 */
export class MemoryTier {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly now: () => number;

  private readonly slots = new Map<string, number>();
  private readonly keys: (string | undefined)[] = [];
  private readonly values: (string | undefined)[] = [];
  private readonly storedAt: number[] = [];
  private readonly expiresAt: number[] = [];
  private readonly freshUntil: number[] = [];
  private readonly sizes: number[] = [];
  private readonly newer: number[] = [];
  private readonly older: number[] = [];
  private readonly free: number[] = [];
  /** Most and least recently used slots. */
  private head = NONE;
  private tail = NONE;
  private usedBytes = 0;
  private evictionCount = 0;

  constructor(options: MemoryTierOptions) {
    this.maxEntries = options.maxEntries;
    this.maxBytes = options.maxBytes;
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.maxEntries > 0 && this.maxBytes > 0;
  }

  get size(): number {
    return this.slots.size;
  }

  get bytes(): number {
    return this.usedBytes;
  }

  get evictions(): number {
    return this.evictionCount;
  }

  static entryBytes(key: string, json: string): number {
    return (key.length + json.length) * 2 + ENTRY_OVERHEAD_BYTES;
  }

  /** O(1). An expired entry is removed and reported as a miss. */
  get(key: string): MemoryHit | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const expiresAt = this.expiresAt[slot]!;
    if (expiresAt <= this.now()) {
      this.remove(slot);
      return undefined;
    }
    this.touch(slot);
    return { json: this.values[slot]!, storedAt: this.storedAt[slot]!, expiresAt, freshUntil: this.freshUntil[slot]! };
  }

  /**
   * O(1) plus one O(1) step per evicted entry. Returns false when the value can never fit.
   * `freshUntil` (at most `expiresAt`) starts the entry's stale window; without one it has none.
   */
  set(key: string, json: string, expiresAt: number, storedAt: number = this.now(), freshUntil: number = expiresAt): boolean {
    if (!this.enabled) return false;
    const size = MemoryTier.entryBytes(key, json);
    const existing = this.slots.get(key);
    if (existing !== undefined) this.remove(existing);
    if (size > this.maxBytes || expiresAt <= this.now()) return false;

    while (this.slots.size >= this.maxEntries || this.usedBytes + size > this.maxBytes) {
      this.remove(this.tail);
      this.evictionCount++;
    }

    const slot = this.free.length > 0 ? this.free.pop()! : this.keys.length;
    this.keys[slot] = key;
    this.values[slot] = json;
    this.storedAt[slot] = storedAt;
    this.expiresAt[slot] = expiresAt;
    this.freshUntil[slot] = Math.min(freshUntil, expiresAt);
    this.sizes[slot] = size;
    this.linkAsNewest(slot);
    this.slots.set(key, slot);
    this.usedBytes += size;
    return true;
  }

  /** O(1). */
  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.remove(slot);
    return true;
  }

  /** O(n): visits every key once. Returns how many were removed. */
  deleteMatching(matches: (key: string) => boolean): number {
    let removed = 0;
    for (const [key, slot] of this.slots) {
      if (matches(key)) {
        this.remove(slot);
        removed++;
      }
    }
    return removed;
  }

  /** O(1). Whether `key` is held and not expired, without counting as a use. */
  has(key: string): boolean {
    const slot = this.slots.get(key);
    return slot !== undefined && this.expiresAt[slot]! > this.now();
  }

  /** O(n): how many keys deleteMatching would remove now (a dry run). */
  countMatching(matches: (key: string) => boolean): number {
    let count = 0;
    for (const key of this.slots.keys()) if (matches(key)) count++;
    return count;
  }

  /**
   * O(1). Soft purge: the entry stops being fresh at `time` but stays until it expires, served
   * only to callers that accept stale answers. False when it is absent or already stale then.
   */
  markStale(key: string, time: number = this.now()): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined || this.expiresAt[slot]! <= time || this.freshUntil[slot]! <= time) return false;
    this.freshUntil[slot] = time;
    return true;
  }

  /** O(n): markStale for every matching key; returns how many were marked. */
  markStaleMatching(matches: (key: string) => boolean, time: number = this.now()): number {
    let marked = 0;
    for (const key of this.slots.keys()) if (matches(key) && this.markStale(key, time)) marked++;
    return marked;
  }

  /** O(n): no entry outlives `time` (ms since the epoch). Returns how many were shortened. */
  capExpiry(time: number): number {
    let capped = 0;
    for (const [, slot] of this.slots) {
      if (this.expiresAt[slot]! > time) {
        this.expiresAt[slot] = time;
        this.freshUntil[slot] = Math.min(this.freshUntil[slot]!, time);
        capped++;
      }
    }
    return capped;
  }

  /** O(n). */
  clear(): void {
    this.slots.clear();
    this.keys.length = 0;
    this.values.length = 0;
    this.storedAt.length = 0;
    this.expiresAt.length = 0;
    this.freshUntil.length = 0;
    this.sizes.length = 0;
    this.newer.length = 0;
    this.older.length = 0;
    this.free.length = 0;
    this.head = NONE;
    this.tail = NONE;
    this.usedBytes = 0;
  }

  private remove(slot: number): void {
    this.slots.delete(this.keys[slot]!);
    this.unlink(slot);
    this.usedBytes -= this.sizes[slot]!;
    // Drop the references so the strings can be collected while the slot waits for reuse.
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.free.push(slot);
  }

  private touch(slot: number): void {
    if (slot === this.head) return;
    this.unlink(slot);
    this.linkAsNewest(slot);
  }

  private linkAsNewest(slot: number): void {
    this.newer[slot] = NONE;
    this.older[slot] = this.head;
    if (this.head !== NONE) this.newer[this.head] = slot;
    this.head = slot;
    if (this.tail === NONE) this.tail = slot;
  }

  private unlink(slot: number): void {
    const newer = this.newer[slot]!;
    const older = this.older[slot]!;
    if (newer !== NONE) this.older[newer] = older;
    else this.head = older;
    if (older !== NONE) this.newer[older] = newer;
    else this.tail = newer;
  }
}
