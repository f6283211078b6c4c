import { Arena, payloadOf, type Place } from "./memory/arena.ts";
import { KeyIndex } from "./memory/key-index.ts";
import { byteLengthOf, bytesOfCode, codeOf, encodingOf, encodingOfCode, KeyProbe, paddedBytes } from "./memory/key-bytes.ts";

export interface MemoryTierOptions {
  /** Upper bound on entries; 0 disables the tier. */
  readonly maxEntries: number;
  /** Upper bound on the bytes of keys and values as stored (UTF-8 when well formed) plus ENTRY_OVERHEAD_BYTES each. */
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

/**
 * Bookkeeping per entry beyond its key and value bytes, charged against maxBytes: the chunk
 * header and padding, the slot's records and the index's two buckets.
 */
export const ENTRY_OVERHEAD_BYTES = 96;
const NONE = -1;
/** keyCodes value of a slot that holds no entry. */
const FREE = -1;

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
/** Values up to this many bytes are kept decoded in DECODED_SLOTS direct-mapped places. */
const DECODED_MAX_BYTES = 16 * 1024;
const DECODED_SLOTS = 256;
/** Codes hold twice the byte length in an int32. */
const MAX_TEXT_BYTES = 2 ** 30 - 1;

/**
 * The in-process tier: an LRU bounded by entry count and by bytes, honouring per-entry TTLs.
 *
 * Nothing of an entry is an object of the collected heap: its key and value are bytes in the
 * arena's large buffers (arena.ts; UTF-8 for well-formed text), the index from key to slot is two
 * typed arrays (key-index.ts), and the slot's times, recency links, place and lengths are typed
 * arrays too. So a million entries cost a full collection a handful of objects rather than two
 * million strings and a Map, and nothing a request leaves behind shares memory with an entry.
 * A get decodes the value (about 0.1 µs a KB, native); the values of the last hit slots (up to
 * DECODED_SLOTS of at most DECODED_MAX_BYTES, so at most 4 MiB as UTF-8, not counted in maxBytes) are kept
 * decoded, so a hot key is not decoded again.
 * Slots are linked into a recency list by slot number and reused through a free list. The
 * typed arrays are made at the first store and double when full, never beyond maxEntries.
 * Costs: get, has, set, delete O(key + value bytes) for the encoding and copying, otherwise O(1)
 * (set may evict several entries to fit its bytes, each O(1); the arena compacts now and then,
 * O(1) amortised); deleteMatching, countMatching, markStaleMatching O(n) and decode every key;
 * clear O(1) plus dropping the buffers.
 */
export class MemoryTier {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly now: () => number;

  private readonly index = new KeyIndex();
  private readonly arena = new Arena((slot, place) => void (this.places[slot] = place));
  private readonly probe = new KeyProbe();
  /** Whether `slot` holds the probe's key; the index asks it of slots whose hash matched. */
  private readonly holdsProbe = (slot: number): boolean => {
    if (this.keyCodes[slot] !== this.probe.code) return false;
    const place = this.places[slot]!;
    return this.probe.matches(this.arena.words(place), payloadOf(place) >> 2);
  };
  /** Slot records (see RECORD_BYTES): two views of one buffer. */
  private times = new Float64Array(0);
  private links = new Int32Array(0);
  /** Per slot: where its chunk is, its key's and value's codes (key-bytes.ts; FREE: no entry), its key's hash. */
  private places = new Float64Array(0);
  private keyCodes = new Int32Array(0);
  private valueCodes = new Int32Array(0);
  private hashes = new Int32Array(0);
  /** A stack of slots waiting for reuse: free[0 .. freeCount). */
  private free = new Int32Array(0);
  private freeCount = 0;
  /** Slots handed out so far; slots at or above it have never been used. */
  private slotsMade = 0;
  /** Most and least recently used slots. */
  private head = NONE;
  private tail = NONE;
  private entryCount = 0;
  private usedBytes = 0;
  private evictionCount = 0;
  /** Decoded values of recently hit slots: decoded[slot % DECODED_SLOTS] if decodedSlot there is slot. */
  private readonly decoded: (string | undefined)[] = new Array(DECODED_SLOTS).fill(undefined);
  private readonly decodedSlot = new Int32Array(DECODED_SLOTS).fill(NONE);

  constructor(options: MemoryTierOptions) {
    this.maxEntries = options.maxEntries;
    this.maxBytes = options.maxBytes;
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.maxEntries > 0 && this.maxBytes > 0;
  }

  get size(): number {
    return this.entryCount;
  }

  get bytes(): number {
    return this.usedBytes;
  }

  get evictions(): number {
    return this.evictionCount;
  }

  /** Bytes of the buffers holding keys and values: `bytes` plus dead chunks not yet compacted (pages are resident once written). */
  get heldBytes(): number {
    return this.arena.reservedBytes;
  }

