/**
 * The caching proxy over several sidecars on one Redis: a miss on one sidecar makes one
 * upstream call for the whole fleet; identical requests on the other sidecars wait for its
 * answer (PROXY_COALESCE_WAIT_MS) instead of paying for their own.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { serve, type RunningServer } from "../../src/http/serve.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { startMockLlm, type MockLlm } from "../support/mock-llm.ts";
import { waitFor } from "../support/poll.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { startSidecar, type SidecarProcess } from "../support/sidecar.ts";
import { CHAT, cacheStatus, chatBody, credentials, metric, post, readAll, readUntil, samples } from "../proxy/wire.ts";

const TENANT_SECRET = "fleet-tenant-secret";
let redis: RedisServer;
let mock: MockLlm;
let a: SidecarProcess;
let b: SidecarProcess;
/** In-process and served on a port, so coverage sees the proxy's lease paths. */
let c: TestApp;
let cServer: RunningServer;
let urls: string[];

beforeAll(async () => {
  redis = await startRedis();
  mock = await startMockLlm();
  const env = { REDIS_URL: redis.url, PROXY_OPENAI_URL: mock.openaiBaseUrl, PROXY_ANTHROPIC_URL: mock.anthropicBaseUrl, PROXY_TENANT_SECRET: TENANT_SECRET, CACHE_LEASE_TTL_MS: "60000" };
  [a, b] = (await Promise.all([startSidecar({ ...env, INSTANCE_ID: "proxy-a" }), startSidecar({ ...env, INSTANCE_ID: "proxy-b" })])) as [SidecarProcess, SidecarProcess];
  c = await buildTestApp({
    redisUrl: redis.url,
    proxyOpenaiUrl: mock.openaiBaseUrl,
    proxyAnthropicUrl: mock.anthropicBaseUrl,
    proxyTenantSecret: TENANT_SECRET,
    leaseTtlMs: 60_000,
    instanceId: "proxy-c",
  });
  cServer = serve(c.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: c.config.maxBodyBytes, shutdownTimeoutMs: 2000, logger: c.logger });
  urls = [a.url, b.url, cServer.url];
  for (const sidecar of [a, b]) await waitFor(async () => (await sidecar.get("/internal/cache/status")).redis.status === "connected", { what: "sidecar connected to Redis" });
  await waitFor(() => c.cache.coherence.stats?.state === "listening", { what: "in-process sidecar listening" });
}, 60_000);
afterAll(async () => {
  await cServer?.shutdown();
  await c?.close();
  expect(await Promise.all([a, b].map((sidecar) => sidecar?.stop()))).toEqual([0, 0]);
  await mock?.stop();
  await redis?.stop();
});

const coalesceOutcomes = async (url: string): Promise<Record<string, number>> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Object.fromEntries(samples(text, "ai_cache_coalesce_outcomes_total").map((sample) => [sample.labels.outcome!, sample.value]));
};
const waiting = async (): Promise<number> => {
  let total = 0;
  for (const url of urls) total += metric(await (await fetch(`${url}/metrics`)).text(), "ai_cache_coalesce_waiting");
  return total;
};

