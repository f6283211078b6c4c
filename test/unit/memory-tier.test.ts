import { describe, expect, test } from "bun:test";
import { ENTRY_OVERHEAD_BYTES, MemoryTier } from "../../src/engine/memory-tier.ts";

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

  test("counts keys and values as UTF-16 plus a fixed overhead", () => {
    expect(MemoryTier.entryBytes("ab", "cde")).toBe(10 + ENTRY_OVERHEAD_BYTES);
  });
});