  /** What an entry is charged: its key and value as stored (UTF-8 when well formed) plus ENTRY_OVERHEAD_BYTES. */
  static entryBytes(key: string, json: string): number {
    return byteLengthOf(key, encodingOf(key)) + byteLengthOf(json, encodingOf(json)) + ENTRY_OVERHEAD_BYTES;
  }

  /** O(key) to find the slot, O(value) to decode it unless kept decoded; at most five int32 writes to relink. */
  get(key: string): MemoryHit | undefined {
    const slot = this.slotOf(key);
    if (slot === NONE) return undefined;
    const times = this.times;
    const at = slot * F64_PER_RECORD;
    const expiresAt = times[at + EXPIRES_AT]!;
    if (expiresAt <= this.now()) {
      this.remove(slot);
      return undefined;
    }
    this.touch(slot);
    return { json: this.valueOf(slot), storedAt: times[at + STORED_AT]!, expiresAt, freshUntil: times[at + FRESH_UNTIL]! };
  }

  /**
   * O(key + value) to encode and copy, plus one O(1) step per evicted entry (and, when every
   * slot made is in use, a doubling of the typed arrays: O(1) amortised). Returns false when the
   * value can never fit. `freshUntil` (at most `expiresAt`) starts the entry's stale window;
   * without one it has none.
   */
  set(key: string, json: string, expiresAt: number, storedAt: number = this.now(), freshUntil: number = expiresAt): boolean {
    if (!this.enabled) return false;
    const existing = this.slotOf(key);
    if (existing !== NONE) this.remove(existing);
    const probe = this.probe;
    const hash = probe.hash;
    const valueEncoding = encodingOf(json);
    const valueBytes = byteLengthOf(json, valueEncoding);
    const size = probe.bytes + valueBytes + ENTRY_OVERHEAD_BYTES;
    if (size > this.maxBytes || valueBytes > MAX_TEXT_BYTES || probe.bytes > MAX_TEXT_BYTES || expiresAt <= this.now()) return false;

    // Evicting frees chunks, which may move others, but never touches the probe's key.
    while (this.entryCount >= this.maxEntries || this.usedBytes + size > this.maxBytes) {
      this.remove(this.tail);
      this.evictionCount++;
    }

    const slot = this.takeSlot();
    const keyBytes = paddedBytes(probe.bytes);
    const place = this.arena.allocate(keyBytes + valueBytes, slot);
    const bytes = this.arena.bytes(place);
    const payload = payloadOf(place);
    probe.copyTo(bytes, payload);
    bytes.write(json, payload + keyBytes, valueBytes, valueEncoding);
    this.places[slot] = place;
    this.keyCodes[slot] = probe.code;
    this.valueCodes[slot] = codeOf(valueBytes, valueEncoding);
    this.hashes[slot] = hash;
    const at = slot * F64_PER_RECORD;
    this.times[at + STORED_AT] = storedAt;
    this.times[at + EXPIRES_AT] = expiresAt;
    this.times[at + FRESH_UNTIL] = Math.min(freshUntil, expiresAt);
    this.linkAsNewest(slot);
    this.index.insert(hash, slot);
    this.entryCount++;
    this.usedBytes += size;
    return true;
  }

  /** O(key). */
  delete(key: string): boolean {
    const slot = this.slotOf(key);
    if (slot === NONE) return false;
    this.remove(slot);
    return true;
  }

  /** O(n): visits every key once. Returns how many were removed. */
  deleteMatching(matches: (key: string) => boolean): number {
    let removed = 0;
    for (let slot = 0; slot < this.slotsMade; slot++) {
      if (this.keyCodes[slot] !== FREE && matches(this.keyOf(slot))) {
        this.remove(slot);
        removed++;
      }
    }
    return removed;
  }

  /** O(key). Whether `key` is held and not expired, without counting as a use. */
  has(key: string): boolean {
    const slot = this.slotOf(key);
    return slot !== NONE && this.times[slot * F64_PER_RECORD + EXPIRES_AT]! > this.now();
  }

  /** O(n): how many keys deleteMatching would remove now (a dry run). */
  countMatching(matches: (key: string) => boolean): number {
    let count = 0;
    for (let slot = 0; slot < this.slotsMade; slot++) if (this.keyCodes[slot] !== FREE && matches(this.keyOf(slot))) count++;
    return count;
  }

  /**
   * O(key). Soft purge: the entry stops being fresh at `time` but stays until it expires, served
   * only to callers that accept stale answers. False when it is absent or already stale then.
   */
  markStale(key: string, time: number = this.now()): boolean {
    const slot = this.slotOf(key);
    return slot !== NONE && this.markSlotStale(slot, time);
  }

  /** O(n): markStale for every matching key; returns how many were marked. */
  markStaleMatching(matches: (key: string) => boolean, time: number = this.now()): number {
    let marked = 0;
    for (let slot = 0; slot < this.slotsMade; slot++) {
      if (this.keyCodes[slot] !== FREE && matches(this.keyOf(slot)) && this.markSlotStale(slot, time)) marked++;
    }
    return marked;
  }