describe("one upstream call per herd, across sidecars", () => {
  test("12 identical non-streamed requests over three sidecars: one upstream call, 12 identical answers", async () => {
    const before = mock.count("/chat/completions");
    const body = chatBody("fleet: twelve identical questions");
    // The first call is slow upstream, so every other request arrives while it is out.
    const headers = { ...credentials(CHAT), "x-mock-latency-ms": "600" };
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => post(urls[i % 3]!, CHAT, body, headers)));
    const texts = await Promise.all(responses.map((response) => response.text()));
    for (const response of responses) expect(response.status).toBe(200);
    expect(new Set(texts).size).toBe(1);
    expect(mock.count("/chat/completions") - before).toBe(1);
    const statuses = responses.map((response) => response.headers.get("cache-status") ?? "");
    expect(statuses.filter((status) => status.endsWith("; stored")).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((status) => status.includes("collapsed")).length).toBe(11);
    // A follower on another sidecar was told its answer came from the cache, collapsed.
    expect(statuses.some((status) => status === "ai-response-cache; hit; collapsed")).toBe(true);
  });

  test("6 identical streamed requests over three sidecars: one upstream call; each stream is whole and the same", async () => {
    const before = mock.count("/chat/completions");
    const body = chatBody("fleet: six identical streams", { stream: true });
    const headers = { ...credentials(CHAT), "x-mock-latency-ms": "600" };
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => post(urls[i % 3]!, CHAT, body, headers)));
    const texts = await Promise.all(responses.map(async (response) => (await readAll(response.body!.getReader())).text));
    for (const text of texts) expect(text).toEndWith("data: [DONE]\n\n");
    expect(new Set(texts).size).toBe(1);
    expect(mock.count("/chat/completions") - before).toBe(1);
  });

  test("a streamed answer reaches identical requests on other sidecars live, while the leader is still receiving it", async () => {
    const before = mock.count("/chat/completions");
    const body = chatBody("fleet: one stream, followed live elsewhere", { stream: true });
    // About 16 events, 150 ms apart: the whole answer takes over two seconds upstream.
    const headers = { ...credentials(CHAT), "x-mock-chunk-delay-ms": "150" };
    const leader = await post(a.url, CHAT, body, headers);
    const leaderReader = leader.body!.getReader();
    const leaderFirst = await readUntil(leaderReader, (text) => text.includes("\n\n"));
    // The leader's answer is read to its end in the background, noting when it ended.
    const leaderDone = readAll(leaderReader, leaderFirst).then((result) => ({ ...result, at: performance.now() }));
    // The follower is the in-process sidecar, the leader a process: both sides are measured.
    const follower = await post(cServer.url, CHAT, body, headers);
    expect(cacheStatus(follower)).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; collapsed");
    const followerReader = follower.body!.getReader();
    const followerFirst = await readUntil(followerReader, (text) => text.includes("\n\n"));
    const followerFirstAt = performance.now();
    expect(followerFirst.startsWith(leaderFirst.slice(0, leaderFirst.indexOf("\n\n")))).toBe(true);
    const rest = await leaderDone;
    expect(rest.text).toEndWith("data: [DONE]\n\n");
    // Live: the follower had its first event before the leader's answer was complete.
    expect(followerFirstAt).toBeLessThan(rest.at);
    const followed = await readAll(followerReader, followerFirst);
    expect(followed.clean).toBe(true);
    expect(followed.text).toBe(rest.text);
    expect(mock.count("/chat/completions") - before).toBe(1);
  });

  test("a follower on another sidecar sees a broken upstream stream as broken, and nothing is stored", async () => {
    const body = chatBody("fleet: the followed stream drops", { stream: true });
    const headers = { ...credentials(CHAT), "x-mock-scenario": "stream-drop", "x-mock-chunk-delay-ms": "150" };
    // Here the in-process sidecar leads, so its writing of the log is measured too.
    const leader = await post(cServer.url, CHAT, body, headers);
    const leaderReader = leader.body!.getReader();
    await readUntil(leaderReader, (text) => text.includes("\n\n"));
    const follower = await post(b.url, CHAT, body, headers);
    expect(cacheStatus(follower)).toContain("collapsed");
    const followed = await readAll(follower.body!.getReader());
    expect(followed.clean).toBe(false);
    expect(followed.text).not.toContain("[DONE]");
    await readAll(leaderReader);
    const probe = await post(a.url, CHAT, body, { ...credentials(CHAT), "cache-control": "only-if-cached" });
    expect(probe.status).toBe(504);
  });

  test("an upstream error gives the lease up at once: a sidecar waiting for the answer makes its own call instead of waiting out the lease", async () => {
    const before = mock.count("/chat/completions");
    const bOutcomes = await coalesceOutcomes(b.url);
    const body = chatBody("fleet: the leader's call fails");
    const failing = post(a.url, CHAT, body, { ...credentials(CHAT), "x-mock-scenario": "error-500", "x-mock-latency-ms": "500" });
    await waitFor(async () => mock.count("/chat/completions") - before === 1, { what: "the leader's call upstream" });
    const follower = post(b.url, CHAT, body, credentials(CHAT));
    await waitFor(async () => (await waiting()) === 1, { what: "b waiting for a's answer" });
    expect((await failing).status).toBe(500);
    const answered = await follower;
    expect(answered.status).toBe(200);
    expect(answered.headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; stored");
    // b took the lease over (the lease itself lives 60 s): it did not wait its time out.
    const after = await coalesceOutcomes(b.url);
    expect(after.lease! - bOutcomes.lease!).toBe(1);
    expect(after.pending! - bOutcomes.pending!).toBe(0);
    expect(mock.count("/chat/completions") - before).toBe(2);
  });

  test("a whole answer that may not be stored (finish_reason length) leaves hit-for-miss: waiting sidecars call on their own at once", async () => {
    const before = mock.count("/chat/completions");
    const bOutcomes = await coalesceOutcomes(b.url);
    const body = chatBody("fleet: truncated answers");
    const truncated = post(a.url, CHAT, body, { ...credentials(CHAT), "x-mock-scenario": "length", "x-mock-latency-ms": "500" });
    await waitFor(async () => mock.count("/chat/completions") - before === 1, { what: "the leader's call upstream" });
    const follower = post(b.url, CHAT, body, { ...credentials(CHAT), "x-mock-scenario": "length" });
    await waitFor(async () => (await waiting()) === 1, { what: "b waiting for a's answer" });
    expect((await truncated).headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; detail=finish_length");
    expect((await follower).headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss; fwd-status=200; detail=finish_length");
    expect((await coalesceOutcomes(b.url)).alone! - bOutcomes.alone!).toBe(1);
    // Later identical requests do not queue either, while the mark lasts.
    const later = await post(cServer.url, CHAT, body, { ...credentials(CHAT), "x-mock-scenario": "length" });
    expect(later.status).toBe(200);
    expect(mock.count("/chat/completions") - before).toBe(3);
  });

  test("different credentials never wait on each other across sidecars", async () => {
    const before = mock.count("/chat/completions");
    const body = chatBody("fleet: two tenants");
    const [alice, bob] = await Promise.all([
      post(a.url, CHAT, body, { ...credentials(CHAT), "x-mock-latency-ms": "300" }),
      post(b.url, CHAT, body, { ...credentials(CHAT, "sk-valid-bob"), "x-mock-latency-ms": "300" }),
    ]);
    expect(alice.headers.get("x-cache-key")).not.toBe(bob.headers.get("x-cache-key"));
    expect(mock.count("/chat/completions") - before).toBe(2);
  });
});
