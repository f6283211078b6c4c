import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCluster } from "redis";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { startCluster, type LocalDeployment } from "../support/redis-cluster.ts";
import { within } from "../support/sidecar.ts";

let cluster: LocalDeployment & { urls: string[] };
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  cluster = await startCluster(3);
  a = await buildTestApp({ redisClusterNodes: [cluster.urls[0]!], instanceId: "cluster-a" });
  b = await buildTestApp({ redisClusterNodes: [cluster.urls[1]!], instanceId: "cluster-b" });
  await Promise.all([a.cache.coherence!.subscribed, b.cache.coherence!.subscribed]);
}, 30_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await cluster?.stop();
});

const post = (app: TestApp, path: string, json?: unknown) => app.request(path, { method: "POST", ...(json === undefined ? {} : { json }) }).then((r) => r.json());

describe("a 3-master Redis Cluster", () => {
  test("stores via A are Redis hits via B, whichever slot they land in", async () => {
    for (let i = 0; i < 30; i++) await post(a, "/cache/store", { operation: "summarize", text: `doc ${i}`, response: i });
    for (let i = 0; i < 30; i++) expect(await post(b, "/cache/lookup", { operation: "summarize", text: `doc ${i}` })).toMatchObject({ hit: true, tier: "redis", response: i });
  });

  test("status reports every node of the cluster", async () => {
    const status = (await (await a.request("/internal/cache/status")).json()).redis;
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
      for (let i = 0; i < 20; i++) await post(a, "/cache/store", { operation: "translate", text: `t ${i}`, response: i });
      // Spread over the masters, as the slots dictate.
      const perNode = await Promise.all(admin.masters.map(async (master) => (await admin.nodeClient(master)).dbSize()));
      expect(perNode.filter((keys) => keys > 0).length).toBe(3);

      const body = await post(b, "/internal/cache/invalidate?pattern=op:translate|*");
      expect(body).toMatchObject({ redis: "ok", redis_keys_removed: 20 });
      const rest = await post(b, "/internal/cache/invalidate");
      expect(rest.redis_keys_removed).toBe(30);
      for (const key of ["foreign:1", "foreign:2", "other:ai_cache:op:summarize", "x{slot}y"]) expect(await admin.get(key)).toBe("keep");
    } finally {
      await admin.close();
    }
  });

  test("an invalidation via B drops A's memory copy within 100 ms", async () => {
    const request = { operation: "qa", text: "clustered", question: "why?" };
    await post(a, "/cache/store", { ...request, response: "yes" });
    expect((await post(a, "/cache/lookup", request)).tier).toBe("memory");
    await post(b, "/internal/cache/invalidate?pattern=op:qa|*");
    await within(100, async () => !(await post(a, "/cache/lookup", request)).hit);
  });
});
