import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { KeyParts } from "../../src/engine/key.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";

/**
 * A lookup that misses memory reads Redis; if this same sidecar deletes, overwrites or
 * invalidates the key meanwhile, the value read is older than the change and must not be
 * copied into memory, or it would be served until its TTL. The lookup is started first, so its
 * GET reaches Redis before the change's command: on one connection Redis answers in order, so
 * the read sees the old value every time, and the race is reproduced deterministically.
 */
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const TRIALS = 100;

async function staleAfter(app: TestApp, change: (parts: KeyParts, key: string) => Promise<unknown>, expected: unknown): Promise<number> {
  let stale = 0;
  for (let i = 0; i < TRIALS; i++) {
    const parts = { operation: "race", text: `trial ${i} ${Math.random()}` };
    const { key } = await app.cache.store({ ...parts, response: "old" });
    app.cache.memory.delete(key); // as on a sidecar that has not read it yet
    const reading = app.cache.lookup(parts);
    await Promise.all([reading, change(parts, key)]);
    const after = await app.cache.lookup(parts);
    const served = after.hit ? JSON.parse(after.json) : null;
    if (served !== expected) stale++;
  }
  return stale;
}

for (const coherence of [true, false]) {
  describe(`a change made while a lookup reads Redis (coherence ${coherence ? "on" : "off"})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await buildTestApp({ redisUrl: redis.url, coherence });
    });
    afterAll(() => app.close());

    test("a delete: the old value is never served afterwards", async () => {
      expect(await staleAfter(app, (_, key) => app.cache.deleteEntry(key), null)).toBe(0);
    });

    test("an overwrite: the new value is served afterwards", async () => {
      expect(await staleAfter(app, (parts) => app.cache.store({ ...parts, response: "new" }), "new")).toBe(0);
    });

    test("an invalidation: the old value is never served afterwards", async () => {
      expect(await staleAfter(app, () => app.cache.invalidate("op:race|*", "test"), null)).toBe(0);
    });

    test("a read that does not overlap a change is still promoted", async () => {
      const parts = { operation: "calm", text: "promoted" };
      const { key } = await app.cache.store({ ...parts, response: 1 });
      app.cache.memory.delete(key);
      expect((await app.cache.lookup(parts)).hit).toBe(true);
      expect(app.cache.memory.get(key)?.json).toBe("1");
    });
  });
}
