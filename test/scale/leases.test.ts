import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { appMember, leaseFleetContract, processMember } from "../support/lease-fleet-contract.ts";
import { waitFor } from "../support/poll.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { startSidecar, type SidecarProcess } from "../support/sidecar.ts";

let redis: RedisServer;
let a: SidecarProcess;
let b: SidecarProcess;
/** In-process, so coverage sees the Redis lease paths. */
let c: TestApp;
/** Two more with coherence off: their followers learn of the store by polling alone. */
let quietA: SidecarProcess;
let quietB: SidecarProcess;

beforeAll(async () => {
  redis = await startRedis();
  [a, b, quietA, quietB] = (await Promise.all([
    startSidecar({ REDIS_URL: redis.url, INSTANCE_ID: "lease-a" }),
    startSidecar({ REDIS_URL: redis.url, INSTANCE_ID: "lease-b" }),
    startSidecar({ REDIS_URL: redis.url, INSTANCE_ID: "lease-quiet-a", CACHE_COHERENCE: "false", CACHE_KEY_PREFIX: "quiet" }),
    startSidecar({ REDIS_URL: redis.url, INSTANCE_ID: "lease-quiet-b", CACHE_COHERENCE: "false", CACHE_KEY_PREFIX: "quiet" }),
  ])) as [SidecarProcess, SidecarProcess, SidecarProcess, SidecarProcess];
  c = await buildTestApp({ redisUrl: redis.url, instanceId: "lease-c" });
  for (const sidecar of [a, b, quietA, quietB]) await waitFor(async () => (await sidecar.get("/internal/cache/status")).redis.status === "connected", { what: "sidecar connected to Redis" });
  await waitFor(() => c.cache.coherence.stats?.state === "listening", { what: "in-process sidecar listening" });
}, 60_000);
afterAll(async () => {
  await c?.close();
  expect(await Promise.all([a, b, quietA, quietB].map((sidecar) => sidecar?.stop()))).toEqual([0, 0, 0, 0]);
  await redis?.stop();
});

leaseFleetContract("two sidecar processes and an in-process one on one Redis", () => ({ members: [processMember("a", a.url), processMember("b", b.url), appMember("c", c)] }));
leaseFleetContract("two sidecars with coherence off (polling alone wakes the followers)", () => ({ members: [processMember("quiet-a", quietA.url), processMember("quiet-b", quietB.url)] }));

describe("leases in Redis", () => {
  test("the lease lives under the key's own hash tag and is gone once the value is stored", async () => {
    const parts = { operation: "lease_layout", text: "where the lease lives" };
    const lookup = await c.request("/cache/lookup", { method: "POST", json: { ...parts, coalesce: { wait_ms: 0, lease_ttl_ms: 5000 } } });
    const { key, lease } = await lookup.json();
    const leaseKey = `ai_cache:lease:{${key}}`;
    const client = c.cache.redis;
    expect(c.cache.keys.leaseKey(key)).toBe(leaseKey);
    const held = await client.getWithTtl(leaseKey);
    expect(held?.value.toString()).toBe(lease.token);
    expect(held!.ttlMs).toBeGreaterThan(0);
    expect(held!.ttlMs).toBeLessThanOrEqual(5000);
    expect((await c.request("/cache/store", { method: "POST", json: { ...parts, response: 1, lease_token: lease.token } })).status).toBe(201);
    expect(await client.get(leaseKey)).toBeNull();
  });

  test("a value this sidecar cannot read ends the wait at once: the caller goes on alone, without a lease", async () => {
    const parts = { operation: "lease_unreadable", text: "foreign bytes" };
    const { key } = await (await c.request("/cache/lookup", { method: "POST", json: parts })).json();
    // Our layout's version byte, but cut short: neither a value of ours nor plain JSON.
    await c.cache.redis.set(key, Buffer.from([1, 2, 3]), 60_000);
    const answer = await (await c.request("/cache/lookup", { method: "POST", json: { ...parts, coalesce: { wait_ms: 20_000 } } })).json();
    expect(answer).toEqual({ hit: false, key });
  });

  test("a leader's store through another sidecar is checked against the same lease", async () => {
    const parts = { operation: "lease_cross_store", text: "granted on a, stored on b" };
    const leader = await (await fetch(`${a.url}/cache/lookup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...parts, coalesce: { wait_ms: 0 } }) })).json();
    const stored = await fetch(`${b.url}/cache/store`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...parts, response: "from b", lease_token: leader.lease.token }) });
    expect(stored.status).toBe(201);
    const again = await fetch(`${b.url}/cache/store`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...parts, response: "twice", lease_token: leader.lease.token }) });
    expect(again.status).toBe(409);
  });
});
