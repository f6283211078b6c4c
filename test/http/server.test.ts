import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { HttpMetrics } from "../../src/http/prometheus/http-metrics.ts";
import { serve, type ServeOptions } from "../../src/http/serve.ts";
import { requestContext } from "../../src/logging/context.ts";
import { buildTestApp, PRIMARY_KEY } from "../support/app.ts";
import { createMemoryLogger } from "../support/logger.ts";
import { waitFor } from "../support/poll.ts";

/** A loopback server on a free port, for the tests of runtime routes (the rest of the options given). */
const serveObserved = (handler: Parameters<typeof serve>[0], options: Pick<ServeOptions, "logger" | "httpMetrics" | "routes" | "plainRoutes">) =>
  serve(handler, { host: "127.0.0.1", port: 0, maxBodyBytes: 1024, shutdownTimeoutMs: 2000, ...options });

describe("serving over a real port", () => {
  test("the app answers over TCP and logs one line per request", async () => {
    const logger = createMemoryLogger("info");
    const t = await buildTestApp({ apiKeys: [PRIMARY_KEY] }, logger);
    const running = serve(t.app.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: 8192, shutdownTimeoutMs: 2000, logger });
    try {
      const response = await fetch(`${running.url}/cache/lookup?x=1`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${PRIMARY_KEY}` },
        body: JSON.stringify({ operation: "summarize", text: "over tcp" }),
      });
      expect(response.status).toBe(200);
      const denied = await fetch(`${running.url}/internal/cache/invalidate`, { method: "POST", headers: { "x-api-key": "not-the-key-123" } });
      expect(denied.status).toBe(401);
      const requests = logger.records().filter((record) => record.msg === "request");
      expect(requests.map((r) => [r.method, r.path, r.status])).toEqual([
        ["POST", "/cache/lookup", 200],
        ["POST", "/internal/cache/invalidate", 401],
      ]);
      expect(typeof requests[0]!.duration_ms).toBe("number");
      expect(requests[0]!.path).toBe("/cache/lookup"); // the path, without the query
    } finally {
      await running.shutdown();
      await t.close();
    }
  });

  test("a runtime route is answered before the handler, with the same id, log line and metrics; other methods fall through", async () => {
    const logger = createMemoryLogger("debug");
    const httpMetrics = new HttpMetrics();
    const running = serveObserved(() => Response.json({ from: "handler" }, { status: 404 }), {
      logger,
      httpMetrics,
      routes: { "/health": { GET: () => Response.json({ from: "route" }) } },
    });
    try {
      const routed = await fetch(`${running.url}/health?probe=1`, { headers: { "x-request-id": "probe-1" } });
      expect([routed.status, await routed.json(), routed.headers.get("x-request-id")]).toEqual([200, { from: "route" }, "probe-1"]);
      const fallen = await fetch(`${running.url}/health`, { method: "POST" });
      expect([fallen.status, await fallen.json()]).toEqual([404, { from: "handler" }]);
      expect(fallen.headers.get("x-request-id")).not.toBeNull();
      const requests = logger.records().filter((record) => record.msg === "request");
      expect(requests.map((r) => [r.level, r.method, r.path, r.status])).toEqual([
        ["debug", "GET", "/health", 200],
        ["debug", "POST", "/health", 404],
      ]);
      expect(httpMetrics.snapshot().map((series) => [series.route, series.method, series.statuses])).toEqual([
        ["/health", "GET", [[200, 1]]],
        ["/health", "POST", [[404, 1]]],
      ]);
    } finally {
      await running.shutdown();
    }
  });

  test("a plain route gets the same id, log line and metrics, but runs outside the log context", async () => {
    const logger = createMemoryLogger("debug");
    const httpMetrics = new HttpMetrics();
    const context = () => Response.json({ context: requestContext.getStore() ?? null });
    const running = serveObserved(() => new Response("handler", { status: 404 }), {
      logger,
      httpMetrics,
      routes: { "/ready": { GET: context } },
      plainRoutes: { "/health": { GET: context } },
    });
    try {
      const plain = await fetch(`${running.url}/health`, { headers: { "x-request-id": "probe-2" } });
      expect([plain.status, await plain.json(), plain.headers.get("x-request-id")]).toEqual([200, { context: null }, "probe-2"]);
      const routed = await fetch(`${running.url}/ready`, { headers: { "x-request-id": "ready-2" } });
      expect(await routed.json()).toEqual({ context: { request_id: "ready-2" } });
      expect((await fetch(`${running.url}/health`, { method: "POST" })).status).toBe(404);
      const requests = logger.records().filter((record) => record.msg === "request");
      expect(requests.map((r) => [r.request_id, r.method, r.path, r.status])).toEqual([
        ["probe-2", "GET", "/health", 200],
        ["ready-2", "GET", "/ready", 200],
        [expect.any(String), "POST", "/health", 404],
      ]);
      expect(httpMetrics.snapshot().map((series) => [series.route, series.method, series.statuses])).toEqual([
        ["/health", "GET", [[200, 1]]],
        ["/health", "POST", [[404, 1]]],
        ["/ready", "GET", [[200, 1]]],
      ]);
    } finally {
      await running.shutdown();
    }
  });

  test("a body larger than the limit without Content-Length is refused", async () => {
    const t = await buildTestApp({ maxBodyBytes: 2048, maxTextBytes: 1024, maxResponseBytes: 1024 });
    const running = serve(t.app.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: 2048, shutdownTimeoutMs: 2000, logger: t.logger });
    try {
      const chunks = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`{"operation":"x","text":"${"a".repeat(200_000)}"}`));
          controller.close();
        },
      });
      const response = await fetch(`${running.url}/cache/lookup`, { method: "POST", headers: { "content-type": "application/json" }, body: chunks });
      expect(response.status).toBe(413);
    } finally {
      await running.shutdown();
      await t.close();
    }
  });

  test("shutdown lets an in-flight request finish and refuses new connections", async () => {
    const logger = createMemoryLogger("warn");
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const app = new Elysia().get("/slow", async () => {
      await gate;
      return { done: true };
    });
    const running = serve(app.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: 1024, shutdownTimeoutMs: 30_000, logger });
    const inFlight = fetch(`${running.url}/slow`);
    await waitFor(() => running.inFlight() === 1, { what: "the request in flight" });
    const stopped = running.shutdown();
    // New connections are refused: connecting throws (an accepted connection would not).
    await waitFor(
      async () => {
        try {
          (await Bun.connect({ hostname: "127.0.0.1", port: running.port, socket: { data() {} } })).end();
          return false;
        } catch {
          return true;
        }
      },
      { what: "new connections refused" },
    );
    expect(running.inFlight()).toBe(1); // while the first request is still being answered
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    expect(await stopped).toEqual({ drained: true });
  });

  test("a handler that throws outside the application still gets a JSON 500", async () => {
    const logger = createMemoryLogger("error");
    const running = serve(
      () => {
        throw new Error("escaped the framework");
      },
      { host: "127.0.0.1", port: 0, maxBodyBytes: 1024, shutdownTimeoutMs: 1000, logger },
    );
    try {
      const response = await fetch(`${running.url}/anything`);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: "internal_error", detail: "an unexpected error occurred" });
      expect(logger.lines.join("")).toContain("escaped the framework");
    } finally {
      await running.shutdown();
    }
  });

  test("shutdown gives up on requests that outlive the bound", async () => {
    const logger = createMemoryLogger("warn");
    const app = new Elysia().get("/stuck", () => new Promise(() => {}));
    const running = serve(app.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: 1024, shutdownTimeoutMs: 100, logger });
    fetch(`${running.url}/stuck`).catch(() => {});
    await waitFor(() => running.inFlight() === 1, { what: "the request in flight" });
    expect(await running.shutdown()).toEqual({ drained: false });
    expect(logger.lines.join("")).toContain("shutdown timeout");
  });
});
