import { afterAll, beforeAll } from "bun:test";
import { createCluster } from "redis";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { waitFor } from "../support/poll.ts";
import { startCluster, type LocalDeployment } from "../support/redis-cluster.ts";
import { tagContract } from "../support/tags-contract.ts";

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
      for (const master of client.masters) total += Number(/cmdstat_scan:calls=(\d+)/.exec(await (await client.nodeClient(master)).info("commandstats"))?.[1] ?? 0);
      return total;
    },
  },
}));
