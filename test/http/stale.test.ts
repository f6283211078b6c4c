import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { waitFor } from "../support/poll.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";

/** Stale windows on the data plane: entries kept past their TTL for callers that accept them. */
function staleSuite(label: string, build: () => Promise<TestApp>): void {
  describe(`stale answers: ${label}`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await build();
    });
    afterAll(() => t.close());

    let serial = 0;
    const parts = (operation: string) => ({ operation, text: `${label} stale ${++serial}` });
    const lookup = async (body: object) => (await t.request("/cache/lookup", { method: "POST", json: body })).json();
    const store = async (body: object) => t.request("/cache/store", { method: "POST", json: body });
    /** Stores with a 1 s TTL and a stale window, then waits until a plain lookup misses. */
    const storeThenExpire = async (request: object, staleSeconds = 600) => {
      const stored = await store({ ...request, response: { v: "old" }, ttl_seconds: 1, stale_seconds: staleSeconds });
      expect(stored.status).toBe(201);
      expect((await stored.json()).stale_seconds).toBe(staleSeconds);
      await waitFor(async () => (await lookup(request)).hit === false, { what: "the TTL to pass" });
    };

    test("past its TTL an entry is a miss, unless the lookup accepts that much staleness; then it says stale", async () => {
      const request = parts("stale_basic");
      await storeThenExpire(request);
      expect(await lookup(request)).toEqual({ hit: false, key: expect.any(String) });
      expect((await lookup({ ...request, max_stale_seconds: 0 })).hit).toBe(false);
      const stale = await lookup({ ...request, max_stale_seconds: 600 });
      expect(stale).toMatchObject({ hit: true, response: { v: "old" }, stale: true });
      expect(stale.age_seconds).toBeGreaterThanOrEqual(1);
    });

    test("an entry stored without a stale window (the default) is gone at its TTL, whatever the lookup accepts", async () => {
      const request = parts("stale_none");
      expect((await (await store({ ...request, response: 1, ttl_seconds: 1 })).json()).stale_seconds).toBe(0);
      await waitFor(async () => (await lookup(request)).hit === false, { what: "the TTL to pass" });
      // Redis drops the key itself (PX counts from the moment it took the write, a fraction of a
      // millisecond after the TTL's start): the lookup that accepts staleness may see it that long.
      await waitFor(async () => (await lookup({ ...request, max_stale_seconds: 600 })).hit === false, { what: "the entry gone for every lookup" });
      // ...and never again.
      expect((await lookup({ ...request, max_stale_seconds: 600 })).hit).toBe(false);
    });

    test("stale-while-revalidate: concurrent coalesced lookups are all served the stale answer at once, and exactly one is handed the lease to refresh it", async () => {
      const request = parts("stale_swr");
      await storeThenExpire(request);
      const answers = await Promise.all(Array.from({ length: 6 }, () => lookup({ ...request, max_stale_seconds: 600, coalesce: { wait_ms: 10_000 } })));
      for (const answer of answers) expect(answer).toMatchObject({ hit: true, stale: true, response: { v: "old" } });
      const refreshers = answers.filter((answer) => answer.lease !== undefined);
      expect(refreshers.length).toBe(1);
      const refreshed = await store({ ...request, response: { v: "new" }, lease_token: refreshers[0].lease.token });
      expect(refreshed.status).toBe(201);
      const fresh = await lookup({ ...request, max_stale_seconds: 600 });
      expect(fresh).toMatchObject({ hit: true, response: { v: "new" } });
      expect(fresh.stale).toBeUndefined();
    });

    test("a coalesced lookup that does not accept stale answers is not handed the stale value: it leads (or waits for) the refresh", async () => {
      const request = parts("stale_strict");
      await storeThenExpire(request);
      const leader = await lookup({ ...request, coalesce: { wait_ms: 0 } });
      expect(leader.hit).toBe(false);
      expect(leader.lease.token).toBeString();
      const follower = lookup({ ...request, coalesce: { wait_ms: 10_000 } });
      await waitFor(() => t.cache.coalescer.waiting === 1, { what: "a follower waiting" });
      expect((await store({ ...request, response: { v: "fresh" }, lease_token: leader.lease.token })).status).toBe(201);
      expect(await follower).toMatchObject({ hit: true, collapsed: true, response: { v: "fresh" } });
    });

    test("stale-if-error: after the LLM failed, the app asks for a stale answer explicitly", async () => {
      const request = parts("stale_if_error");
      await storeThenExpire(request, 60);
      // The LLM call failed: any answer up to a minute past its TTL is better than none.
      expect(await lookup({ ...request, max_stale_seconds: 60 })).toMatchObject({ hit: true, stale: true, response: { v: "old" } });
    });

    test("max_stale_seconds and stale_seconds out of bounds are refused, naming the field", async () => {
      const request = parts("stale_bounds");
      for (const body of [{ ...request, max_stale_seconds: -1 }, { ...request, max_stale_seconds: 30 * 86_400 + 1 }]) {
        const response = await t.request("/cache/lookup", { method: "POST", json: body });
        expect(response.status).toBe(422);
        expect((await response.json()).field).toBe("max_stale_seconds");
      }
      const response = await store({ ...request, response: 1, stale_seconds: -5 });
      expect(response.status).toBe(422);
      expect((await response.json()).field).toBe("stale_seconds");
    });
  });
}

staleSuite("memory tier only", () => buildTestApp({ instanceId: "stale-memory" }));

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

staleSuite("memory tier off, Redis only", async () => {
  const t = await buildTestApp({ redisUrl: redis.url, memoryMaxEntries: 0, instanceId: "stale-redis" });
  await waitFor(() => t.cache.redisStatus() === "connected", { what: "connected to Redis" });
  return t;
});

describe("stale windows in Redis", () => {
  test("the Redis copy lives for its TTL plus its stale window", async () => {
    const t = await buildTestApp({ redisUrl: redis.url, instanceId: "stale-ttl" });
    try {
      await waitFor(() => t.cache.redisStatus() === "connected", { what: "connected to Redis" });
      const stored = await (await t.request("/cache/store", { method: "POST", json: { operation: "stale_ttl", text: "x", response: 1, ttl_seconds: 60, stale_seconds: 600 } })).json();
      const found = await t.cache.redis.getWithTtl(stored.key);
      expect(found!.ttlMs).toBeGreaterThan(600_000);
      expect(found!.ttlMs).toBeLessThanOrEqual(660_000);
    } finally {
      await t.close();
    }
  });
});
