import { afterAll, beforeAll, expect, test } from "bun:test";
import { createCluster } from "redis";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { waitFor } from "../support/poll.ts";
import { startCluster, type LocalDeployment } from "../support/redis-cluster.ts";
import { startSidecar } from "../support/sidecar.ts";
import { scanCalls, tagContract } from "../support/tags-contract.ts";

let cluster: LocalDeployment & { urls: string[] };
let a: TestApp;
let b: TestApp;
let client: ReturnType<typeof createCluster>;

beforeAll(async () => {
  cluster = await startCluster(3);
  [a, b] = await Promise.all([
    buildTestApp({ redisClusterNodes: [cluster.urls[0]!], instanceId: "tags-cluster-a" }),
    buildTestApp({ redisClusterNodes: [cluster.urls[1]!], instanceId: "tags-cluster-b" }),
  ]);
  client = createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) });
  client.on("error", () => {});
  await client.connect();
  for (const t of [a, b]) await waitFor(() => t.cache.coherence.stats?.state === "listening", { what: "sidecar listening for coherence" });
}, 60_000);
afterAll(async () => {
  await client?.close();
  await Promise.all([a?.close(), b?.close()]);
  await cluster?.stop();
});

// Entries of one tag sit in many slots; the tag's set in its own (its hash tag).
tagContract("a 3-master Redis Cluster, two sidecars", () => ({
  a,
  b,
  redis: {
    exists: async (key) => (await client.exists(key)) === 1,
    pttl: (key) => client.pTTL(key),
    async scans() {
      let total = 0;
      for (const master of client.masters) total += scanCalls(await (await client.nodeClient(master)).info("commandstats"));
      return total;
    },
  },
}));

test("two sidecar processes on the Cluster: a tag invalidated through one is gone from the other's memory tier", async () => {
  const [p, q] = await Promise.all([
    startSidecar({ REDIS_CLUSTER_NODES: cluster.urls[2]!, INSTANCE_ID: "tags-process-p" }),
    startSidecar({ REDIS_CLUSTER_NODES: cluster.urls[0]!, INSTANCE_ID: "tags-process-q" }),
  ]);
  try {
    for (const sidecar of [p, q]) await waitFor(async () => (await sidecar.get("/internal/cache/status")).redis.coherence?.state === "listening", { what: "sidecar listening" });
    const texts = Array.from({ length: 6 }, (_, i) => `process tag ${i}`);
    for (const text of texts) await p.post("/cache/store", { operation: "summarize", text, response: text, tags: ["release:7"] });
    await p.post("/cache/store", { operation: "summarize", text: "process untagged", response: 0 });
    for (const text of [...texts, "process untagged"]) await waitFor(async () => (await q.post("/cache/lookup", { operation: "summarize", text })).tier === "memory", { what: "a memory copy in Q" });
    expect(await p.post("/internal/cache/invalidate?tag=release:7")).toMatchObject({ keys_removed: 6, redis_keys_removed: 6, memory_keys_removed: 6, redis: "ok" });
    for (const text of texts) await waitFor(async () => (await q.post("/cache/lookup", { operation: "summarize", text })).hit === false, { what: "Q's copy gone" });
    expect(await q.post("/cache/lookup", { operation: "summarize", text: "process untagged" })).toMatchObject({ hit: true, tier: "memory" });
  } finally {
    expect(await Promise.all([p.stop(), q.stop()])).toEqual([0, 0]);
  }
}, 60_000);
