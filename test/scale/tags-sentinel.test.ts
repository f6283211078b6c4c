import { afterAll, beforeAll } from "bun:test";
import { createClient } from "redis";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { waitFor } from "../support/poll.ts";
import { startSentinel, type LocalDeployment } from "../support/redis-cluster.ts";
import { serverProbe, tagContract } from "../support/tags-contract.ts";

let deployment: LocalDeployment & { masterPort: number; sentinelPort: number };
let a: TestApp;
let b: TestApp;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  deployment = await startSentinel("sentinel-secret");
  const through = { redisSentinelNodes: [{ host: "127.0.0.1", port: deployment.sentinelPort }], redisSentinelMaster: "mymaster", redisPassword: "sentinel-secret" };
  [a, b] = await Promise.all([buildTestApp({ ...through, instanceId: "tags-sentinel-a" }), buildTestApp({ ...through, instanceId: "tags-sentinel-b" })]);
  for (const t of [a, b]) await waitFor(() => t.cache.redisStatus() === "connected" && t.cache.coherence.stats?.state === "listening", { what: "master found and coherence listening" });
  client = createClient({ url: `redis://:sentinel-secret@127.0.0.1:${deployment.masterPort}` });
  client.on("error", () => {});
  await client.connect();
}, 60_000);
afterAll(async () => {
  client?.destroy();
  await Promise.all([a?.close(), b?.close()]);
  await deployment?.stop();
});

tagContract("Redis behind Sentinel, two sidecars", () => ({
  a,
  b,
  redis: serverProbe(client),
}));
