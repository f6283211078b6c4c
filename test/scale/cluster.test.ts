import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCluster } from "redis";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { startCluster, type LocalDeployment } from "../support/redis-cluster.ts";
import { startSidecar, within, type SidecarProcess } from "../support/sidecar.ts";

let cluster: LocalDeployment & { urls: string[] };
let a: SidecarProcess;
let b: SidecarProcess;
let c: SidecarProcess;
/** A fourth sidecar in this process, so the cluster code paths are also measured by coverage. */
let d: TestApp;

beforeAll(async () => {
  cluster = await startCluster(3);
  // Each sidecar is given a different seed node, as pods of one deployment might be.
  [a, b, c] = (await Promise.all(
    ["a", "b", "c"].map((id, i) => startSidecar({ REDIS_CLUSTER_NODES: cluster.urls[i]!, INSTANCE_ID: `cluster-${id}` })),
  )) as [SidecarProcess, SidecarProcess, SidecarProcess];
  d = await buildTestApp({ redisClusterNodes: cluster.urls, instanceId: "cluster-d" });
  await d.cache.coherence!.subscribed;
}, 30_000);
afterAll(async () => {
  await d?.close();
  expect(await Promise.all([a, b, c].map((sidecar) => sidecar?.stop()))).toEqual([0, 0, 0]);
  await cluster?.stop();
});

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
      for (const key of ["foreign:1", "foreign:2", "other:ai_cache:op:summarize", "x{slot}y"]) await admin.set(key, "keep");
      for (let i = 0; i < 20; i++) await a.post("/cache/store", { operation: "translate", text: `t ${i}`, response: i });
      // Spread over the masters, as the slots dictate.
      const perNode = await Promise.all(admin.masters.map(async (master) => (await admin.nodeClient(master)).dbSize()));
      expect(perNode.filter((keys) => keys > 0).length).toBe(3);

      const viaD = await (await d.request("/internal/cache/invalidate?pattern=op:translate|*", { method: "POST" })).json();
      expect(viaD).toMatchObject({ redis: "ok", redis_keys_removed: 20 });
      expect((await b.post("/internal/cache/invalidate")).redis_keys_removed).toBe(30);
      for (const key of ["foreign:1", "foreign:2", "other:ai_cache:op:summarize", "x{slot}y"]) expect(await admin.get(key)).toBe("keep");
    } finally {
      await admin.close();
    }
  });

  test("an invalidation via B drops A's and C's memory copies within 100 ms", async () => {
    const request = { operation: "qa", text: "clustered", question: "why?" };
    await a.post("/cache/store", { ...request, response: "yes" });
    for (const sidecar of [a, c]) {
      await within(2000, async () => (await sidecar.post("/cache/lookup", request)).tier === "memory");
    }
    await b.post("/internal/cache/invalidate?pattern=op:qa|*");
    for (const sidecar of [a, c]) await within(100, async () => !(await sidecar.post("/cache/lookup", request)).hit);
  });
});
