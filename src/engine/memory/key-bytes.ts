/**
 * Keys and values as the memory tier stores them: UTF-8, or, for the rare string that is not
 * well formed (a lone surrogate, which UTF-8 would turn into U+FFFD and so make two keys one),
 * its UTF-16 code units. A "code" records both the byte length and which of the two it is, so
 * equal codes and equal bytes mean equal strings.
 */

export type TextEncoding = "utf8" | "utf16le";

export const encodingOf = (text: string): TextEncoding => (text.isWellFormed() ? "utf8" : "utf16le");

/** O(n), native: the bytes `text` takes in `encoding`. */
export const byteLengthOf = (text: string, encoding: TextEncoding): number => (encoding === "utf8" ? Buffer.byteLength(text, "utf8") : text.length * 2);

export const codeOf = (bytes: number, encoding: TextEncoding): number => bytes * 2 + (encoding === "utf8" ? 0 : 1);
export const bytesOfCode = (code: number): number => code >>> 1;
export const encodingOfCode = (code: number): TextEncoding => ((code & 1) === 0 ? "utf8" : "utf16le");
/** Bytes rounded up to whole int32 words: keys are stored padded with zeros, compared a word at a time. */
export const paddedBytes = (bytes: number): number => (bytes + 3) & ~3;

/**
 * One key, encoded once into a reusable buffer, hashed and compared a word at a time against
 * keys stored the same way (padded with zeros to a whole word). One probe serves one tier, one
 * key at a time. Costs: load O(key bytes) (a native encode, then a loop over words); matches
 * O(key words).
 */
export class KeyProbe {
  private scratch = Buffer.from(new ArrayBuffer(1024));
  private scratchWords = new Int32Array(this.scratch.buffer);
  /** A per-process seed, so nobody can choose keys that all land in one bucket. */
  private readonly seed = (Math.random() * 0x100000000) | 0;
  /** The loaded key's code, byte length, padded length in words, and 32-bit hash. */
  code = 0;
  bytes = 0;
  words = 0;
  hash = 0;

  /** Encodes `key` and returns its 32-bit hash (murmur3's mixing over int32 words), also kept as `hash`. */
  load(key: string): number {
    const encoding = encodingOf(key);
    const most = encoding === "utf8" ? key.length * 3 : key.length * 2;
    if (most + 4 > this.scratch.length) this.grow(most + 4);
    const bytes = this.scratch.write(key, 0, encoding);
    for (let i = bytes; (i & 3) !== 0; i++) this.scratch[i] = 0;
    this.bytes = bytes;
    this.words = paddedBytes(bytes) >> 2;
    this.code = codeOf(bytes, encoding);
    const words = this.scratchWords;
    let hash = this.seed ^ this.code;
    for (let i = 0; i < this.words; i++) {
      let k = Math.imul(words[i]!, 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      hash ^= k;
      hash = (Math.imul((hash << 13) | (hash >>> 19), 5) + 0xe6546b64) | 0;
    }
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    this.hash = hash ^ (hash >>> 16);
    return this.hash;
  }

  /** Whether the key stored from int32 word `at` of `words` (with this code) is the loaded one. */
  matches(words: Int32Array, at: number): boolean {
    const own = this.scratchWords;
    for (let i = 0; i < this.words; i++) if (words[at + i] !== own[i]) return false;
    return true;
  }

  /** Copies the loaded key, padded, to `target` at byte `offset`. */
  copyTo(target: Buffer, offset: number): void {
    this.scratch.copy(target, offset, 0, paddedBytes(this.bytes));
  }

  private grow(bytes: number): void {
    let size = this.scratch.length;
    while (size < bytes) size *= 2;
    this.scratch = Buffer.from(new ArrayBuffer(size));
    this.scratchWords = new Int32Array(this.scratch.buffer);
  }
}
