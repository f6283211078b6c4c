/**
 * A hash index from a key's 32-bit hash to slot numbers, in two typed arrays the garbage
 * collector never scans: open addressing with linear probing, at most half full, and deletion
 * by shifting back the entries after the hole (no tombstones, so probes stay short however many
 * keys come and go). It holds no keys: the caller says whether a slot holds the key it seeks.
 * Costs: find, insert and remove O(1) expected; a doubling rehashes every entry, O(1) amortised.
 */

const EMPTY = 0;
const FIRST_CAPACITY = 2048;

/** Whether `slot` holds the key being sought (its hash already matched). */
export type SlotMatcher = (slot: number) => boolean;

export class KeyIndex {
  /** slot + 1 per bucket, EMPTY when free. */
  private buckets = new Int32Array(0);
  /** The hash of each bucket's key, compared before the caller's matcher is asked. */
  private hashes = new Int32Array(0);
  private mask = -1;
  private count = 0;

  /** The slot holding the key with `hash` that `matches` accepts, or -1. */
  find(hash: number, matches: SlotMatcher): number {
    const { buckets, hashes, mask } = this;
    if (mask < 0) return -1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const held = buckets[i]!;
      if (held === EMPTY) return -1;
      if (hashes[i] === hash && matches(held - 1)) return held - 1;
    }
  }

  /** Adds `slot` under `hash`; the caller knows its key is not in the index. */
  insert(hash: number, slot: number): void {
    if ((this.count + 1) * 2 > this.buckets.length) this.rehash(Math.max(FIRST_CAPACITY, this.buckets.length * 2));
    this.put(hash, slot);
    this.count++;
  }

  /** Removes `slot`, which is in the index under `hash`. */
  remove(hash: number, slot: number): void {
    const { buckets, hashes, mask } = this;
    let hole = hash & mask;
    while (buckets[hole] !== slot + 1) hole = (hole + 1) & mask;
    // Shift back each later entry of the run whose home is not between the hole and itself.
    for (let i = (hole + 1) & mask; buckets[i] !== EMPTY; i = (i + 1) & mask) {
      const home = hashes[i]! & mask;
      const stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
      if (stays) continue;
      buckets[hole] = buckets[i]!;
      hashes[hole] = hashes[i]!;
      hole = i;
    }
    buckets[hole] = EMPTY;
    this.count--;
  }

  /** O(capacity). Gives the arrays back, so a cleared index holds what a new one does. */
  clear(): void {
    this.buckets = new Int32Array(0);
    this.hashes = new Int32Array(0);
    this.mask = -1;
    this.count = 0;
  }

  private put(hash: number, slot: number): void {
    const { buckets, mask } = this;
    let i = hash & mask;
    while (buckets[i] !== EMPTY) i = (i + 1) & mask;
    buckets[i] = slot + 1;
    this.hashes[i] = hash;
  }

  private rehash(capacity: number): void {
    const { buckets, hashes } = this;
    this.buckets = new Int32Array(capacity);
    this.hashes = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < buckets.length; i++) if (buckets[i] !== EMPTY) this.put(hashes[i]!, buckets[i]! - 1);
  }
}
