import { describe, expect, test } from "bun:test";
import { ENTRY_OVERHEAD_BYTES, MemoryTier } from "../../src/engine/memory-tier.ts";
import { SEGMENT_BYTES } from "../../src/engine/memory/arena.ts";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("memory tier", () => {
  test("evicts the least recently used entry at the entry bound", () => {
    const time = clock();
    const tier = new MemoryTier({ maxEntries: 3, maxBytes: 1 << 20, now: time.now });
    for (const key of ["a", "b", "c"]) tier.set(key, `"${key}"`, time.now() + 60_000);
    expect(tier.get("a")?.json).toBe('"a"'); // a is now the most recent
    tier.set("d", '"d"', time.now() + 60_000);
    expect(tier.get("b")).toBeUndefined();
    expect([tier.get("a")?.json, tier.get("c")?.json, tier.get("d")?.json]).toEqual(['"a"', '"c"', '"d"']);
    expect(tier.size).toBe(3);
    expect(tier.evictions).toBe(1);
  });

  test("evicts as many entries as the byte bound requires and never exceeds it", () => {
    const time = clock();
    const entry = MemoryTier.entryBytes("k0", "x".repeat(100));
    const tier = new MemoryTier({ maxEntries: 1000, maxBytes: entry * 4, now: time.now });
    for (let i = 0; i < 4; i++) tier.set(`k${i}`, "x".repeat(100), time.now() + 60_000);
    expect(tier.size).toBe(4);
    tier.set("big", "x".repeat(250), time.now() + 60_000);
    expect(tier.bytes).toBeLessThanOrEqual(entry * 4);
    expect(tier.get("big")).toBeDefined();
    expect(tier.get("k0")).toBeUndefined();
    expect(tier.get("k1")).toBeUndefined();
    for (let i = 0; i < 10_000; i++) {
      tier.set(`n${i}`, "y".repeat(i % 300), time.now() + 60_000);
      if (tier.bytes > tier.maxBytes) throw new Error(`byte bound exceeded at ${i}`);
    }
  });

  test("refuses a value larger than the whole byte bound without evicting others", () => {
    const time = clock();
    const tier = new MemoryTier({ maxEntries: 10, maxBytes: 1000, now: time.now });
    tier.set("small", "1", time.now() + 1000);
    expect(tier.set("huge", "x".repeat(1000), time.now() + 1000)).toBe(false);
    expect(tier.get("small")?.json).toBe("1");
  });

  test("honours TTLs", () => {
    const time = clock();
    const tier = new MemoryTier({ maxEntries: 10, maxBytes: 1 << 20, now: time.now });
    tier.set("k", "1", time.now() + 1000);
    time.advance(999);
    expect(tier.get("k")?.json).toBe("1");
    expect(tier.get("k")!.expiresAt - time.now()).toBe(1);
    time.advance(1);
    expect(tier.get("k")).toBeUndefined();
    expect(tier.size).toBe(0);
    expect(tier.bytes).toBe(0);
    expect(tier.set("past", "1", time.now())).toBe(false);
  });

  test("overwriting replaces the value and its size", () => {
    const time = clock();
    const tier = new MemoryTier({ maxEntries: 10, maxBytes: 1 << 20, now: time.now });
    tier.set("k", "1", time.now() + 1000);
    tier.set("k", "22", time.now() + 1000);
    expect(tier.size).toBe(1);
    expect(tier.bytes).toBe(MemoryTier.entryBytes("k", "22"));
    expect(tier.get("k")?.json).toBe("22");
  });

  test("deletes single keys and matching keys, reusing slots", () => {
    const time = clock();
    const tier = new MemoryTier({ maxEntries: 100, maxBytes: 1 << 20, now: time.now });
    for (let i = 0; i < 50; i++) tier.set(`${i % 2 ? "odd" : "even"}:${i}`, String(i), time.now() + 1000);
    expect(tier.delete("odd:1")).toBe(true);
    expect(tier.delete("odd:1")).toBe(false);
    expect(tier.deleteMatching((key) => key.startsWith("odd:"))).toBe(24);
    expect(tier.size).toBe(25);
    for (let i = 0; i < 75; i++) tier.set(`new:${i}`, "1", time.now() + 1000);
    expect(tier.size).toBe(100);
    expect(tier.get("even:0")?.json).toBe("0");
    tier.clear();
    expect([tier.size, tier.bytes]).toEqual([0, 0]);
  });

  test("a zero bound disables the tier", () => {
    const tier = new MemoryTier({ maxEntries: 0, maxBytes: 1 << 20 });
    expect(tier.enabled).toBe(false);
    expect(tier.set("k", "1", Date.now() + 1000)).toBe(false);
    expect(tier.get("k")).toBeUndefined();
  });

  test("counts keys and values as stored (UTF-8, or UTF-16 when not well formed) plus a fixed overhead", () => {
    expect(MemoryTier.entryBytes("ab", "cde")).toBe(5 + ENTRY_OVERHEAD_BYTES);
    expect(MemoryTier.entryBytes("é", '"中😀"')).toBe(2 + 9 + ENTRY_OVERHEAD_BYTES);
    expect(MemoryTier.entryBytes("a\ud800", "1")).toBe(4 + 1 + ENTRY_OVERHEAD_BYTES);
  });

  test("keeps any text exactly, and keys that UTF-8 would make equal apart", () => {
    const time = clock();
    const tier = new MemoryTier({ maxEntries: 100, maxBytes: 1 << 20, now: time.now });
    // A lone surrogate would become U+FFFD in UTF-8: these five keys must stay five entries.
    const keys = ["", "k\ud800", "k\ufffd", "k\udc00", "k😀", "é".repeat(600)];
    keys.forEach((key, i) => expect(tier.set(key, `"v${i}\ud83d ${key}"`, time.now() + 1000)).toBe(true));
    expect(tier.size).toBe(keys.length);
    keys.forEach((key, i) => expect(tier.get(key)?.json).toBe(`"v${i}\ud83d ${key}"`));
    expect(tier.get("k")).toBeUndefined();
    expect(tier.countMatching((key) => key.startsWith("k"))).toBe(4);
    expect(tier.deleteMatching((key) => key === "k\udc00")).toBe(1);
    expect(tier.has("k\ud800") && tier.has("k\ufffd") && !tier.has("k\udc00")).toBe(true);
    expect(tier.markStaleMatching((key) => key === "k😀", time.now())).toBe(1);
    expect(tier.get("k😀")?.freshUntil).toBe(time.now());
  });

  test("values larger than a segment's share get a buffer of their own, given back when they go", () => {
    const time = clock();
    const tier = new MemoryTier({ maxEntries: 100, maxBytes: 1 << 30, now: time.now });
    const large = `"${"ab".repeat(300_000)}"`;
    tier.set("small", "1", time.now() + 1000);
    const before = tier.heldBytes;
    tier.set("large", large, time.now() + 1000);
    expect(tier.heldBytes).toBeGreaterThan(before + large.length);
    expect(tier.get("large")?.json).toBe(large);
    tier.delete("large");
    expect(tier.heldBytes).toBe(before);
    expect(tier.get("small")?.json).toBe("1");
  });

  // The slot arrays start at 1024 slots and double: these cross that boundary.
  test("entries stored across the growth of the slot arrays keep their values and times", () => {
    const time = clock();
    const tier = new MemoryTier({ maxEntries: 5000, maxBytes: 1 << 30, now: time.now });
    for (let i = 0; i < 3000; i++) {
      expect(tier.set(`k${i}`, `"${i}"`, time.now() + 60_000 + i, time.now() - i, time.now() + 30_000 + i)).toBe(true);
    }
    expect(tier.size).toBe(3000);
    for (let i = 0; i < 3000; i++) {
      expect(tier.get(`k${i}`)).toEqual({ json: `"${i}"`, storedAt: time.now() - i, expiresAt: time.now() + 60_000 + i, freshUntil: time.now() + 30_000 + i });
    }
    expect(tier.markStale("k2500", time.now())).toBe(true);
    expect(tier.get("k2500")?.freshUntil).toBe(time.now());
    expect(tier.capExpiry(time.now() + 60_100)).toBe(2899);
    expect(tier.get("k2999")?.expiresAt).toBe(time.now() + 60_100);
    expect(tier.get("k1")?.expiresAt).toBe(time.now() + 60_001);
  });

  test("evicts in recency order after the slot arrays have grown, up to a bound that is no power of two", () => {
    const time = clock();
    const tier = new MemoryTier({ maxEntries: 2500, maxBytes: 1 << 30, now: time.now });
    for (let i = 0; i < 2500; i++) tier.set(`k${i}`, String(i), time.now() + 60_000);
    // Use the even keys below 1000 (oldest first), so the odd ones below 1000 are now the least recent.
    for (let i = 0; i < 1000; i += 2) tier.get(`k${i}`);
    for (let i = 0; i < 500; i++) tier.set(`n${i}`, String(i), time.now() + 60_000);
    expect(tier.size).toBe(2500);
    expect(tier.evictions).toBe(500);
    for (let i = 0; i < 1000; i++) expect(tier.has(`k${i}`)).toBe(i % 2 === 0);
    // Next out: the keys from 1000 up, in the order they were stored.
    tier.set("last", "1", time.now() + 60_000);
    expect(tier.has("k1000")).toBe(false);
    expect(tier.has("k1001")).toBe(true);
  });

  test("reuses freed slots before making new ones, and grows again after clear", () => {
    const time = clock();
    const tier = new MemoryTier({ maxEntries: 4000, maxBytes: 1 << 30, now: time.now });
    for (let i = 0; i < 1024; i++) tier.set(`k${i}`, String(i), time.now() + 60_000);
    expect(tier.deleteMatching((key) => Number(key.slice(1)) % 3 === 0)).toBe(342);
    // 342 freed slots are taken again, then new ones past the first capacity.
    for (let i = 0; i < 1000; i++) tier.set(`n${i}`, String(-i), time.now() + 60_000);
    expect(tier.size).toBe(1024 - 342 + 1000);
    for (let i = 0; i < 1024; i++) expect(tier.get(`k${i}`)?.json).toBe(i % 3 === 0 ? undefined : String(i));
    for (let i = 0; i < 1000; i++) expect(tier.get(`n${i}`)?.json).toBe(String(-i));
    // Oldest now: the k entries, read in order just above.
    tier.clear();
    expect([tier.size, tier.bytes, tier.get("k1")]).toEqual([0, 0, undefined]);
    for (let i = 0; i < 3000; i++) tier.set(`c${i}`, String(i), time.now() + 60_000);
    expect(tier.size).toBe(3000);
    expect(tier.get("c0")?.json).toBe("0");
    expect(tier.get("c2999")?.json).toBe("2999");
  });

  test("agrees with a plain LRU model over random operations across growth, eviction, expiry and compaction", () => {
    const time = clock();
    const maxEntries = 1500;
    const maxBytes = 3 << 20;
    const tier = new MemoryTier({ maxEntries, maxBytes, now: time.now });
    const model = new LruModel(maxEntries, maxBytes, time.now);
    let seed = 42;
    const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    // One, two, three and four bytes in UTF-8, and a lone surrogate (kept as UTF-16).
    const alphabet = ["x", "y", "é", "中", "😀", "\ud800"];
    const text = (length: number) => {
      let out = "";
      for (let i = 0; i < length; i++) out += alphabet[random(100) < 90 ? random(2) : random(alphabet.length)];
      return out;
    };
    const keys = Array.from({ length: 2500 }, (_, i) => (i % 50 === 0 ? `k${text(8)}${i}` : `k${String(i).padStart(4, "0")}`));
    let compacted = false;
    for (let step = 0; step < 60_000; step++) {
      const key = keys[random(keys.length)]!;
      const op = random(100);
      if (op < 50) {
        // Mostly under 2 KB, now and then past a segment's share (128 KB).
        const json = random(2000) === 0 ? "z".repeat(140_000 + random(1000)) : text(random(2000));
        const expiresAt = time.now() + 1 + random(5000);
        const freshUntil = time.now() + random(6000);
        expect(tier.set(key, json, expiresAt, time.now(), freshUntil)).toBe(model.set(key, json, expiresAt, time.now(), freshUntil));
      } else if (op < 85) {
        expect(tier.get(key)).toEqual(model.get(key));
      } else if (op < 92) {
        expect(tier.delete(key)).toBe(model.delete(key));
      } else if (op < 97) {
        time.advance(random(50));
      } else if (op < 99) {
        expect(tier.has(key)).toBe(model.has(key));
      } else if (step % 20_000 < 100) {
        tier.clear();
        model.clear();
      }
      if (step % 1000 === 0) {
        expect([tier.size, tier.bytes, tier.evictions]).toEqual([model.size, model.bytes, model.evictions]);
        // Compaction keeps the buffers within 1.5 times the live bytes, plus the open segment and sealing's tails.
        expect(tier.heldBytes).toBeLessThanOrEqual(tier.bytes * 1.75 + SEGMENT_BYTES);
        compacted ||= tier.heldBytes < tier.bytes + SEGMENT_BYTES && step > 10_000;
      }
    }
    expect([tier.size, tier.bytes, tier.evictions]).toEqual([model.size, model.bytes, model.evictions]);
    for (const key of keys) expect(tier.get(key)).toEqual(model.get(key));
    expect(compacted).toBe(true);
  });
});

/** The tier's semantics written the plain way: a Map in recency order (oldest first). */
class LruModel {
  private readonly entries = new Map<string, { json: string; storedAt: number; expiresAt: number; freshUntil: number; size: number }>();
  bytes = 0;
  evictions = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string) {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    this.bytes += entry.size;
    return { json: entry.json, storedAt: entry.storedAt, expiresAt: entry.expiresAt, freshUntil: entry.freshUntil };
  }

  has(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > this.now();
  }

  set(key: string, json: string, expiresAt: number, storedAt: number, freshUntil: number): boolean {
    const size = MemoryTier.entryBytes(key, json);
    this.delete(key);
    if (size > this.maxBytes || expiresAt <= this.now()) return false;
    while (this.entries.size >= this.maxEntries || this.bytes + size > this.maxBytes) {
      this.delete(this.entries.keys().next().value!);
      this.evictions++;
    }
    this.entries.set(key, { json, storedAt, expiresAt, freshUntil: Math.min(freshUntil, expiresAt), size });
    this.bytes += size;
    return true;
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.bytes -= entry.size;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
