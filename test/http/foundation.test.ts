import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { createApp } from "../../src/http/app.ts";
import { livenessHandler } from "../../src/http/health/liveness.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ maxBodyBytes: 4096, maxTextBytes: 1024, maxResponseBytes: 2048 });
});
afterAll(() => t.close());

describe("health and readiness", () => {
  test("GET /health answers 200 while the process serves", async () => {
    const response = await t.request("/health");
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.status).toBe("ok");
    expect(typeof body.uptime_seconds).toBe("number");
  });

  test("the server's own /health (answered before the app is loaded) answers as the app's route does", async () => {
    const app = await t.request("/health");
    const own = livenessHandler("test", Date.now() - 1500)();
    expect(own.headers.get("content-type")).toBe(app.headers.get("content-type"));
    const [ownBody, appBody] = [await own.json(), await app.json()];
    expect(Object.keys(ownBody)).toEqual(Object.keys(appBody));
    expect(ownBody).toEqual({ status: "ok", version: "test", uptime_seconds: expect.any(Number) });
    expect(ownBody.uptime_seconds).toBeGreaterThanOrEqual(1.5);
  });

  test("GET /ready reports each tier (memory only here)", async () => {
    const body = await (await t.request("/ready")).json();
    expect(body).toEqual({ status: "ready", tiers: { memory: { status: "up", entries: 0 }, redis: { status: "disabled" } } });
  });
});

describe("OpenAPI and the docs UI", () => {
  test("GET /docs/json documents every route with its schemas", async () => {
    const response = await t.request("/docs/json");
    expect(response.status).toBe(200);
    const spec = await response.json();
    for (const path of ["/cache/lookup", "/cache/store", "/cache/entries/{key}", "/internal/cache/status", "/internal/cache/invalidate", "/internal/cache/invalidation-stats", "/internal/cache/invalidation-recommendations", "/internal/cache/metrics", "/health", "/ready", "/metrics"]) {
      expect(spec.paths[path]).toBeDefined();
    }
    const invalidate = spec.paths["/internal/cache/invalidate"].post;
    expect(invalidate.parameters.map((p: { name: string }) => p.name).sort()).toEqual(["dry_run", "namespace", "operation_context", "pattern", "soft", "tag"]);
    expect(JSON.stringify(spec.paths["/cache/lookup"].post.requestBody)).toContain("operation");
  });

  test("GET /docs references no external host and its script is served by us", async () => {
    const html = await (await t.request("/docs")).text();
    const urls = [...html.matchAll(/(?:src|href|data-url)=["']([^"']+)["']/g)].map((match) => match[1]!);
    expect(urls.length).toBeGreaterThan(0);
    // Only same-origin references: no scheme, no protocol-relative host.
    for (const url of urls) expect(url).not.toMatch(/^([a-z][a-z0-9+.-]*:)?\/\//i);
    expect(urls).toContain("/docs/scalar.js");
    expect(html).not.toMatch(/https?:\/\/(?!localhost)[a-z0-9.-]+\.[a-z]{2,}\//i);
    const script = await t.request("/docs/scalar.js", { headers: { "accept-encoding": "gzip" } });
    expect(script.status).toBe(200);
    expect(script.headers.get("content-encoding")).toBe("gzip");
    const plain = await t.request("/docs/scalar.js");
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect((await plain.text()).length).toBeGreaterThan(1_000_000);
  });
});

describe("errors share one JSON shape", () => {
  test("unknown route: 404", async () => {
    const response = await t.request("/nope");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "not_found", detail: "no route for GET /nope" });
  });

  test("malformed JSON: 400 saying so", async () => {
    const response = await t.request("/cache/lookup", { method: "POST", headers: { "content-type": "application/json" }, body: '{"operation":' });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error).toBe("malformed_json");
    expect(body.detail).toContain("not valid JSON");
  });

  test("empty body: 400", async () => {
    const response = await t.request("/cache/lookup", { method: "POST", headers: { "content-type": "application/json" }, body: "" });
    expect(response.status).toBe(400);
  });

  test("wrong content type: 415", async () => {
    const response = await t.request("/cache/lookup", { method: "POST", headers: { "content-type": "text/plain" }, body: '{"operation":"x","text":"y"}' });
    expect(response.status).toBe(415);
    expect((await response.json()).error).toBe("unsupported_media_type");
  });

  test("schema violation: 422 naming the field without echoing the input", async () => {
    const response = await t.request("/cache/lookup", { method: "POST", json: { operation: "summarize", text: 12345678 } });
    expect(response.status).toBe(422);
    const body = await response.json();
    expect(body.error).toBe("validation_error");
    expect(body.field).toBe("text");
    expect(JSON.stringify(body)).not.toContain("12345678");
  });

  test("a missing field: 422 naming it", async () => {
    const response = await t.request("/cache/store", { method: "POST", json: { operation: "summarize", text: "secret prompt" } });
    expect(response.status).toBe(422);
    const body = await response.json();
    expect(body.field).toBe("response");
    expect(JSON.stringify(body)).not.toContain("secret prompt");
  });

  test("unexpected failure: 500 with no stack trace", async () => {
    const app = new Elysia().use(createApp({ cache: t.cache, monitor: t.monitor, logger: t.logger, apiKeys: [], maxBodyBytes: 1000, instanceId: "x", version: "x" })).get("/boom", () => {
      throw new Error("internal detail at /secret/path.ts:12");
    });
    const response = await app.handle(new Request("http://localhost/boom"));
    expect(response.status).toBe(500);
    const body = await response.json();
    expect(body.error).toBe("internal_error");
    expect(JSON.stringify(body)).not.toContain("secret");
    expect(t.logger.lines.some((line) => line.includes("unhandled error"))).toBe(true);
  });
});
