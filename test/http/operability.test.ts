import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HttpMetrics, routeTemplate } from "../../src/http/prometheus/http-metrics.ts";
import { serve, type RunningServer } from "../../src/http/serve.ts";
import { buildTestApp, PRIMARY_KEY, type TestApp } from "../support/app.ts";
import { createMemoryLogger } from "../support/logger.ts";

/** The sidecar as main.ts serves it: the app behind serve(), with the HTTP series wired. */
let t: TestApp;
let running: RunningServer;
const logger = createMemoryLogger("debug");
const json = { "content-type": "application/json", "x-api-key": PRIMARY_KEY };
beforeAll(async () => {
  t = await buildTestApp({ apiKeys: [PRIMARY_KEY] }, logger);
  running = serve(t.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: 8192, shutdownTimeoutMs: 2000, logger, httpMetrics: t.httpMetrics, routes: t.hot });
});
afterAll(async () => {
  await running.shutdown();
  await t.close();
});

const requestLines = () => logger.records().filter((record) => record.msg === "request");

describe("request ids and trace context", () => {
  test("a sent X-Request-Id is echoed and logged with the traceparent", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const response = await fetch(`${running.url}/cache/lookup`, {
      method: "POST",
      headers: { ...json, "x-request-id": "req-abc-123", traceparent },
      body: JSON.stringify({ operation: "summarize", text: "ids" }),
    });
    expect(response.headers.get("x-request-id")).toBe("req-abc-123");
    const line = requestLines().find((record) => record.request_id === "req-abc-123");
    expect(line).toMatchObject({ level: "info", method: "POST", path: "/cache/lookup", status: 200, traceparent });
  });

  test("without one (or with an unusable one) an id is generated, different for each request", async () => {
    const first = (await fetch(`${running.url}/health`)).headers.get("x-request-id");
    const second = (await fetch(`${running.url}/health`, { headers: { "x-request-id": "x".repeat(129) } })).headers.get("x-request-id");
    const third = (await fetch(`${running.url}/health`, { headers: { "x-request-id": "has space" } })).headers.get("x-request-id");
    expect(first).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    expect(second).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    expect(new Set([first, second, third]).size).toBe(3);
    expect(third).not.toBe("has space");
    // An unusable traceparent is left out rather than copied into the log.
    await fetch(`${running.url}/ready`, { headers: { traceparent: "t".repeat(200), "x-request-id": "long-trace" } });
    expect(requestLines().find((record) => record.request_id === "long-trace")!.traceparent).toBeUndefined();
  });

  test("every line logged while answering a request carries its id, across awaits", async () => {
    const lines = createMemoryLogger("info");
    const server = serve(
      async () => {
        await Bun.sleep(1);
        lines.warn("something happened inside", { step: 1 });
        return new Response("ok");
      },
      { host: "127.0.0.1", port: 0, maxBodyBytes: 1024, shutdownTimeoutMs: 1000, logger: lines },
    );
    try {
      await Promise.all(["one", "two"].map((id) => fetch(`${server.url}/anything`, { headers: { "x-request-id": id } })));
      const inside = lines.records().filter((record) => record.msg === "something happened inside");
      expect(inside.map((record) => record.request_id).sort()).toEqual(["one", "two"]);
      // Lines outside any request have no id.
      lines.info("outside");
      expect(lines.records().at(-1)!.request_id).toBeUndefined();
    } finally {
      await server.shutdown();
    }
  });
});

describe("access log levels", () => {
  test("probes and scrapes are logged at debug, the data plane at info", async () => {
    for (const path of ["/health", "/ready", "/metrics"]) await fetch(`${running.url}${path}`, { headers: { "x-request-id": `probe${path}` } });
    for (const path of ["/health", "/ready", "/metrics"]) expect(requestLines().find((record) => record.request_id === `probe${path}`)!.level).toBe("debug");
    const quiet = createMemoryLogger("info");
    const server = serve(t.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: 1024, shutdownTimeoutMs: 1000, logger: quiet });
    try {
      await fetch(`${server.url}/health`);
      await fetch(`${server.url}/metrics`);
      await fetch(`${server.url}/internal/cache/status`);
      expect(quiet.records().filter((record) => record.msg === "request").map((record) => record.path)).toEqual(["/internal/cache/status"]);
    } finally {
      await server.shutdown();
    }
  });
});

