import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCluster } from "redis";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { appMember, leaseFleetContract, processMember } from "../support/lease-fleet-contract.ts";
import { leaseStoreContract, redisLeaseSubject, type LeaseStoreUnderTest } from "../support/lease-store-contract.ts";
import { waitFor } from "../support/poll.ts";
import { startCluster, type LocalDeployment } from "../support/redis-cluster.ts";
import { redisTierContract } from "../support/redis-tier-contract.ts";
import { startSidecar, type SidecarProcess } from "../support/sidecar.ts";

let cluster: LocalDeployment & { urls: string[] };
let a: SidecarProcess;
let b: SidecarProcess;
let c: SidecarProcess;
/** A fourth sidecar in this process, so the cluster code paths are also measured by coverage. */
let d: TestApp;

/** The contract's own cluster (its failure tests take it down), created alongside the first. */
let contractCluster: ReturnType<typeof startCluster>;

beforeAll(async () => {
  contractCluster = startCluster(3);
  contractCluster.catch(() => {}); // reported when the contract awaits it
  cluster = await startCluster(3);
  // Each sidecar is given a different seed node, as pods of one deployment might be.
  [a, b, c] = (await Promise.all(
    ["a", "b", "c"].map((id, i) => startSidecar({ REDIS_CLUSTER_NODES: cluster.urls[i]!, INSTANCE_ID: `cluster-${id}` })),
  )) as [SidecarProcess, SidecarProcess, SidecarProcess];
  d = await buildTestApp({ redisClusterNodes: cluster.urls, instanceId: "cluster-d" });
  // A sidecar answers /health before it reaches Redis; the tests need every one connected.
  for (const sidecar of [a, b, c]) await waitFor(async () => (await sidecar.get("/internal/cache/status")).redis.status === "connected", { what: "sidecar connected to the cluster" });
  await waitFor(() => d.cache.coherence.stats?.state === "listening", { what: "in-process sidecar listening for coherence" });
}, 60_000);
afterAll(async () => {
  await d?.close();
  expect(await Promise.all([a, b, c].map((sidecar) => sidecar?.stop()))).toEqual([0, 0, 0]);
  await cluster?.stop();
  // Stopped by the contract already, unless its tests were filtered out; stopping twice is harmless.
  await (await contractCluster?.catch(() => null))?.stop();
});

let leaseSubject: LeaseStoreUnderTest;
beforeAll(async () => {
  leaseSubject = await redisLeaseSubject(d.cache);
});
leaseStoreContract("Redis Cluster (keys spread over the masters)", () => leaseSubject);

leaseFleetContract("three sidecar processes and an in-process one on a 3-master Cluster", () => ({
  members: [processMember("a", a.url), processMember("b", b.url), processMember("c", c.url), appMember("d", d)],
}));

describe("three sidecars on a 3-master Redis Cluster", () => {
  test("stores via A are Redis hits via B, whichever slot they land in", async () => {
    for (let i = 0; i < 30; i++) await a.post("/cache/store", { operation: "summarize", text: `doc ${i}`, response: i });
    for (let i = 0; i < 30; i++) expect(await b.post("/cache/lookup", { operation: "summarize", text: `doc ${i}` })).toMatchObject({ hit: true, tier: "redis", response: i });
  });

  test("status reports every node of the cluster", async () => {
    expect((await (await d.request("/internal/cache/status")).json()).redis.nodes).toHaveLength(3);
    const status = (await a.get("/internal/cache/status")).redis;
    expect(status.status).toBe("connected");
    expect(status.topology).toBe("cluster");
    expect(status.nodes).toHaveLength(3);
    for (const node of status.nodes) expect(node).toMatchObject({ role: "master", status: "connected" });
    expect(status.keys).toBe(status.nodes.reduce((sum: number, node: { keys: number }) => sum + node.keys, 0));
  });

  test("invalidation scans every master, removes exactly the matching keys and no foreign ones", async () => {
    const admin = createCluster({ rootNodes: [{ url: cluster.urls[0]! }] });
    await admin.connect();
    try {
      const foreign = ["foreign:1", "foreign:2", "other:ai_cache:op:summarize", "x{slot}y"];
      for (const key of foreign) await admin.set(key, "keep");
      // Start from no cache keys at all, whatever other tests stored.
      await b.post("/internal/cache/invalidate");
      for (let i = 0; i < 20; i++) expect((await a.post("/cache/store", { operation: "translate", text: `t ${i}`, response: i })).tiers).toContain("redis");
      for (let i = 0; i < 10; i++) expect((await a.post("/cache/store", { operation: "summarize", text: `s ${i}`, response: i })).tiers).toContain("redis");
      // Spread over the masters, as the slots dictate.
      const perNode = await Promise.all(admin.masters.map(async (master) => (await (await admin.nodeClient(master)).keys("ai_cache:*")).length));
      expect(perNode.filter((keys) => keys > 0).length).toBe(3);
      expect(perNode.reduce((sum, keys) => sum + keys, 0)).toBe(30);

      const viaD = await (await d.request("/internal/cache/invalidate?pattern=op:translate|*", { method: "POST" })).json();
      expect(viaD).toMatchObject({ redis: "ok", redis_keys_removed: 20 });
      expect((await b.post("/internal/cache/invalidate")).redis_keys_removed).toBe(10);
      for (const key of foreign) expect(await admin.get(key)).toBe("keep");
      for (const master of admin.masters) expect(await (await admin.nodeClient(master)).keys("ai_cache:*")).toEqual([]);
    } finally {
      await admin.close();
    }
  });
});

redisTierContract("cluster", async () => {
  const deployment = await contractCluster;
  return {
    // Two tiers seeded through different nodes, as two pods might be.
    targets: [
      { kind: "cluster", urls: [deployment.urls[0]!] },
      { kind: "cluster", urls: [deployment.urls[1]!] },
    ],
    dataPorts: deployment.dataPorts,
    stopData: () => deployment.stopData(),
    startData: () => deployment.startData(),
    pauseData: () => deployment.pauseData(),
    resumeData: () => deployment.resumeData(),
    close: () => deployment.stop(),
  };
});
