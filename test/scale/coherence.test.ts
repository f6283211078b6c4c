import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildTestApp } from "../support/app.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { startSidecar, within, type SidecarProcess } from "../support/sidecar.ts";

/**
 * The documented bound (CACHE_COHERENCE_BOUND_MS, default 2000 ms): stale copies are gone within
 * it whatever happens. On loopback they go within a few ms; the measured times are printed.
 */
const TARGET_MS = 2000;

let redis: RedisServer;
let a: SidecarProcess;
let b: SidecarProcess;
let c: SidecarProcess;
const propagation: number[] = [];

beforeAll(async () => {
  redis = await startRedis();
  [a, b, c] = (await Promise.all(["a", "b", "c"].map((id) => startSidecar({ REDIS_URL: redis.url, INSTANCE_ID: `sidecar-${id}` })))) as [SidecarProcess, SidecarProcess, SidecarProcess];
});
afterAll(async () => {
  expect(await Promise.all([a, b, c].map((sidecar) => sidecar.stop()))).toEqual([0, 0, 0]);
  await redis.stop();
  console.log(`coherence propagation (ms): ${propagation.map((ms) => ms.toFixed(1)).join(", ")}`);
});

const request = (text: string) => ({ operation: "summarize", text });

/**
 * Looks up until the sidecar answers from memory: a store's announcement that arrives during
 * the first read (rightly) stops that read's promotion, so it may take a second lookup.
 */
async function untilInMemory(sidecar: SidecarProcess, text: string): Promise<void> {
  await within(TARGET_MS, async () => (await sidecar.post("/cache/lookup", request(text))).tier === "memory");
}

describe("three sidecar processes on one Redis", () => {
  test("a store via A is a Redis hit via B, then a memory hit", async () => {
    await a.post("/cache/store", { ...request("shared"), response: { summary: "from A" } });
    expect(await b.post("/cache/lookup", request("shared"))).toMatchObject({ hit: true, tier: "redis", response: { summary: "from A" } });
    await untilInMemory(b, "shared");
    expect(await b.post("/cache/lookup", request("shared"))).toMatchObject({ hit: true, tier: "memory", response: { summary: "from A" } });
  });

  test("an invalidation via B drops the copies in A's and C's memory tiers within the target", async () => {
    await a.post("/cache/store", { ...request("doomed"), response: 1 });
    for (const sidecar of [a, c]) await untilInMemory(sidecar, "doomed");
    const invalidated = await b.post("/internal/cache/invalidate?pattern=op:summarize|*");
    expect(invalidated.redis).toBe("ok");
    for (const sidecar of [a, c]) {
      const ms = await within(TARGET_MS, async () => !(await sidecar.post("/cache/lookup", request("doomed"))).hit);
      propagation.push(ms);
    }
  });

  test("an overwrite via A replaces B's memory copy within the target", async () => {
    await a.post("/cache/store", { ...request("versioned"), response: "v1" });
    await untilInMemory(b, "versioned");
    expect(await b.post("/cache/lookup", request("versioned"))).toMatchObject({ tier: "memory", response: "v1" });
    await a.post("/cache/store", { ...request("versioned"), response: "v2" });
    propagation.push(await within(TARGET_MS, async () => (await b.post("/cache/lookup", request("versioned"))).response === "v2"));
  });

  test("a delete via C removes A's memory copy within the target", async () => {
    const { key } = await a.post("/cache/store", { ...request("deleted"), response: true });
    expect((await a.post("/cache/lookup", request("deleted"))).tier).toBe("memory");
    const removed = await fetch(`${c.url}/cache/entries/${encodeURIComponent(key)}`, { method: "DELETE" });
    expect((await removed.json()).tiers).toEqual(["redis"]);
    propagation.push(await within(TARGET_MS, async () => !(await a.post("/cache/lookup", request("deleted"))).hit));
  });

  test("each sidecar reports its own metrics with its instance label, and its coherence traffic", async () => {
    const texts = await Promise.all([a, b, c].map(async (sidecar) => (await fetch(`${sidecar.url}/metrics`)).text()));
    texts.forEach((text, i) => {
      expect(text).toContain(`ai_cache_hits_total{instance_id="sidecar-${"abc"[i]}",tier="memory"}`);
      expect(text).toMatch(/ai_cache_coherence_messages_total\{instance_id="sidecar-[abc]",direction="received"\} [1-9]/);
    });
    const status = await a.get("/internal/cache/status");
    expect(status.redis.coherence.channel).toBe("ai_cache:coherence");
    expect(status.redis.topology).toBe("standalone");
  });
});

describe("a sidecar that missed messages", () => {
  test("empties its memory tier once it hears again, so nothing changed meanwhile is served", async () => {
    const one = await buildTestApp({ redisUrl: redis.url, instanceId: "partitioned" });
    const other = await buildTestApp({ redisUrl: redis.url, instanceId: "other" });
    try {
      expect(one.cache.coherence.stats?.state).toBe("listening");
      const req = request("missed");
      await other.request("/cache/store", { method: "POST", json: { ...req, response: "old" } });
      // The store's own announcement may arrive during a read and (rightly) stop that promotion.
      await within(2000, async () => (await (await one.request("/cache/lookup", { method: "POST", json: req })).json()).tier === "memory");
      expect(await (await one.request("/cache/lookup", { method: "POST", json: req })).json()).toMatchObject({ tier: "memory", response: "old" });
      const written = await (await one.request("/cache/store", { method: "POST", json: { ...request("written later"), response: "kept" } })).json();

      // Cut only this sidecar's connections, then change the entry while it cannot hear.
      const admin = await redis.client();
      const clients = String(await admin.sendCommand(["CLIENT", "LIST"])).split("\n").filter((line) => line.includes("name=ai-response-cache:partitioned"));
      expect(clients.length).toBeGreaterThanOrEqual(2);
      for (const line of clients) await admin.sendCommand(["CLIENT", "KILL", "ID", /id=(\d+)/.exec(line)![1]!]);
      await other.request("/cache/store", { method: "POST", json: { ...req, response: "new" } });

      await within(5000, async () => (one.cache.coherence.stats?.resyncs ?? 0) >= 1);
      expect(await (await one.request("/cache/lookup", { method: "POST", json: req })).json()).toMatchObject({ response: "new" });
      expect(one.logger.lines.some((line) => line.includes("dropped memory entries"))).toBe(true);
      expect(written.tiers).toEqual(["memory", "redis"]);
    } finally {
      await one.close();
      await other.close();
    }
  }, 20_000);
});
