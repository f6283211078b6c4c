import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FORMAT_VERSION } from "../../src/engine/codec.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { waitFor } from "../support/poll.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { redisTierContract } from "../support/redis-tier-contract.ts";

let redis: RedisServer;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  t = await buildTestApp({ redisUrl: redis.url, redisCommandTimeoutMs: 300, redisConnectTimeoutMs: 1000 });
  // The start-up wait is bounded; on a loaded machine the connection may come just after it.
  await waitFor(() => t.cache.redisStatus() === "connected", { what: "connected to Redis" });
});
afterAll(async () => {
  await t.close();
  await redis.stop();
});

const lookup = (body: unknown) => t.request("/cache/lookup", { method: "POST", json: body });
const store = (body: unknown) => t.request("/cache/store", { method: "POST", json: body });
const LONG_ANSWER = { choices: [{ message: { role: "assistant", content: "The quarterly report shows revenue growth across regions. ".repeat(60) } }] };

describe("two tiers against a real redis-server", () => {
  test("store, clear the memory tier, then look up through Redis (promoted afterwards)", async () => {
    const request = { operation: "summarize", text: "through redis" };
    const stored = await (await store({ ...request, response: { summary: "ok" } })).json();
    expect(stored.tiers).toEqual(["memory", "redis"]);
    t.cache.memory.clear();
    const fromRedis = await (await lookup(request)).json();
    expect(fromRedis).toMatchObject({ hit: true, tier: "redis", response: { summary: "ok" } });
    expect(fromRedis.age_seconds).toBeGreaterThanOrEqual(0);
    const promoted = await (await lookup(request)).json();
    expect(promoted.tier).toBe("memory");
  });

  test("TTLs are set in Redis per operation and per request", async () => {
    const client = await redis.client();
    const sentiment = await (await store({ operation: "sentiment", text: "ttl", response: "positive" })).json();
    const ttl = await client.pTTL(sentiment.key);
    expect(ttl).toBeGreaterThan(86_000_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);
    const custom = await (await store({ operation: "sentiment", text: "ttl2", response: "x", ttl_seconds: 2 })).json();
    const customTtl = await client.pTTL(custom.key);
    expect(customTtl).toBeGreaterThan(0); // -2 would mean no such key, -1 no TTL
    expect(customTtl).toBeLessThanOrEqual(2000);
  });

  test("large values are stored zstd-compressed with a header, and read back", async () => {
    const request = { operation: "summarize", text: "big" };
    const stored = await (await store({ ...request, response: LONG_ANSWER })).json();
    expect(stored).toMatchObject({ compressed: true, codec: "zstd" });
    const client = await redis.client();
    const raw = (await client.sendCommand(["GETRANGE", stored.key, "0", "1"], { typeMapping: { 36: Buffer } })) as unknown as Buffer;
    expect([raw[0], raw[1]]).toEqual([FORMAT_VERSION, 1]);
    expect(stored.stored_bytes).toBeLessThan(JSON.stringify(LONG_ANSWER).length / 2);
    t.cache.memory.clear();
    expect((await (await lookup(request)).json()).response).toEqual(LONG_ANSWER);
    const metrics = await (await t.request("/internal/cache/metrics")).json();
    expect(metrics.compression.total_operations).toBeGreaterThanOrEqual(1);
    expect(metrics.compression.total_bytes_saved).toBeGreaterThan(0);
  });

  test("plain JSON put in Redis by another writer reads back", async () => {
    const client = await redis.client();
    const key = (await (await lookup({ operation: "legacy", text: "old" })).json()).key;
    await client.set(key, JSON.stringify({ legacy: true }), { EX: 60 });
    const hit = await (await lookup({ operation: "legacy", text: "old" })).json();
    expect(hit).toMatchObject({ hit: true, tier: "redis", response: { legacy: true }, age_seconds: null });
  });

  test("an unreadable value is a miss with a warning, never an error", async () => {
    const client = await redis.client();
    const request = { operation: "broken", text: "corrupt" };
    const { key } = await (await lookup(request)).json();
    await client.set(key, Buffer.from([FORMAT_VERSION, 1, ...new Array(16).fill(0), 1, 2, 3]));
    const response = await lookup(request);
    expect(response.status).toBe(200);
    expect((await response.json()).hit).toBe(false);
    const entry = await t.request(`/cache/entries/${encodeURIComponent(key)}`);
    expect(entry.status).toBe(404);
    expect(t.logger.lines.some((line) => line.includes("unreadable cache entry") && line.includes("corrupt zstd payload"))).toBe(true);
  });

  test("entries read by key report the Redis TTL; delete reaches both tiers", async () => {
    const stored = await (await store({ operation: "qa", text: "entry", question: "why?", response: 42 })).json();
    t.cache.memory.clear();
    const path = `/cache/entries/${encodeURIComponent(stored.key)}`;
    const entry = await (await t.request(path)).json();
    expect(entry).toMatchObject({ tier: "redis", response: 42 });
    expect(entry.ttl_seconds).toBeGreaterThan(3500);
    await lookup({ operation: "qa", text: "entry", question: "why?" }); // promote again
    expect(await (await t.request(path, { method: "DELETE" })).json()).toEqual({ deleted: true, tiers: ["memory", "redis"], complete: true });
    expect(await (await redis.client()).exists(stored.key)).toBe(0);
  });

  test("invalidation removes exactly the matching keys from both tiers and never foreign keys", async () => {
    const client = await redis.client();
    await client.set("foreign:summarize:1", "keep");
    await client.set("ai_cachex:op:summarize", "keep");
    await client.set("summarize", "keep");
    await t.request("/internal/cache/invalidate", { method: "POST" });
    for (let i = 0; i < 30; i++) await store({ operation: i % 3 === 0 ? "translate" : "summarize", text: `doc ${i}`, response: i });
    t.cache.memory.clear();
    for (let i = 0; i < 30; i += 2) await lookup({ operation: i % 3 === 0 ? "translate" : "summarize", text: `doc ${i}` }); // half promoted
    const body = await (await t.request("/internal/cache/invalidate?pattern=op:translate|*", { method: "POST" })).json();
    expect(body).toMatchObject({ keys_removed: 10, redis_keys_removed: 10, memory_keys_removed: 5, redis: "ok" });
    expect((await client.keys("ai_cache:op:translate*")).length).toBe(0);
    expect((await client.keys("ai_cache:op:summarize*")).length).toBe(20);
    const all = await (await t.request("/internal/cache/invalidate?pattern=", { method: "POST" })).json();
    expect(all.redis_keys_removed).toBe(20);
    expect(t.cache.memory.size).toBe(0);
    expect((await client.keys("*")).sort()).toEqual(["ai_cachex:op:summarize", "foreign:summarize:1", "summarize"]);
  });

  test("status reports Redis from INFO", async () => {
    const body = await (await t.request("/internal/cache/status")).json();
    expect(body.redis.status).toBe("connected");
    expect(body.redis.memory_used_bytes).toBeGreaterThan(0);
    expect(body.redis.memory_usage).toMatch(/[0-9.]+[KMG]?B?/);
    expect(body.redis.connected_clients).toBeGreaterThanOrEqual(1);
    expect(typeof body.redis.keys).toBe("number");
  });
});

