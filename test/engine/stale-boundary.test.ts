import { expect, test } from "bun:test";
import { CacheKeyBuilder } from "../../src/engine/key.ts";
import { MemoryTier } from "../../src/engine/memory-tier.ts";
import { ResponseCache } from "../../src/engine/service.ts";
import { PerformanceMonitor } from "../../src/monitor/monitor.ts";
import { createMemoryLogger } from "../support/logger.ts";

/** A cache on a clock the test moves. */
function cacheAt(clock: { now: number }) {
  const now = () => clock.now;
  return new ResponseCache({
    keys: new CacheKeyBuilder("ai_cache"),
    memory: new MemoryTier({ maxEntries: 100, maxBytes: 1_000_000, now }),
    monitor: new PerformanceMonitor({ enabled: false, retentionHours: 1 }),
    logger: createMemoryLogger(),
    ttl: { defaultSeconds: 60, perOperation: {} },
    compression: { thresholdBytes: 1000, codec: "zstd", level: 3 },
    limits: { maxTextBytes: 1_000_000, maxResponseBytes: 1_000_000 },
    now,
  });
}

test("at the very millisecond an entry stops being fresh, only a lookup that accepts staleness gets it", async () => {
  const clock = { now: 1_000_000 };
  const cache = cacheAt(clock);
  const parts = { operation: "boundary", text: "the edge of freshness" };
  await cache.store({ ...parts, response: "v", ttlSeconds: 1, staleSeconds: 60 });
  clock.now += 999;
  expect((await cache.lookup(parts)).hit).toBe(true);
  clock.now += 1; // now === the end of its TTL
  expect((await cache.lookup(parts)).hit).toBe(false);
  expect((await cache.lookup(parts, 0)).hit).toBe(false);
  const stale = await cache.lookup(parts, 60);
  expect(stale).toMatchObject({ hit: true, stale: true, staleSeconds: 0 });
  // The stale window ends, like the TTL, at its last millisecond exclusive.
  clock.now += 59_999;
  expect((await cache.lookup(parts, 60)).hit).toBe(true);
  clock.now += 1;
  expect((await cache.lookup(parts, 60)).hit).toBe(false);
});
