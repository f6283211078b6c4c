import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { waitFor } from "../support/poll.ts";
import { startSentinel, type LocalDeployment } from "../support/redis-cluster.ts";
import { redisTierContract } from "../support/redis-tier-contract.ts";

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
  await waitFor(() => t.cache.redisStatus() === "connected", { what: "master found through the sentinel" });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await deployment?.stop();
});

describe("Redis behind Sentinel", () => {
  test("the master is found through the sentinel and both tiers work", async () => {
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
    const stored = await (await t.request("/cache/store", { method: "POST", json: { operation: "sentinel_status", text: "doomed", response: 1 } })).json();
    expect(stored.tiers).toEqual(["memory", "redis"]);
    const body = await (await t.request("/internal/cache/invalidate?pattern=op:sentinel_status|*", { method: "POST" })).json();
    expect(body).toMatchObject({ redis: "ok", redis_keys_removed: 1, memory_keys_removed: 1 });
  });
});

redisTierContract("sentinel", async () => {
  // A deployment of its own: the contract's failure tests take its master down.
  const own = await startSentinel("contract-secret");
  const target = { kind: "sentinel" as const, master: "mymaster", sentinels: [{ host: "127.0.0.1", port: own.sentinelPort }], password: "contract-secret" };
  return {
    targets: [target, target],
    dataPorts: own.dataPorts,
    password: "contract-secret",
    stopData: () => own.stopData(),
    startData: () => own.startData(),
    pauseData: () => own.pauseData(),
    resumeData: () => own.resumeData(),
    close: () => own.stop(),
  };
});
