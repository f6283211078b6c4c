import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildTestApp, PRIMARY_KEY, type TestApp } from "../support/app.ts";
import { appMember, leaseFleetContract } from "../support/lease-fleet-contract.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { waitFor } from "../support/poll.ts";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

leaseFleetContract("one sidecar without Redis", () => ({ members: [appMember("memory-only", t)] }));

describe("lease requests that are refused", () => {
  const parts = { operation: "lease_input", text: "bad lease input" };
  const post = async (path: string, json: unknown) => {
    const response = await t.request(path, { method: "POST", json });
    return { status: response.status, body: (await response.json()) as { error: string; field?: string } };
  };

  test("coalesce out of its bounds names the field (422)", async () => {
    for (const coalesce of [{ wait_ms: -1 }, { wait_ms: 60_001 }, { wait_ms: 10, lease_ttl_ms: 99 }, { wait_ms: 10, lease_ttl_ms: 600_001 }, {}, { wait_ms: "soon" }]) {
      const refused = await post("/cache/lookup", { ...parts, coalesce });
      expect(refused.status).toBe(422);
      expect(refused.body.field).toStartWith("coalesce");
    }
  });

  test("a lease token that this cache never makes is 422 on store, release and renew", async () => {
    const store = await post("/cache/store", { ...parts, response: 1, lease_token: "not-a-token" });
    expect(store).toMatchObject({ status: 422, body: { error: "validation_error", field: "lease_token" } });
    const key = (await post("/cache/lookup", parts)).body as unknown as { key: string };
    for (const path of ["/cache/lease/release", "/cache/lease/renew"]) {
      expect(await post(path, { key: key.key, lease_token: "zz" })).toMatchObject({ status: 422, body: { field: "lease_token" } });
    }
  });

  test("a well-formed token that holds nothing is a conflict (409); a key of the wrong shape is 422", async () => {
    const key = ((await post("/cache/lookup", parts)).body as unknown as { key: string }).key;
    const token = `m${"0".repeat(32)}`;
    expect(await post("/cache/store", { ...parts, response: 1, lease_token: token })).toMatchObject({ status: 409, body: { error: "lease_conflict" } });
    expect(await post("/cache/lease/release", { key, lease_token: token })).toMatchObject({ status: 409, body: { error: "lease_conflict" } });
    expect(await post("/cache/lease/renew", { key, lease_token: token })).toMatchObject({ status: 409 });
    // A Redis token on a sidecar without Redis can hold nothing either.
    expect(await post("/cache/store", { ...parts, response: 1, lease_token: `r${"0".repeat(32)}` })).toMatchObject({ status: 409 });
    expect(await post("/cache/lease/renew", { key, lease_token: `r${"0".repeat(32)}` })).toMatchObject({ status: 409 });
    expect(await post("/cache/lease/release", { key: "not:a:key", lease_token: token })).toMatchObject({ status: 422, body: { field: "key" } });
    expect(await post("/cache/lease/release", { lease_token: token })).toMatchObject({ status: 422, body: { field: "key" } });
  });

  test("with API keys configured, the lease routes need one", async () => {
    const guarded = await buildTestApp({ apiKeys: [PRIMARY_KEY] });
    try {
      for (const path of ["/cache/lease/release", "/cache/lease/renew"]) {
        const response = await guarded.request(path, { method: "POST", json: { key: "k", lease_token: "t" } });
        expect(response.status).toBe(401);
      }
    } finally {
      await guarded.close();
    }
  });
});

describe("Redis configured but down: leases hold within the sidecar", () => {
  let redis: RedisServer;
  let app: TestApp;
  beforeAll(async () => {
    redis = await startRedis();
    app = await buildTestApp({ redisUrl: redis.url, redisCommandTimeoutMs: 300, redisConnectTimeoutMs: 1000, instanceId: "lease-down" });
    await waitFor(() => app.cache.redisStatus() === "connected", { what: "connected to Redis" });
    await redis.stop();
    await waitFor(() => app.cache.redisStatus() !== "connected", { what: "Redis seen down" });
  });
  afterAll(async () => {
    await app.close();
    await redis.stop();
  });

  test("concurrent misses get one lease (a memory one), and the others its answer", async () => {
    const parts = { operation: "lease_redis_down", text: "while Redis is down" };
    const calls = Array.from({ length: 5 }, () => app.request("/cache/lookup", { method: "POST", json: { ...parts, coalesce: { wait_ms: 20_000 } } }).then((r) => r.json()));
    const leader = await Promise.race(calls);
    expect(leader.lease.token).toStartWith("m");
    await waitFor(() => app.cache.coalescer.waiting === 4, { what: "four callers waiting" });
    const stored = await app.request("/cache/store", { method: "POST", json: { ...parts, response: "ok", lease_token: leader.lease.token } });
    expect(stored.status).toBe(201);
    expect((await stored.json()).tiers).toEqual(["memory"]);
    const all = await Promise.all(calls);
    expect(all.filter((a) => a.lease !== undefined).length).toBe(1);
    for (const a of all.filter((a) => a.lease === undefined)) expect(a).toMatchObject({ hit: true, response: "ok", collapsed: true });
  });

  test("a store under a Redis lease while Redis is down is 503 (the lease cannot be checked), and nothing is stored", async () => {
    const parts = { operation: "lease_down_store", text: "unverifiable" };
    const response = await app.request("/cache/store", { method: "POST", json: { ...parts, response: "maybe stale", lease_token: `r${"2".repeat(32)}` } });
    expect(response.status).toBe(503);
    expect((await response.json()).detail).toContain("cannot be checked");
    expect((await (await app.request("/cache/lookup", { method: "POST", json: parts })).json()).hit).toBe(false);
  });

  test("renewing a Redis lease while Redis is down is 503, not a silent success", async () => {
    const key = (await (await app.request("/cache/lookup", { method: "POST", json: { operation: "lease_down_renew", text: "x" } })).json()).key;
    const response = await app.request("/cache/lease/renew", { method: "POST", json: { key, lease_token: `r${"1".repeat(32)}` } });
    expect(response.status).toBe(503);
  });
});

describe("what collapsed lookups save", () => {
  test("the dashboard counts each lookup answered with another caller's value as an upstream call avoided", async () => {
    const avoided = async () => (await (await t.request("/dashboard/data")).json()).savings.upstream_calls_avoided as number;
    const before = await avoided();
    const parts = { operation: "lease_savings", text: "counted once each" };
    const calls = Array.from({ length: 3 }, () => t.request("/cache/lookup", { method: "POST", json: { ...parts, coalesce: { wait_ms: 20_000 } } }).then((r) => r.json()));
    const leader = await Promise.race(calls);
    await waitFor(() => t.cache.coalescer.waiting === 2, { what: "two callers waiting" });
    await t.request("/cache/store", { method: "POST", json: { ...parts, response: 1, lease_token: leader.lease.token } });
    await Promise.all(calls);
    expect(await avoided()).toBe(before + 2);
  });
});