describe("Cache-Status and Age on the data plane", () => {
  test("miss, store, hit with Age, entry read and a missing entry", async () => {
    const request = { operation: "summarize", text: `status ${crypto.randomUUID()}` };
    const miss = await fetch(`${running.url}/cache/lookup`, { method: "POST", headers: json, body: JSON.stringify(request) });
    expect(miss.headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss");
    const absentKey = ((await miss.json()) as { key: string }).key;
    expect(miss.headers.get("age")).toBeNull();
    const stored = await fetch(`${running.url}/cache/store`, { method: "POST", headers: json, body: JSON.stringify({ ...request, response: "r" }) });
    expect(stored.headers.get("cache-status")).toBe("ai-response-cache; stored");
    const { key } = (await stored.json()) as { key: string };
    const hit = await fetch(`${running.url}/cache/lookup`, { method: "POST", headers: json, body: JSON.stringify(request) });
    expect(hit.headers.get("cache-status")).toBe("ai-response-cache; hit");
    expect(hit.headers.get("x-cache")).toBe("HIT");
    const age = Number(hit.headers.get("age"));
    const body = (await hit.json()) as { age_seconds: number };
    expect(age).toBe(Math.floor(body.age_seconds));
    const entry = await fetch(`${running.url}/cache/entries/${encodeURIComponent(key)}`, { headers: json });
    expect(entry.headers.get("cache-status")).toBe("ai-response-cache; hit");
    await fetch(`${running.url}/cache/entries/${encodeURIComponent(key)}`, { method: "DELETE", headers: json });
    const missing = await fetch(`${running.url}/cache/entries/${encodeURIComponent(absentKey)}`, { headers: json });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss");
  });
});

describe("/metrics", () => {
  test("HTTP series by route template, method and status, with a duration histogram", async () => {
    const { key } = (await (await fetch(`${running.url}/cache/lookup`, { method: "POST", headers: json, body: JSON.stringify({ operation: "metrics", text: crypto.randomUUID() }) })).json()) as { key: string };
    expect((await fetch(`${running.url}/cache/entries/${encodeURIComponent(key)}`, { headers: json })).status).toBe(404);
    await fetch(`${running.url}/no/such/route/${crypto.randomUUID()}`);
    await fetch(`${running.url}/cache/lookup`, { method: "POST", headers: json, body: "{" });
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(text).toContain("# TYPE ai_cache_http_requests_total counter");
    expect(text).toMatch(/ai_cache_http_requests_total\{instance_id="test",route="\/cache\/entries\/\{key\}",method="GET",status="404"\} [1-9]/);
    expect(text).toMatch(/ai_cache_http_requests_total\{instance_id="test",route="unmatched",method="GET",status="404"\} [1-9]/);
    expect(text).toMatch(/ai_cache_http_requests_total\{instance_id="test",route="\/cache\/lookup",method="POST",status="400"\} 1/);
    expect(text).not.toContain("/no/such/route");
    const count = Number(text.match(/ai_cache_http_request_duration_seconds_count\{instance_id="test",route="\/cache\/lookup",method="POST"\} (\d+)/)![1]);
    const inf = Number(text.match(/ai_cache_http_request_duration_seconds_bucket\{instance_id="test",route="\/cache\/lookup",method="POST",le="\+Inf"\} (\d+)/)![1]);
    expect(count).toBeGreaterThan(1);
    expect(inf).toBe(count);
  });

  test("process series: CPU seconds, resident memory, start time", async () => {
    const text = await (await fetch(`${running.url}/metrics`)).text();
    const value = (name: string) => Number(text.match(new RegExp(`^${name}\\{instance_id="test"\\} (\\S+)$`, "m"))![1]);
    expect(value("process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(value("process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    const start = value("process_start_time_seconds");
    expect(start).toBeLessThanOrEqual(Date.now() / 1000);
    expect(start).toBeGreaterThan(Date.now() / 1000 - 3600);
  });

  test("route templates stay a bounded set", () => {
    expect(routeTemplate("/cache/lookup")).toBe("/cache/lookup");
    expect(routeTemplate("/docs/")).toBe("/docs");
    expect(routeTemplate("/v1/chat/completions")).toBe("/v1/*");
    expect(routeTemplate("/anthropic/v1/messages")).toBe("/anthropic/*");
    expect(routeTemplate("/upstreams/groq/chat/completions")).toBe("/upstreams/*");
    expect(routeTemplate("/random")).toBe("unmatched");
    const metrics = new HttpMetrics();
    metrics.record("BREW", "/random", 404, 0.5);
    metrics.record("GET", "/health", 200, 1000);
    const [brew, health] = metrics.snapshot();
    expect(brew).toMatchObject({ route: "unmatched", method: "OTHER", statuses: [[404, 1]], count: 1, sum: 0.5 });
    // Above the last bound: counted in +Inf only.
    expect(health!.cumulative.at(-1)).toBe(0);
    expect(health!.count).toBe(1);
  });
});
