import { describe, expect, test } from "bun:test";
import { Coherence } from "../../src/cache/coherence.ts";
import { CacheKeyBuilder } from "../../src/cache/key.ts";
import { MemoryTier } from "../../src/cache/memory-tier.ts";
import type { RedisTier } from "../../src/cache/redis-tier.ts";
import { createMemoryLogger } from "../support/logger.ts";

/**
 * The promotion rule depends on the order in which a read and a message interleave, which a
 * real Redis cannot be made to produce on demand; the messages are fed directly here (the
 * integration tests in test/scale cover the channel itself).
 */
function setup() {
  const keys = new CacheKeyBuilder("ai_cache");
  const memory = new MemoryTier({ maxEntries: 100, maxBytes: 1 << 20 });
  const published: string[] = [];
  const redis = { publish: async (_channel: string, message: string) => published.push(message) } as unknown as RedisTier;
  const coherence = new Coherence({ memory, keys, redis, logger: createMemoryLogger() });
  const key = keys.build({ operation: "qa", text: "t" });
  const other = keys.build({ operation: "qa", text: "u" });
  return { keys, memory, coherence, key, other, published };
}

describe("coherence messages", () => {
  test("a key message drops that key only; a glob message drops what matches", () => {
    const { memory, coherence, key, other } = setup();
    memory.set(key, "1", Date.now() + 60_000);
    memory.set(other, "2", Date.now() + 60_000);
    coherence.apply(JSON.stringify({ from: "peer", key }));
    expect([memory.get(key), memory.get(other)?.json]).toEqual([undefined, "2"]);
    coherence.apply(JSON.stringify({ from: "peer", glob: "ai_cache:*op:qa|*" }));
    expect(memory.size).toBe(0);
  });

  test("its own, malformed and foreign-prefix messages are ignored", () => {
    const { memory, coherence, key } = setup();
    memory.set(key, "1", Date.now() + 60_000);
    for (const raw of [JSON.stringify({ from: coherence.instance, key }), "not json", "null", JSON.stringify({ from: "peer", glob: "*" }), JSON.stringify({ from: "peer", key: "session:1" })]) {
      coherence.apply(raw);
    }
    expect(memory.get(key)?.json).toBe("1");
  });

  test("announcements carry the instance, the key and the stored-at time", () => {
    const { coherence, key, published } = setup();
    coherence.announceKey(key, 1234.5);
    coherence.announceKey(key);
    coherence.announceGlob("ai_cache:*");
    expect(published.map((m) => JSON.parse(m))).toEqual([
      { from: coherence.instance, key, at: 1234.5 },
      { from: coherence.instance, key },
      { from: coherence.instance, glob: "ai_cache:*" },
    ]);
  });
});

describe("promotion of a value read from Redis", () => {
  test("allowed when nothing arrived during the read, or only changes to other keys", () => {
    const { coherence, key, other } = setup();
    const since = coherence.generation;
    expect(coherence.mayPromote(key, since, 100)).toBe(true);
    coherence.apply(JSON.stringify({ from: "peer", key: other, at: 5 }));
    expect(coherence.mayPromote(key, since, 100)).toBe(true);
  });

  test("allowed when the change is the very write that was read, refused otherwise", () => {
    const { coherence, key } = setup();
    const since = coherence.generation;
    coherence.apply(JSON.stringify({ from: "peer", key, at: 100 }));
    expect(coherence.mayPromote(key, since, 100)).toBe(true);
    expect(coherence.mayPromote(key, since, 99)).toBe(false);
    const later = coherence.generation;
    coherence.apply(JSON.stringify({ from: "peer", key }));
    expect(coherence.mayPromote(key, later, 100)).toBe(false);
  });

  test("refused after an invalidation, or when more changes arrived than are remembered", () => {
    const { coherence, key, keys } = setup();
    const since = coherence.generation;
    coherence.apply(JSON.stringify({ from: "peer", glob: "ai_cache:*op:other*" }));
    expect(coherence.mayPromote(key, since, 1)).toBe(false);
    const next = coherence.generation;
    for (let i = 0; i < 1100; i++) coherence.apply(JSON.stringify({ from: "peer", key: keys.build({ operation: "x", text: String(i) }) }));
    expect(coherence.mayPromote(key, next, 1)).toBe(false);
  });
});
