import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { startSentinel, type LocalDeployment } from "../support/redis-cluster.ts";
import { within } from "../support/sidecar.ts";

let deployment: LocalDeployment & { masterPort: number; sentinelPort: number };
let t: TestApp;

beforeAll(async () => {
  deployment = await startSentinel("sentinel-secret");
  const config = loadConfig({ REDIS_SENTINEL_NODES: `127.0.0.1:${deployment.sentinelPort}`, REDIS_SENTINEL_MASTER: "mymaster", REDIS_PASSWORD: "sentinel-secret" });
  t = await buildTestApp({
    redisSentinelNodes: config.redisSentinelNodes,
    redisSentinelMaster: config.redisSentinelMaster,
    redisPassword: config.redisPassword,
    instanceId: "via-sentinel",
  });
  // Discovery (sentinel, then master) may outlast the start-up wait; the service serves meanwhile.
  await within(15_000, async () => t.cache.redisStatus() === "connected");
}, 30_000);
afterAll(async () => {
  await t?.close();
  await deployment?.stop();
});

describe("Redis behind Sentinel", () => {
  test("the master is found through the sentinel and both tiers work", async () => {
    expect(t.cache.redisStatus()).toBe("connected");
    const request = { operation: "summarize", text: "through sentinel" };
    const stored = await (await t.request("/cache/store", { method: "POST", json: { ...request, response: "ok" } })).json();
    expect(stored.tiers).toEqual(["memory", "redis"]);
    t.cache.memory.clear();
    expect(await (await t.request("/cache/lookup", { method: "POST", json: request })).json()).toMatchObject({ hit: true, tier: "redis", response: "ok" });
  });

  test("status names the topology and the master; invalidation reaches it", async () => {
    const status = (await (await t.request("/internal/cache/status")).json()).redis;
    expect(status).toMatchObject({ status: "connected", topology: "sentinel", url: `sentinel master mymaster via 127.0.0.1:${deployment.sentinelPort}` });
    expect(status.nodes).toEqual([expect.objectContaining({ address: `127.0.0.1:${deployment.masterPort}`, role: "master", status: "connected" })]);
    const body = await (await t.request("/internal/cache/invalidate?pattern=op:summarize|*", { method: "POST" })).json();
    expect(body).toMatchObject({ redis: "ok", redis_keys_removed: 1 });
  });

  test("configuration: one topology at a time, sentinels as host:port", () => {
    expect(() => loadConfig({ REDIS_URL: "redis://x:1", REDIS_SENTINEL_NODES: "x:26379" })).toThrow(/more than one of REDIS_URL/);
    expect(() => loadConfig({ REDIS_SENTINEL_NODES: "nohost" })).toThrow(/REDIS_SENTINEL_NODES: "nohost" is not host:port/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "redis://a:1,http://b:2" })).toThrow(/REDIS_CLUSTER_NODES: scheme "http:"/);
    expect(loadConfig({ REDIS_SENTINEL_NODES: "[::1]:26379, 10.0.0.2:26380" }).redisSentinelNodes).toEqual([
      { host: "::1", port: 26379 },
      { host: "10.0.0.2", port: 26380 },
    ]);
  });
});
