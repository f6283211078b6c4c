import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { serve, type RunningServer } from "../../src/server/serve.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { count5xx, runLoad } from "../support/load.ts";
import { freePort, startRedis, type RedisServer } from "../support/redis.ts";

const COMMAND_TIMEOUT_MS = 150;

let redis: RedisServer;
let t: TestApp;
let running: RunningServer;

beforeAll(async () => {
  redis = await startRedis();
  t = await buildTestApp({ redisUrl: redis.url, redisCommandTimeoutMs: COMMAND_TIMEOUT_MS, redisConnectTimeoutMs: 500, logLevel: "warn" });
  running = serve(t.app.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: 1 << 20, shutdownTimeoutMs: 2000, logger: t.logger });
});
afterAll(async () => {
  await running.shutdown();
  await t.close();
  await redis.stop();
});

const post = (path: string, body: unknown) =>
  new Request(`${running.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** Half lookups, half stores, over 500 distinct texts. */
const mixed = (i: number) =>
  i % 2 === 0 ? post("/cache/lookup", { operation: "summarize", text: `doc ${i % 500}` }) : post("/cache/store", { operation: "summarize", text: `doc ${i % 500}`, response: { i } });

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await condition()) return Date.now() - started;
    await Bun.sleep(20);
  }
  throw new Error(`not within ${timeoutMs} ms`);
}

describe("faults under load", () => {
  test("Redis killed under load: no data-plane 5xx, outage and recovery reported, stores reach Redis again", async () => {
    const statusOf = async () => (await (await fetch(`${running.url}/internal/cache/status`)).json()).redis.status as string;
    const readyOf = async () => (await (await fetch(`${running.url}/ready`)).json()).status as string;
    expect(await statusOf()).toBe("connected");
    const load = runLoad({ workers: 8, durationMs: 4500, maxRequests: 60_000, request: mixed });

    await Bun.sleep(700);
    await redis.stop(true);
    await waitFor(async () => (await statusOf()) === "unavailable", 2000);
    expect(await readyOf()).toBe("degraded");
    await Bun.sleep(1500);
    await redis.start();
    const reconnectedAfter = await waitFor(async () => (await statusOf()) === "connected", 5000);
    expect(reconnectedAfter).toBeLessThan(5000);
    expect(await readyOf()).toBe("ready");

    const result = await load;
    expect(result.sent).toBeGreaterThan(500);
    expect(count5xx(result)).toBe(0);
    expect(result.networkErrors).toBe(0);
    expect(result.incompleteBodies).toBe(0);

    const client = await redis.client();
    const stored = await (await fetch(post("/cache/store", { operation: "summarize", text: "after the outage", response: 1 }))).json();
    expect(stored.tiers).toEqual(["memory", "redis"]);
    expect(await client.exists(stored.key)).toBe(1);
  }, 20_000);

  test("Redis paused: every request is answered within the command timeout, none hangs", async () => {
    await waitFor(() => t.cache.redisStatus() === "connected", 5000);
    const admin = await redis.client();
    await admin.sendCommand(["CLIENT", "PAUSE", "3000", "ALL"]);
    const started = Date.now();
    const result = await runLoad({ workers: 4, durationMs: 1500, maxRequests: 2000, request: mixed });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(2800); // all of it happened while Redis was still paused
    expect(count5xx(result)).toBe(0);
    expect(result.networkErrors).toBe(0);
    // A request waits for at most one Redis command; the pause lasts 20 times longer.
    expect(result.slowestMs).toBeLessThan(2000);
    // After a few timeouts Redis is skipped, so the load is not held to one request per timeout
    // per worker (4 workers x 1.5 s / 150 ms = 40 requests at most without that).
    expect(result.sent).toBeGreaterThan(200);
    const during = await (await fetch(`${running.url}/internal/cache/status`)).json();
    expect(during.redis.last_error).toContain("timed out");
    await admin.sendCommand(["CLIENT", "UNPAUSE"]);
    // Once Redis answers again, stores reach it again.
    await waitFor(async () => (await (await fetch(post("/cache/store", { operation: "qa", text: "after pause", response: 1 }))).json()).tiers.includes("redis"), 5000);
  }, 20_000);
});

describe("graceful shutdown under load", () => {
  test("SIGTERM during load: every answered request is complete, the process exits 0", async () => {
    const port = await freePort();
    const child = Bun.spawn([process.execPath, "src/main.ts"], {
      env: { PATH: process.env.PATH ?? "", PORT: String(port), LOG_LEVEL: "warn", SHUTDOWN_TIMEOUT_MS: "5000" },
      stdout: "ignore",
      stderr: "inherit",
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => {
      try {
        return (await fetch(`${base}/health`)).status === 200;
      } catch {
        return false;
      }
    }, 10_000);
    let signalledAt = 0;
    const load = runLoad({
      workers: 8,
      durationMs: 3000,
      maxRequests: 50_000,
      request: (i) =>
        new Request(`${base}${i % 2 ? "/cache/store" : "/cache/lookup"}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ operation: "qa", text: `q ${i % 100}`, response: "a" }),
        }),
      stop: () => signalledAt > 0 && Date.now() - signalledAt > 500,
    });
    await Bun.sleep(800);
    signalledAt = Date.now();
    child.kill("SIGTERM");
    const result = await load;
    expect(await child.exited).toBe(0);
    expect(result.sent).toBeGreaterThan(100);
    // Answered requests are whole; the only failures are connections refused after the signal.
    expect(result.incompleteBodies).toBe(0);
    expect(count5xx(result)).toBe(0);
    const answered = [...result.statuses.values()].reduce((a, b) => a + b, 0);
    expect(answered + result.networkErrors).toBe(result.sent);
  }, 30_000);
});

describe("memory bound", () => {
  test("200,000 unique stores keep the memory tier within its byte bound and RSS flat", async () => {
    const bounded = await buildTestApp({ memoryMaxBytes: 8 * 1024 * 1024, memoryMaxEntries: 1_000_000, logLevel: "warn" });
    const response = { summary: "x".repeat(200) };
    const storeMany = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        await bounded.cache.store({ operation: "summarize", text: `unique document ${i}`, response });
        if (bounded.cache.memory.bytes > bounded.cache.memory.maxBytes) throw new Error(`byte bound exceeded after ${i} stores`);
      }
    };
    await storeMany(0, 50_000); // fills the tier and warms the heap
    Bun.gc(true);
    const rssWarm = process.memoryUsage.rss();
    await storeMany(50_000, 200_000);
    Bun.gc(true);
    const rssAfter = process.memoryUsage.rss();
    expect(bounded.cache.memory.bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(bounded.cache.memory.evictions).toBeGreaterThan(150_000);
    // Stated margin: 150,000 more entries (~90 MB if kept) may grow RSS by at most 32 MB.
    expect(rssAfter - rssWarm).toBeLessThan(32 * 1024 * 1024);
  }, 60_000);
});
