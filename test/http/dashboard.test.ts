import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { join } from "node:path";
import { DashboardData } from "../../src/http/dashboard/model.ts";
import { buildTestApp, PRIMARY_KEY, type TestApp } from "../support/app.ts";
import { ALICE, startProxy, type ProxyHarness } from "../support/proxy.ts";

const headers = { "x-api-key": PRIMARY_KEY };
const ROOT = join(import.meta.dir, "../..");

async function data(t: TestApp, init: RequestInit = { headers }): Promise<DashboardData> {
  const response = await t.request("/dashboard/data", init);
  expect(response.status).toBe(200);
  const body = await response.json();
  // The answer is exactly the documented shape.
  expect(Value.Errors(DashboardData, body).First()).toBeUndefined();
  return body as DashboardData;
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

describe("GET /dashboard/data", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ apiKeys: [PRIMARY_KEY] });
  });
  afterEach(() => t.close());

  test("with keys configured it needs one: none or a wrong one is 401, never echoing the key", async () => {
    const attempts: Record<string, string>[] = [{}, { "x-api-key": "wrong-key" }, { authorization: "Bearer wrong-key" }];
    for (const sent of attempts) {
      const response = await t.request("/dashboard/data", { headers: sent });
      expect(response.status).toBe(401);
      const body = await response.json();
      expect(body.error).toBe("unauthorized");
      expect(JSON.stringify(body)).not.toContain("wrong-key");
    }
    expect((await t.request("/dashboard/data", { headers: { authorization: `Bearer ${PRIMARY_KEY}` } })).status).toBe(200);
  });

  test("counts what the traffic did: lookups by tier, the series, top operations and calls avoided", async () => {
    const before = await data(t);
    expect(before.lookups).toEqual({ memory_hits: 0, redis_hits: 0, misses: 0, hit_rate: null });
    expect(before.operations).toEqual([]);
    expect(before.series.time.length).toBe(60);
    expect(before.series.hit_rate.every((value) => value === null)).toBe(true);

    for (const text of ["a", "b", "c"]) {
      await t.request("/cache/lookup", { method: "POST", headers, json: { operation: "summarize", text } });
      await t.request("/cache/store", { method: "POST", headers, json: { operation: "summarize", text, response: text } });
    }
    for (let i = 0; i < 5; i++) await t.request("/cache/lookup", { method: "POST", headers, json: { operation: "summarize", text: "a" } });
    await t.request("/cache/lookup", { method: "POST", headers, json: { operation: "qa", text: "q" } });

    const after = await data(t);
    expect(after.lookups).toEqual({ memory_hits: 5, redis_hits: 0, misses: 4, hit_rate: 55.56 });
    expect(after.operations).toEqual([
      { operation: "summarize", lookups: 8, memory_hits: 5, redis_hits: 0, misses: 3, hit_rate: 62.5, stores: 3 },
      { operation: "qa", lookups: 1, memory_hits: 0, redis_hits: 0, misses: 1, hit_rate: 0, stores: 0 },
    ]);
    // The slices add up to the window's totals, and the newest slice holds the traffic.
    expect(sum(after.series.memory_hits)).toBe(5);
    expect(sum(after.series.misses)).toBe(4);
    const times = after.series.time;
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeCloseTo(60, 6);
    expect(after.window).toEqual({ retention_hours: 1, slice_seconds: 60 });
    const newest = after.series.lookup_p50.findLastIndex((value) => value !== null);
    expect(newest).toBeGreaterThanOrEqual(58);
    expect(after.series.lookup_p50[newest]!).toBeGreaterThan(0);
    expect(after.series.lookup_p99[newest]!).toBeGreaterThanOrEqual(after.series.lookup_p50[newest]!);
    expect(after.series.store_p50.some((value) => value !== null)).toBe(true);
    expect(sum(after.series.requests_per_second)).toBeGreaterThan(0);
    expect(after.savings.upstream_calls_avoided).toBe(5);
    expect(after.memory).toMatchObject({ status: "normal", entries: 3, limit: 10_000 });
    expect(after.redis).toEqual({ status: "disabled", configured: false });
  });

  test("invalidations per minute, the alert level and the recommendations", async () => {
    for (let i = 0; i < 3; i++) await t.request("/internal/cache/invalidate?pattern=op:gone", { method: "POST", headers });
    const body = await data(t);
    expect(body.invalidations.time.length).toBe(60);
    expect(body.invalidations.count.at(-1)).toBe(3);
    expect(sum(body.invalidations.count)).toBe(3);
    expect(body.invalidations).toMatchObject({ last_hour: 3, total: 3, alert_level: "normal" });
    expect(body.invalidations.recommendations.map((finding) => finding.issue).sort()).toEqual(["Dominant invalidation pattern", "Low invalidation efficiency"]);
  });

  test("with the proxy off there is no proxy section, and without prices no money", async () => {
    const off = await buildTestApp({ proxyEnabled: false });
    try {
      const body = await data(off, {});
      expect(body.proxy).toBeNull();
      expect(body.savings).toEqual({ upstream_calls_avoided: 0, input_tokens: 0, output_tokens: 0, dollars: null, by_model: [] });
    } finally {
      await off.close();
    }
  });

  test("with monitoring disabled it still answers, saying so, with empty series", async () => {
    const off = await buildTestApp({ monitoringEnabled: false });
    try {
      await off.request("/cache/lookup", { method: "POST", json: { operation: "qa", text: "x" } });
      const body = await data(off, {});
      expect(body.monitoring).toBe(false);
      expect(sum(body.series.misses)).toBe(0);
    } finally {
      await off.close();
    }
  });
});