  /** O(n): no entry outlives `time` (ms since the epoch). Returns how many were shortened. */
  capExpiry(time: number): number {
    const times = this.times;
    let capped = 0;
    for (let slot = 0; slot < this.slotsMade; slot++) {
      const at = slot * F64_PER_RECORD;
      if (this.keyCodes[slot] !== FREE && times[at + EXPIRES_AT]! > time) {
        times[at + EXPIRES_AT] = time;
        times[at + FRESH_UNTIL] = Math.min(times[at + FRESH_UNTIL]!, time);
        capped++;
      }
    }
    return capped;
  }

  /** O(1) plus dropping the buffers. Gives back the slot arrays too, so a cleared tier holds what a new one does. */
  clear(): void {
    this.index.clear();
    this.arena.clear();
    this.resize(0);
    this.freeCount = 0;
    this.slotsMade = 0;
    this.head = NONE;
    this.tail = NONE;
    this.entryCount = 0;
    this.usedBytes = 0;
    this.decoded.fill(undefined);
    this.decodedSlot.fill(NONE);
  }

  /** O(key): the slot holding `key`, or NONE; leaves the key loaded in the probe. */
  private slotOf(key: string): number {
    return this.index.find(this.probe.load(key), this.holdsProbe);
  }

  /** The text with `code` stored from byte `start` of the segment holding `place`. */
  private textAt(place: Place, start: number, code: number): string {
    return this.arena.bytes(place).toString(encodingOfCode(code), start, start + bytesOfCode(code));
  }

  private keyOf(slot: number): string {
    const place = this.places[slot]!;
    return this.textAt(place, payloadOf(place), this.keyCodes[slot]!);
  }

  private valueOf(slot: number): string {
    const cached = slot % DECODED_SLOTS;
    if (this.decodedSlot[cached] === slot) return this.decoded[cached]!;
    const place = this.places[slot]!;
    const code = this.valueCodes[slot]!;
    const json = this.textAt(place, payloadOf(place) + paddedBytes(bytesOfCode(this.keyCodes[slot]!)), code);
    if (bytesOfCode(code) <= DECODED_MAX_BYTES) {
      this.decoded[cached] = json;
      this.decodedSlot[cached] = slot;
    }
    return json;
  }

  private markSlotStale(slot: number, time: number): boolean {
    const at = slot * F64_PER_RECORD;
    if (this.times[at + EXPIRES_AT]! <= time || this.times[at + FRESH_UNTIL]! <= time) return false;
    this.times[at + FRESH_UNTIL] = time;
    return true;
  }

  /** O(1) amortised: a freed slot if any, else the next never-used one, growing the arrays when full. */
  private takeSlot(): number {
    if (this.freeCount > 0) return this.free[--this.freeCount]!;
    const slot = this.slotsMade++;
    if (slot === this.keyCodes.length) this.resize(Math.min(this.maxEntries, Math.max(FIRST_CAPACITY, slot * 2)));
    return slot;
  }

  /**
   * O(capacity): new typed arrays holding the slots made so far. Never called with fewer slots
   * than are made, except 0 by clear(). Only slots below maxEntries are ever made, since a store
   * evicts before it takes a slot, so maxEntries bounds the capacity.
   */
  private resize(capacity: number): void {
    const records = new ArrayBuffer(capacity * RECORD_BYTES);
    const places = new Float64Array(capacity);
    const keyCodes = new Int32Array(capacity);
    const valueCodes = new Int32Array(capacity);
    const hashes = new Int32Array(capacity);
    const free = new Int32Array(capacity);
    if (capacity > 0) {
      // Byte for byte: a float64 view of two int32 links may read as a NaN, whose bits a copy by value need not keep.
      new Uint8Array(records).set(new Uint8Array(this.times.buffer));
      places.set(this.places);
      keyCodes.set(this.keyCodes);
      valueCodes.set(this.valueCodes);
      hashes.set(this.hashes);
      free.set(this.free.subarray(0, this.freeCount));
    }
    this.times = new Float64Array(records);
    this.links = new Int32Array(records);
    this.places = places;
    this.keyCodes = keyCodes;
    this.valueCodes = valueCodes;
    this.hashes = hashes;
    this.free = free;
  }

  private remove(slot: number): void {
    this.index.remove(this.hashes[slot]!, slot);
    this.unlink(slot);
    this.usedBytes -= bytesOfCode(this.keyCodes[slot]!) + bytesOfCode(this.valueCodes[slot]!) + ENTRY_OVERHEAD_BYTES;
    this.keyCodes[slot] = FREE;
    this.entryCount--;
    const cached = slot % DECODED_SLOTS;
    if (this.decodedSlot[cached] === slot) {
      this.decodedSlot[cached] = NONE;
      this.decoded[cached] = undefined;
    }
    this.arena.free(this.places[slot]!);
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
