import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { serverProbe, tagContract } from "../support/tags-contract.ts";

let redis: RedisServer;
let a: TestApp;
let b: TestApp;
let client: Awaited<ReturnType<RedisServer["client"]>>;

beforeAll(async () => {
  redis = await startRedis();
  [a, b] = await Promise.all([buildTestApp({ redisUrl: redis.url, instanceId: "tags-a" }), buildTestApp({ redisUrl: redis.url, instanceId: "tags-b" })]);
  client = await redis.client();
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await redis?.stop();
});

tagContract("standalone Redis, two sidecars", () => ({
  a,
  b,
  redis: serverProbe(client),
}));

describe("tags on one sidecar without Redis (the local index)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());
  const post = async (path: string, json?: unknown) => {
    const response = await t.request(path, { method: "POST", json });
    return { status: response.status, body: await response.json() };
  };

  test("an invalidation by tag removes the entries carrying it, after a dry run that counted them", async () => {
    for (const text of ["m1", "m2", "m3"]) expect((await post("/cache/store", { operation: "summarize", text, response: text, tags: text === "m3" ? ["other"] : ["doc:1", "other"] })).status).toBe(201);
    const dry = (await post("/internal/cache/invalidate?tag=doc:1&dry_run=true")).body;
    expect(dry).toMatchObject({ would_remove: 2, memory_would_remove: 2, redis_would_remove: 0, redis: "disabled" });
    const real = (await post("/internal/cache/invalidate?tag=doc:1")).body;
    expect(real).toMatchObject({ keys_removed: 2, memory_keys_removed: 2, redis_keys_removed: 0, redis: "disabled" });
    expect((await post("/cache/lookup", { operation: "summarize", text: "m1" })).body.hit).toBe(false);
    expect((await post("/cache/lookup", { operation: "summarize", text: "m3" })).body.hit).toBe(true);
    // Again: nothing carries it any more.
    expect((await post("/internal/cache/invalidate?tag=doc:1")).body.keys_removed).toBe(0);
  });

  test("a dry run and a soft purge by pattern, memory tier only", async () => {
    await post("/cache/store", { operation: "memory_pattern", text: "p", response: 1, stale_seconds: 60 });
    expect((await post("/internal/cache/invalidate?pattern=op:memory_pattern&dry_run=true")).body).toMatchObject({ would_remove: 1, memory_would_remove: 1, redis_would_remove: 0, redis: "disabled" });
    expect((await post("/internal/cache/invalidate?pattern=op:memory_pattern&soft=true")).body).toMatchObject({ keys_marked_stale: 1, redis: "disabled" });
    expect((await post("/cache/lookup", { operation: "memory_pattern", text: "p" })).body.hit).toBe(false);
    expect((await post("/cache/lookup", { operation: "memory_pattern", text: "p", max_stale_seconds: 60 })).body.stale).toBe(true);
  });

  test("a soft purge by tag keeps the entry for callers that accept stale answers", async () => {
    await post("/cache/store", { operation: "summarize", text: "soft", response: 1, tags: ["soft"], stale_seconds: 60 });
    expect((await post("/internal/cache/invalidate?tag=soft&soft=true")).body).toMatchObject({ keys_marked_stale: 1, memory_keys_marked_stale: 1, redis_keys_marked_stale: 0 });
    expect((await post("/cache/lookup", { operation: "summarize", text: "soft" })).body.hit).toBe(false);
    expect((await post("/cache/lookup", { operation: "summarize", text: "soft", max_stale_seconds: 60 })).body).toMatchObject({ hit: true, stale: true });
  });

  test("the local index forgets entries the memory tier no longer holds", async () => {
    const small = await buildTestApp({ memoryMaxEntries: 2 });
    try {
      // Past 2 × 16 × 2 + 1024 members the index is pruned.
      for (let i = 0; i < 600; i++) await small.request("/cache/store", { method: "POST", json: { operation: "summarize", text: `e${i}`, response: i, tags: ["t1", "t2"] } });
      // Bounded by what the tier can hold (2 entries, 16 tags each, twice over), not by the stores made.
      expect(small.cache.tags.localSize).toBeLessThanOrEqual(2 * 16 * 2 + 1024);
      const answer = await (await small.request("/internal/cache/invalidate?tag=t1&dry_run=true", { method: "POST" })).json();
      expect(answer.would_remove).toBe(2);
    } finally {
      await small.close();
    }
  });

  test("bad tags are refused naming the field, in the store and in the invalidation", async () => {
    const tooMany = Array.from({ length: 17 }, (_, i) => `t${i}`);
    for (const tags of [tooMany, ["has space"], ["{brace}"], [""], ["x".repeat(129)]]) {
      const answer = await post("/cache/store", { operation: "summarize", text: "bad", response: 1, tags });
      expect(answer.status).toBe(422);
      expect(answer.body.error).toBe("validation_error");
      expect(answer.body.field).toContain("tags");
    }
    for (const tag of ["a%20b", "%7Bx%7D", ""]) {
      const answer = await post(`/internal/cache/invalidate?tag=${tag}`);
      expect(answer.status).toBe(422);
      expect(answer.body.field).toContain("tag");
    }
    for (const flag of ["dry_run=yes", "soft=1"]) {
      const answer = await post(`/internal/cache/invalidate?${flag}`);
      expect(answer.status).toBe(422);
      expect(answer.body.field).toContain(flag.split("=")[0]!);
    }
  });
});

