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

/** Bookkeeping per entry (slot record, size, map entry, key and value references), charged against maxBytes. */
export const ENTRY_OVERHEAD_BYTES = 96;
const NONE = -1;

/**
 * A slot's record: 32 bytes in one ArrayBuffer, seen as three float64 times followed by two
 * int32 links, so the fields a hit reads and writes share a cache line (two records a line) and
 * a hit on a large tier misses the cache once per slot it touches rather than once per field.
 */
const RECORD_BYTES = 32;
const F64_PER_RECORD = RECORD_BYTES / 8;
const I32_PER_RECORD = RECORD_BYTES / 4;
/** Float64 fields, offsets within a record in float64 units. */
const EXPIRES_AT = 0;
const FRESH_UNTIL = 1;
const STORED_AT = 2;
/** Int32 fields (slot numbers or NONE), offsets within a record in int32 units. */
const NEWER = 6;
const OLDER = 7;
/** Slots made at the first store; capacity then doubles, up to maxEntries. */
const FIRST_CAPACITY = 1024;

/**
 * The in-process tier: an LRU bounded by entry count and by bytes, honouring per-entry TTLs.
 *
 * Entries live in slots: the key and value strings in two arrays indexed by slot, the numbers
 * (times, recency links, sizes, free list) in typed arrays, which the garbage collector never
 * scans and which hold numbers unboxed. Slots are linked into a recency list by slot number, so
 * a hit rewrites at most five int32s and stores no pointer anywhere (no write barrier, nothing for the
 * collector to revisit). Slots are reused through a free list, so steady-state operation
 * allocates nothing but the stored strings and the MemoryHit a get returns (young garbage).
 * The typed arrays are made at the first store and double when full (a copy, O(1) amortised
 * per store), never beyond maxEntries; a tier that stores nothing holds none.
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
  /** Slot records (see RECORD_BYTES): two views of one buffer. */
  private times = new Float64Array(0);
  private links = new Int32Array(0);
  /** Bytes charged per slot; float64 because an entry's count may pass 2^31. */
  private sizes = new Float64Array(0);
  /** A stack of slots waiting for reuse: free[0 .. freeCount). */
  private free = new Int32Array(0);
  private freeCount = 0;
  /** Slots handed out so far; slots at or above it have never been used. */
  private slotsMade = 0;
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

  /** O(1): one map lookup, one record read, at most five int32 writes to relink; allocates the MemoryHit. */
  get(key: string): MemoryHit | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const times = this.times;
    const at = slot * F64_PER_RECORD;
    const expiresAt = times[at + EXPIRES_AT]!;
    if (expiresAt <= this.now()) {
      this.remove(slot);
      return undefined;
    }
    this.touch(slot);
    return { json: this.values[slot]!, storedAt: times[at + STORED_AT]!, expiresAt, freshUntil: times[at + FRESH_UNTIL]! };
  }

  /**
   * O(1) plus one O(1) step per evicted entry (and, when every slot made is in use, a doubling
   * of the typed arrays: O(1) amortised). Returns false when the value can never fit.
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

    const slot = this.takeSlot();
    this.keys[slot] = key;
    this.values[slot] = json;
    const at = slot * F64_PER_RECORD;
    this.times[at + STORED_AT] = storedAt;
    this.times[at + EXPIRES_AT] = expiresAt;
    this.times[at + FRESH_UNTIL] = Math.min(freshUntil, expiresAt);
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
    return slot !== undefined && this.times[slot * F64_PER_RECORD + EXPIRES_AT]! > this.now();
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
    if (slot === undefined) return false;
    const at = slot * F64_PER_RECORD;
    if (this.times[at + EXPIRES_AT]! <= time || this.times[at + FRESH_UNTIL]! <= time) return false;
    this.times[at + FRESH_UNTIL] = time;
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
    const times = this.times;
    let capped = 0;
    for (const slot of this.slots.values()) {
      const at = slot * F64_PER_RECORD;
      if (times[at + EXPIRES_AT]! > time) {
        times[at + EXPIRES_AT] = time;
        times[at + FRESH_UNTIL] = Math.min(times[at + FRESH_UNTIL]!, time);
        capped++;
      }
    }
    return capped;
  }

  /** O(n). Gives back the slot arrays too, so a cleared tier holds what a new one does. */
  clear(): void {
    this.slots.clear();
    this.keys.length = 0;
    this.values.length = 0;
    this.resize(0);
    this.freeCount = 0;
    this.slotsMade = 0;
    this.head = NONE;
    this.tail = NONE;
    this.usedBytes = 0;
  }

  /** O(1) amortised: a freed slot if any, else the next never-used one, growing the arrays when full. */
  private takeSlot(): number {
    if (this.freeCount > 0) return this.free[--this.freeCount]!;
    const slot = this.slotsMade++;
    if (slot === this.sizes.length) this.resize(Math.min(this.maxEntries, Math.max(FIRST_CAPACITY, slot * 2)));
    return slot;
  }

  /**
   * O(capacity): new typed arrays holding the slots made so far. Never called with fewer slots
   * than are made, except 0 by clear(). Only slots below maxEntries are ever made, since a store
   * evicts before it takes a slot, so maxEntries bounds the capacity.
   */
  private resize(capacity: number): void {
    const records = new ArrayBuffer(capacity * RECORD_BYTES);
    const times = new Float64Array(records);
    const links = new Int32Array(records);
    const sizes = new Float64Array(capacity);
    const free = new Int32Array(capacity);
    if (capacity > 0) {
      // Byte for byte: a float64 view of two int32 links may read as a NaN, whose bits a copy by value need not keep.
      new Uint8Array(records).set(new Uint8Array(this.times.buffer));
      sizes.set(this.sizes);
      free.set(this.free.subarray(0, this.freeCount));
    }
    this.times = times;
    this.links = links;
    this.sizes = sizes;
    this.free = free;
  }

  private remove(slot: number): void {
    this.slots.delete(this.keys[slot]!);
    this.unlink(slot);
    this.usedBytes -= this.sizes[slot]!;
    // Drop the references so the strings can be collected while the slot waits for reuse.
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.free[this.freeCount++] = slot;
  }

  private touch(slot: number): void {
    if (slot === this.head) return;
    this.unlink(slot);
    this.linkAsNewest(slot);
  }

  private linkAsNewest(slot: number): void {
    const links = this.links;
    const at = slot * I32_PER_RECORD;
    links[at + NEWER] = NONE;
    links[at + OLDER] = this.head;
    if (this.head !== NONE) links[this.head * I32_PER_RECORD + NEWER] = slot;
    this.head = slot;
    if (this.tail === NONE) this.tail = slot;
  }

  private unlink(slot: number): void {
    const links = this.links;
    const at = slot * I32_PER_RECORD;
    const newer = links[at + NEWER]!;
    const older = links[at + OLDER]!;
    if (newer !== NONE) links[newer * I32_PER_RECORD + OLDER] = older;
    else this.head = older;
    if (older !== NONE) links[older * I32_PER_RECORD + NEWER] = newer;
    else this.tail = newer;
  }
}
