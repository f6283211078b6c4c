/**
 * The bytes of the memory tier's entries, kept outside the collected heap: a few large buffers
 * the garbage collector sees as one object each, instead of two strings an entry that it must
 * visit on every full collection and that pin the pages they share with request garbage.
 *
 * Chunks are appended to the open segment. A freed chunk is only marked dead; a sealed segment
 * whose dead bytes reach a third of its used bytes is compacted: its live chunks are appended
 * again (the owner is told each chunk's new place) and the segment is dropped. So the segments
 * hold at most about 1.5 times the live chunks (plus the open segment), and compaction copies at
 * most two live bytes for each byte freed. A chunk too large to share a segment gets one of its
 * own, dropped when the chunk is freed.
 *
 * A chunk starts with an 8-byte header, the owner (a number the caller chooses, -1 once dead) and
 * the chunk's length; chunks are 8-byte aligned, so their payload can also be read as int32 words.
 */

/** Where a chunk is: segment * SEGMENT_BYTES + offset of its header (exact in a float64). */
export type Place = number;

export const SEGMENT_BYTES = 1 << 20;
/** Payloads above this get a segment of their own, so sealing wastes at most 1/8 of a segment. */
const LARGE_PAYLOAD = SEGMENT_BYTES / 8;
export const CHUNK_HEADER_BYTES = 8;
const DEAD = -1;

interface Segment {
  readonly bytes: Buffer;
  readonly words: Int32Array;
  /** Bytes handed out from the start: the next chunk goes here. */
  used: number;
  /** Bytes of freed chunks. */
  dead: number;
}

/** Told when compaction moves an owner's chunk; `place` is the new one. */
export type MovedListener = (owner: number, place: Place) => void;

const chunkBytes = (payload: number): number => (CHUNK_HEADER_BYTES + payload + 7) & ~7;

export class Arena {
  private segments: (Segment | undefined)[] = [];
  /** Numbers of dropped segments, reused before new numbers are made. */
  private spareNumbers: number[] = [];
  private open = -1;
  private reserved = 0;

  constructor(private readonly moved: MovedListener) {}

  /** Bytes of the segments held (their pages are only resident once written). */
  get reservedBytes(): number {
    return this.reserved;
  }

  /**
   * O(1) amortised (a new segment now and then; compaction of the segment just sealed): room for
   * `payload` bytes owned by `owner`, zero-filled. Write it through bytes()/words() at payloadOf().
   */
  allocate(payload: number, owner: number): Place {
    const size = chunkBytes(payload);
    if (payload > LARGE_PAYLOAD) return this.place(this.addSegment(size, size), 0, size, owner);
    for (;;) {
      const segment = this.open < 0 ? undefined : this.segments[this.open];
      if (segment !== undefined && segment.used + size <= SEGMENT_BYTES) {
        const offset = segment.used;
        segment.used += size;
        return this.place(this.open, offset, size, owner);
      }
      // Seal the open segment; compacting it may fill the new one, hence the loop.
      const sealed = this.open;
      this.open = this.addSegment(SEGMENT_BYTES, 0);
      if (sealed >= 0) this.compactIfSparse(sealed);
    }
  }

  /** O(1), or O(segment) when the free leaves its sealed segment a third dead (amortised above). */
  free(place: Place): void {
    const number = segmentOf(place);
    const segment = this.segments[number]!;
    const header = offsetOf(place) >> 2;
    segment.words[header] = DEAD;
    segment.dead += segment.words[header + 1]!;
    // The open segment is still being filled; a sealed one wholly dead needs no walk.
    if (number === this.open) return;
    if (segment.dead === segment.used) this.drop(number);
    else this.compactIfSparse(number);
  }

  /** The segment buffer holding `place` (valid until the next allocate or free). */
  bytes(place: Place): Buffer {
    return this.segments[segmentOf(place)]!.bytes;
  }

  /** The same segment as int32 words. */
  words(place: Place): Int32Array {
    return this.segments[segmentOf(place)]!.words;
  }

  /** O(segments). Drops every segment. */
  clear(): void {
    this.segments = [];
    this.spareNumbers = [];
    this.open = -1;
    this.reserved = 0;
  }

  private place(number: number, offset: number, size: number, owner: number): Place {
    const words = this.segments[number]!.words;
    words[offset >> 2] = owner;
    words[(offset >> 2) + 1] = size;
    return number * SEGMENT_BYTES + offset;
  }

  /** A new segment of `size` bytes, the first `used` of them already handed out. */
  private addSegment(size: number, used: number): number {
    const buffer = new ArrayBuffer(size);
    const segment: Segment = { bytes: Buffer.from(buffer), words: new Int32Array(buffer), used, dead: 0 };
    this.reserved += size;
    const number = this.spareNumbers.pop();
    if (number === undefined) return this.segments.push(segment) - 1;
    this.segments[number] = segment;
    return number;
  }

  private drop(number: number): void {
    this.reserved -= this.segments[number]!.bytes.length;
    this.segments[number] = undefined;
    this.spareNumbers.push(number);
  }

  /** Moves a sealed segment's live chunks to the open one and drops it, once a third of it is dead. */
  private compactIfSparse(number: number): void {
    const segment = this.segments[number]!;
    if (segment.dead * 3 < segment.used) return;
    // Dropped first, so chunks appended below never land in it.
    this.drop(number);
    const { words, bytes } = segment;
    for (let offset = 0; offset < segment.used; ) {
      const owner = words[offset >> 2]!;
      const size = words[(offset >> 2) + 1]!;
      if (owner !== DEAD) {
        const place = this.allocate(size - CHUNK_HEADER_BYTES, owner);
        bytes.copy(this.bytes(place), offsetOf(place) + CHUNK_HEADER_BYTES, offset + CHUNK_HEADER_BYTES, offset + size);
        this.moved(owner, place);
      }
      offset += size;
    }
  }
}

export const segmentOf = (place: Place): number => Math.floor(place / SEGMENT_BYTES);
export const offsetOf = (place: Place): number => place % SEGMENT_BYTES;
/** Where a chunk's payload starts in its segment's bytes. */
export const payloadOf = (place: Place): number => (place % SEGMENT_BYTES) + CHUNK_HEADER_BYTES;