describe("what the proxy saved", () => {
  let proxy: ProxyHarness;
  beforeAll(async () => {
    proxy = await startProxy({ modelPrices: { "gpt-4o-mini": { input: 0.15, output: 0.6 } }, proxySampledRequests: "bypass" });
  });
  afterAll(() => proxy.close());

  test("tokens served from the cache per model, in dollars where priced, and endpoints and models by traffic", async () => {
    const openai = proxy.openai(ALICE);
    const saved = { input: 0, output: 0 };
    for (const model of ["gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", "gpt-4o", "gpt-4o"]) {
      const { response } = await openai.chat.completions.create({ model, temperature: 0, messages: [{ role: "user", content: "hi" }] }).withResponse();
      const header = response.headers.get("x-cache-saved-tokens");
      if (model === "gpt-4o-mini" && header !== null) {
        const [, input, output] = /input=(\d+), output=(\d+)/.exec(header)!;
        saved.input += Number(input);
        saved.output += Number(output);
      }
    }
    expect(saved.input).toBeGreaterThan(0);
    // Sampled above temperature 0 with PROXY_SAMPLED_REQUESTS=bypass: sent upstream, the cache unused.
    await openai.chat.completions.create({ model: "gpt-4o", temperature: 0.7, messages: [{ role: "user", content: "hi" }] });
    const body = await data(proxy.t, {});
    const mini = body.savings.by_model.find((row) => row.model === "gpt-4o-mini")!;
    expect(mini).toMatchObject({ model: "gpt-4o-mini", input_tokens: saved.input, output_tokens: saved.output });
    expect(mini.dollars!).toBeCloseTo((saved.input * 0.15 + saved.output * 0.6) / 1e6, 12);
    // gpt-4o has no price: its tokens count, its money is unknown.
    expect(body.savings.by_model.find((row) => row.model === "gpt-4o")!.dollars).toBeNull();
    expect(body.savings.dollars!).toBeCloseTo(mini.dollars!, 12);
    expect(body.proxy!.endpoints).toEqual([{ endpoint: "openai.chat.completions", requests: 6, hits: 3, misses: 2, bypass: 1, hit_rate: 50 }]);
    expect(body.proxy!.models).toEqual([
      { model: "gpt-4o", requests: 3, hits: 1, hit_rate: 33.33 },
      { model: "gpt-4o-mini", requests: 3, hits: 2, hit_rate: 66.67 },
    ]);
    expect(body.operations[0]).toMatchObject({ operation: "openai.chat.completions", lookups: 5, memory_hits: 3, misses: 2, stores: 2 });
    expect(body.savings.upstream_calls_avoided).toBe(3);
    expect(body.savings.input_tokens).toBe(sum(body.savings.by_model.map((row) => row.input_tokens)));
  });
});

describe("the page and its assets", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ apiKeys: [PRIMARY_KEY] });
  });
  afterAll(() => t.close());

  test("GET /dashboard is open, gzip-compressed for browsers, and limited to the sidecar by its policy", async () => {
    const zipped = await t.request("/dashboard", { headers: { "accept-encoding": "gzip, deflate, br" } });
    expect(zipped.status).toBe(200);
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    const plain = await t.request("/dashboard");
    expect(plain.headers.get("content-encoding")).toBeNull();
    const html = await plain.text();
    expect(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await zipped.arrayBuffer())))).toBe(html);
    expect(plain.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(plain.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(plain.headers.get("content-security-policy")).toContain("default-src 'none'");
    // Every reference is relative to the sidecar: no scheme, no host.
    const urls = [...html.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map((match) => match[1]!);
    expect(urls.sort()).toEqual(["dashboard/uplot.css", "dashboard/uplot.js", "data:,"]);
  });

  test("uPlot is served from the binary, and the embedded copies match the pinned package", async () => {
    for (const [path, source] of [
      ["/dashboard/uplot.js", "node_modules/uplot/dist/uPlot.iife.min.js"],
      ["/dashboard/uplot.css", "node_modules/uplot/dist/uPlot.min.css"],
    ] as const) {
      const served = await t.request(path);
      expect(served.status).toBe(200);
      expect(await served.text()).toBe(await Bun.file(join(ROOT, source)).text());
      expect((await t.request(path, { headers: { "accept-encoding": "gzip" } })).headers.get("content-encoding")).toBe("gzip");
    }
    expect(await Bun.file(join(ROOT, "node_modules/uplot/package.json")).json()).toMatchObject({ version: "1.6.32" });
    // The vendoring script finds nothing to change.
    const check = Bun.spawnSync([process.execPath, "scripts/vendor-uplot.ts", "--check"], { cwd: ROOT, stderr: "pipe" });
    expect([check.exitCode, check.stderr.toString()]).toEqual([0, ""]);
  });

  test("the OpenAPI document describes /dashboard/data with the DashboardData schema, and hides the page", async () => {
    const spec = await (await t.request("/docs/json")).json();
    const get = spec.paths["/dashboard/data"].get;
    expect(get.tags).toEqual(["Dashboard"]);
    // The DashboardData schema, written inline as the document writes every answer's schema.
    expect(get.operationId).toBe("getDashboardData");
    const schema = get.responses["200"].content["application/json"].schema;
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(DashboardData.properties).sort());
    expect(Object.keys(schema.properties.series.properties)).toContain("lookup_p99");
    expect(get.responses["401"]).toBeDefined();
    expect(spec.paths["/dashboard"]).toBeUndefined();
    expect(spec.paths["/dashboard/uplot.js"]).toBeUndefined();
  });
});