describe("tags when Redis refuses or is gone", () => {
  let down: RedisServer;
  let t: TestApp;
  beforeAll(async () => {
    down = await startRedis();
    t = await buildTestApp({ redisUrl: down.url, instanceId: "tags-down" });
  });
  afterAll(async () => {
    await t.close();
    await down.stop();
  });
  const post = async (path: string, json?: unknown) => {
    const response = await t.request(path, { method: "POST", json });
    return { status: response.status, body: await response.json() };
  };

  test("a value whose tags Redis refuses is not kept in Redis (a tag invalidation could miss it); under a lease the store fails", async () => {
    const redisClient = await down.client();
    // A tag set that is not a set: SADD is refused (WRONGTYPE).
    await redisClient.set(t.cache.keys.tagKey("broken"), "not a set");
    const stored = await post("/cache/store", { operation: "summarize", text: "refused tags", response: 1, tags: ["broken"] });
    expect(stored.status).toBe(201);
    expect(stored.body.tiers).toEqual(["memory"]);
    expect(await redisClient.exists(stored.body.key)).toBe(0);

    const leader = await post("/cache/lookup", { operation: "summarize", text: "refused tags under lease", coalesce: { wait_ms: 0 } });
    expect(leader.body.lease).toBeDefined();
    const refused = await post("/cache/store", { operation: "summarize", text: "refused tags under lease", response: 1, tags: ["broken"], lease_token: leader.body.lease.token });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe("not_stored");
    expect(await redisClient.exists(leader.body.key)).toBe(0);
  });

  test("with Redis gone, an invalidation by tag still clears the memory tier from the local index, and says Redis was not reached", async () => {
    await post("/cache/store", { operation: "summarize", text: "before the outage", response: 1, tags: ["outage"] });
    await down.stop();
    try {
      const dry = (await post("/internal/cache/invalidate?tag=outage&dry_run=true")).body;
      expect(dry).toMatchObject({ would_remove: 1, memory_would_remove: 1, redis_would_remove: 0, redis: "unavailable" });
      const soft = (await post("/internal/cache/invalidate?tag=outage&soft=true")).body;
      expect(soft).toMatchObject({ keys_marked_stale: 1, redis: "unavailable" });
      const real = (await post("/internal/cache/invalidate?tag=outage")).body;
      expect(real).toMatchObject({ keys_removed: 1, memory_keys_removed: 1, redis_keys_removed: 0, redis: "unavailable" });
      const pattern = (await post("/internal/cache/invalidate?pattern=anything&soft=true")).body;
      expect(pattern.redis).toBe("unavailable");
    } finally {
      await down.start();
    }
  });
});
