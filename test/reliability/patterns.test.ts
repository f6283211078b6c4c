import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { buildTestApp, PRIMARY_KEY, type TestApp } from "../support/app.ts";
import { waitFor } from "../support/poll.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";

let redis: RedisServer;
let t: TestApp;
const auth = { authorization: `Bearer ${PRIMARY_KEY}` };
const FOREIGN = ["foreign:ai_cache:op:x", "session:123", "ai_cache", "ai_cachex:op:summarize|txt:1", "AI_CACHE:op:x", "x:ai_cache:op:summarize", "ai_cach:op:x"];

beforeAll(async () => {
  redis = await startRedis();
  t = await buildTestApp({ redisUrl: redis.url, apiKeys: [PRIMARY_KEY], logLevel: "error" });
  // The start-up wait is bounded; on a loaded machine the connection may come just after it.
  await waitFor(() => t.cache.redisStatus() === "connected", { what: "connected to Redis" });
  const client = await redis.client();
  for (const key of FOREIGN) await client.set(key, "not ours");
});
afterAll(async () => {
  await t.close();
  await redis.stop();
});

const invalidate = (pattern: string, headers: Record<string, string> = auth) =>
  t.request(`/internal/cache/invalidate?pattern=${encodeURIComponent(pattern)}`, { method: "POST", headers });

async function foreignKeys(): Promise<string[]> {
  const client = await redis.client();
  return (await client.keys("*")).filter((key) => !key.startsWith("ai_cache:")).sort();
}

/** No cache entry in either tier, whatever an earlier test left (foreign keys stay). */
async function reset(): Promise<void> {
  t.cache.memory.clear();
  const client = await redis.client();
  const ours = await client.keys("ai_cache:*");
  if (ours.length > 0) await client.del(ours);
}

async function seed(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await t.request("/cache/store", { method: "POST", headers: auth, json: { operation: ["summarize", "qa", "translate"][i % 3], text: `t${i}`, response: i } });
  }
}

describe("hostile patterns", () => {
  test("over-long, control-character and malformed patterns are refused with 422 and touch nothing", async () => {
    await reset();
    await seed(6);
    for (const pattern of ["x".repeat(257), "a\u0000b", "a\rb", "\u001b[2J", "[unclosed", "trailing\\", `${"*a".repeat(17)}*`]) {
      const response = await invalidate(pattern);
      expect(response.status).toBe(422);
      expect((await response.json()).field).toBe("pattern");
    }
    expect(t.cache.memory.size).toBe(6);
    expect((await (await redis.client()).keys("ai_cache:*")).length).toBe(6);
  });

  test("pathological globs within the limits finish in bounded time", async () => {
    await reset();
    await seed(30);
    // 15 wildcards, each followed by "a", against keys that hold a few "a"s each: a backtracking
    // matcher takes exponential time to fail here; O(pattern x key) matching does not (the bound
    // is the test's timeout). Nothing matches: no key holds fifteen "a"s.
    const response = await invalidate(`${"*a".repeat(15)}*b`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ keys_removed: 0, redis: "ok" });
    expect(t.cache.memory.size).toBe(30);
  });

  test("no pattern, including the empty one, reaches keys outside the prefix", async () => {
    await seed(9);
    for (const pattern of ["", "*", "?", "[a-z]*", "*:*", "ai_cache", "../*", "\\*", "session*", "foreign*", "]"]) {
      const response = await invalidate(pattern);
      expect(response.status).toBe(200);
      expect(await foreignKeys()).toEqual([...FOREIGN].sort());
    }
    expect((await (await redis.client()).keys("ai_cache:*")).length).toBe(0);
  });

  test("property: random patterns never remove a foreign key, and both tiers agree", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.constantFrom("a", "s", "q", "*", "?", "[", "]", "^", "-", "\\", ":", "|", "o", "p", "_"), maxLength: 12 }), async (pattern) => {
        await seed(3);
        const response = await invalidate(pattern);
        expect([200, 422]).toContain(response.status);
        expect(await foreignKeys()).toEqual([...FOREIGN].sort());
        if (response.status === 200) {
          // Every key left in memory is still in Redis: one glob semantics on both tiers.
          const client = await redis.client();
          const remote = new Set(await client.keys("ai_cache:*"));
          const body = await response.json();
          expect(body.memory_keys_removed).toBeLessThanOrEqual(body.redis_keys_removed);
          for (const text of ["t0", "t1", "t2"]) {
            const lookup = await (await t.request("/cache/lookup", { method: "POST", headers: auth, json: { operation: ["summarize", "qa", "translate"][Number(text[1]) % 3], text } })).json();
            if (lookup.hit && lookup.tier === "memory") expect(remote.has(lookup.key)).toBe(true);
          }
        }
      }),
      { numRuns: 60, seed: 7 },
    );
  }, 60_000);
});

describe("auth on invalidation", () => {
  test("without a key or with a wrong one: 401 and nothing removed", async () => {
    await seed(3);
    const before = (await (await redis.client()).keys("ai_cache:*")).length;
    for (const headers of <Record<string, string>[]>[{}, { authorization: "Bearer nope" }, { "x-api-key": "nope" }, { authorization: `Basic ${PRIMARY_KEY}` }, { authorization: `Bearer ${PRIMARY_KEY}x` }]) {
      const response = await invalidate("", headers);
      expect(response.status).toBe(401);
    }
    expect((await (await redis.client()).keys("ai_cache:*")).length).toBe(before);
    expect(t.cache.memory.size).toBeGreaterThan(0);
  });
});