describe("connection problems at start", () => {
  test("an unreachable Redis leaves the service on its memory tier", async () => {
    const app = await buildTestApp({ redisUrl: "redis://127.0.0.1:1", redisConnectTimeoutMs: 200 });
    const response = await app.request("/cache/store", { method: "POST", json: { operation: "x", text: "y", response: 1 } });
    expect(response.status).toBe(201);
    expect((await response.json()).tiers).toEqual(["memory"]);
    expect((await (await app.request("/internal/cache/status")).json()).redis.status).toBe("unavailable");
    await app.close();
  });

  test("a wrong password gives a clear error and memory-only service while it retries slowly", async () => {
    const secured = await startRedis(["--requirepass", "right-password"]);
    // Opened first, so that every connection counted below is the sidecar's.
    const admin = await secured.client();
    const connections = async () => Number(/total_connections_received:(\d+)/.exec(await admin.info("stats"))![1]);
    const app = await buildTestApp({ redisUrl: secured.url.replace("redis://", "redis://:wrong-password@"), redisConnectTimeoutMs: 1000 });
    try {
      await waitFor(() => app.cache.redis?.state === "error", { what: "the refusal reported" });
      const status = await (await app.request("/internal/cache/status")).json();
      expect(status.redis.status).toBe("error");
      expect(status.redis.last_error).toMatch(/WRONGPASS|invalid|password/i);
      expect(status.redis.url).not.toContain("wrong-password");
      const logs = app.logger.lines.join("\n");
      expect(logs).toContain("refused our credentials");
      expect(logs).not.toContain("wrong-password");
      expect(await (await app.request("/cache/store", { method: "POST", json: { operation: "x", text: "y", response: 1 } })).json()).toMatchObject({ tiers: ["memory"] });

      // Retried, slowly: counted over however long two more attempts take, there is at most one
      // attempt a second on each of its two connections (commands, pub/sub). A loaded machine only
      // makes fewer; a retry loop would make hundreds.
      const before = await connections();
      const started = performance.now();
      await waitFor(async () => (await connections()) >= before + 2, { what: "two more connection attempts" });
      const seconds = (performance.now() - started) / 1000;
      expect((await connections()) - before).toBeLessThanOrEqual(2 * (seconds + 1));

      // Once the password it has is accepted, the same sidecar connects by itself.
      await admin.configSet("requirepass", "wrong-password");
      await waitFor(() => app.cache.redisStatus() === "connected", { what: "connected once the password is accepted" });
      expect(await (await app.request("/cache/store", { method: "POST", json: { operation: "x", text: "z", response: 1 } })).json()).toMatchObject({ tiers: ["memory", "redis"] });
    } finally {
      await app.close();
      await secured.stop();
    }
  });
});

redisTierContract("standalone", async () => {
  const server = await startRedis();
  const target = { kind: "standalone" as const, url: server.url };
  return {
    targets: [target, target],
    dataPorts: [server.port],
    stopData: () => server.stop(true),
    startData: () => server.start(),
    pauseData: () => server.pause(),
    resumeData: () => server.resume(),
    close: () => server.stop(),
  };
});
