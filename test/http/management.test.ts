import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { createApp } from "../../src/http/app.ts";
import {
  CachePerformanceResponse,
  CacheStatusResponse,
  InvalidateResponse,
  InvalidationStatsResponse,
  RecommendationsResponse,
} from "../../src/http/management/model.ts";
import { PerformanceMonitor } from "../../src/monitor/monitor.ts";
import { ADDITIONAL_KEY, buildTestApp, PRIMARY_KEY, type TestApp } from "../support/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ apiKeys: [PRIMARY_KEY, ADDITIONAL_KEY] });
});
afterAll(() => t.close());

const credentials = {
  none: {},
  wrongBearer: { authorization: "Bearer wrong-key" },
  wrongHeader: { "x-api-key": "wrong-key" },
  primaryBearer: { authorization: `Bearer ${PRIMARY_KEY}` },
  primaryHeader: { "x-api-key": PRIMARY_KEY },
  additionalBearer: { authorization: `Bearer ${ADDITIONAL_KEY}` },
  additionalHeader: { "x-api-key": ADDITIONAL_KEY },
} as const;

const endpoints = [
  { method: "GET", path: "/internal/cache/status", mode: "optional", schema: CacheStatusResponse },
  { method: "POST", path: "/internal/cache/invalidate?pattern=nothing-matches", mode: "required", schema: InvalidateResponse },
  { method: "GET", path: "/internal/cache/invalidation-stats", mode: "optional", schema: InvalidationStatsResponse },
  { method: "GET", path: "/internal/cache/invalidation-recommendations", mode: "optional", schema: RecommendationsResponse },
  { method: "GET", path: "/internal/cache/metrics", mode: "optional", schema: CachePerformanceResponse },
] as const;

describe("auth matrix", () => {
  for (const endpoint of endpoints) {
    for (const [name, headers] of Object.entries(credentials)) {
      const expected = name.startsWith("wrong") ? 401 : name === "none" ? (endpoint.mode === "required" ? 401 : 200) : 200;
      test(`${endpoint.method} ${endpoint.path.split("?")[0]} with ${name}: ${expected}`, async () => {
        const response = await t.request(endpoint.path, { method: endpoint.method, headers });
        expect(response.status).toBe(expected);
        const body = await response.json();
        if (expected === 200) expect(Value.Errors(endpoint.schema, body).First()).toBeUndefined();
        else expect(body.error).toBe("unauthorized");
        expect(JSON.stringify(body)).not.toContain("wrong-key");
      });
    }
  }
});

describe("documented shapes", () => {
  const headers = credentials.primaryBearer;
  /** Each test gets an app of its own, so what it counts is only what it did. */
  let fresh: TestApp;
  beforeEach(async () => {
    fresh = await buildTestApp({ apiKeys: [PRIMARY_KEY, ADDITIONAL_KEY] });
  });
  afterEach(() => fresh.close());

  test("status has redis, memory and performance with real values", async () => {
    await fresh.request("/cache/store", { method: "POST", headers, json: { operation: "summarize", text: "s", response: "r" } });
    await fresh.request("/cache/lookup", { method: "POST", headers, json: { operation: "summarize", text: "s" } });
    const body = await (await fresh.request("/internal/cache/status")).json();
    expect(body.redis).toEqual({ status: "disabled", configured: false });
    expect(body.memory).toMatchObject({ status: "normal", entries: 1, limit: 10_000 });
    expect(body.performance.status).toBe("optimal");
    expect(body.performance.hit_rate).toBe(100);
  });

  test("invalidate answers the documented message and counts what it removed", async () => {
    for (const text of ["a", "b", "c"]) await fresh.request("/cache/store", { method: "POST", headers, json: { operation: "translate", text, response: text } });
    await fresh.request("/cache/store", { method: "POST", headers, json: { operation: "summarize", text: "a", response: "kept" } });
    const response = await fresh.request("/internal/cache/invalidate?pattern=op:translate|*&operation_context=test-suite", { method: "POST", headers });
    const body = await response.json();
    expect(body.message).toBe("Cache invalidated for pattern: op:translate|*");
    expect(body.keys_removed).toBe(3);
    expect(body.redis).toBe("disabled");
    expect((await (await fresh.request("/cache/lookup", { method: "POST", headers, json: { operation: "translate", text: "a" } })).json()).hit).toBe(false);
    expect((await (await fresh.request("/cache/lookup", { method: "POST", headers, json: { operation: "summarize", text: "a" } })).json()).hit).toBe(true);
    const stats = await (await fresh.request("/internal/cache/invalidation-stats")).json();
    expect(stats.total_keys_invalidated).toBe(3);
    expect(stats.patterns.most_common_patterns["op:translate|*"]).toBe(1);
  });

  test("an empty pattern invalidates everything", async () => {
    for (const operation of ["qa", "summarize", "translate"]) await fresh.request("/cache/store", { method: "POST", headers, json: { operation, text: "q", response: 1 } });
    expect(fresh.cache.memory.size).toBe(3);
    const body = await (await fresh.request("/internal/cache/invalidate", { method: "POST", headers })).json();
    expect(body.message).toBe("Cache invalidated for pattern: ");
    expect(body.keys_removed).toBe(3);
    expect(fresh.cache.memory.size).toBe(0);
  });

  test("bad patterns and contexts are refused with 422 and remove nothing", async () => {
    await fresh.request("/cache/store", { method: "POST", headers, json: { operation: "qa", text: "keep", response: 1 } });
    for (const query of [`pattern=${"x".repeat(300)}`, "pattern=a%5Bb", "pattern=a%0Ab", `operation_context=${"c".repeat(200)}`, "operation_context=%01"]) {
      const response = await fresh.request(`/internal/cache/invalidate?${query}`, { method: "POST", headers });
      expect(response.status).toBe(422);
      expect((await response.json()).error).toBe("validation_error");
    }
    expect(fresh.cache.memory.size).toBe(1);
    expect((await (await fresh.request("/internal/cache/invalidation-stats")).json()).total_invalidations).toBe(0);
  });

  test("recommendations are strings, with details", async () => {
    // Sixty invalidations in a row are frequent enough for a recommendation.
    for (let i = 0; i < 60; i++) await fresh.request(`/internal/cache/invalidate?pattern=p${i % 2}`, { method: "POST", headers });
    const body = await (await fresh.request("/internal/cache/invalidation-recommendations")).json();
    expect(body.recommendations.length).toBeGreaterThan(0);
    for (const item of body.recommendations) expect(typeof item).toBe("string");
    expect(body.details.length).toBe(body.recommendations.length);
  });

  test("metrics validate against CachePerformanceResponse and include every section", async () => {
    await fresh.request("/cache/store", { method: "POST", headers, json: { operation: "qa", text: "m", response: 1 } });
    await fresh.request("/cache/lookup", { method: "POST", headers, json: { operation: "qa", text: "m" } });
    await fresh.request("/internal/cache/invalidate?pattern=nothing", { method: "POST", headers });
    await fresh.request("/internal/cache/status"); // samples memory
    const body = await (await fresh.request("/internal/cache/metrics")).json();
    expect(Value.Errors(CachePerformanceResponse, body).First()).toBeUndefined();
    expect(body.retention_hours).toBe(1);
    for (const section of ["key_generation", "cache_operations", "memory_usage", "invalidation"]) expect(body[section]).toBeDefined();
    expect(body.cache_operations.by_operation_type.get.count).toBe(1);
  });

  test("GET /metrics is Prometheus text with an instance label", async () => {
    await fresh.request("/cache/store", { method: "POST", headers, json: { operation: "qa", text: "p", response: 1 } });
    await fresh.request("/cache/lookup", { method: "POST", headers, json: { operation: "qa", text: "p" } });
    await fresh.request("/cache/lookup", { method: "POST", headers, json: { operation: "qa", text: "absent" } });
    const response = await fresh.request("/metrics");
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await response.text();
    expect(text).toContain('ai_cache_hits_total{instance_id="test",tier="memory"} 1');
    expect(text).toContain('ai_cache_operation_duration_seconds_bucket{instance_id="test",operation="get",le="+Inf"} 2');
    for (const line of text.trim().split("\n")) {
      expect(line).toMatch(/^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+)$/);
    }
    // Buckets are cumulative and end at the count.
    const buckets = [...text.matchAll(/operation="get",le="[^"]+"\} (\d+)/g)].map((m) => Number(m[1]));
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!).toBeGreaterThanOrEqual(buckets[i - 1]!);
    const count = Number(/ai_cache_operation_duration_seconds_count\{instance_id="test",operation="get"\} (\d+)/.exec(text)![1]);
    expect(buckets.at(-1)).toBe(count);
    expect(count).toBe(2);
  });
});

describe("answers built from the monitor's measurements", () => {
  const MB = 1024 ** 2;
  let base: TestApp;
  let now: number;
  let monitor: PerformanceMonitor;
  let app: ReturnType<typeof createApp>;
  /** The management endpoints read a monitor on a test clock, fed directly: every figure is known. */
  beforeEach(async () => {
    base = await buildTestApp();
    now = 10 * 3_600_000;
    monitor = new PerformanceMonitor({ enabled: true, retentionHours: 1, now: () => now });
    app = createApp({ cache: base.cache, monitor, logger: base.logger, apiKeys: [], maxBodyBytes: 1024, instanceId: "x", version: "x" });
  });
  afterEach(() => base.close());
  const get = async (path: string) => (await app.handle(new Request(`http://localhost${path}`))).json();

  test("metrics: hit rate, sections, rounding and memory in MB", async () => {
    // One slow key generation (0.2 s) and one slow lookup (0.06 s), a miss.
    for (const [ns, length] of [[2_000, 100], [3_000, 101], [200_000_000, 101]] as const) monitor.recordKeyGeneration(ns, length);
    for (const [ns, tier] of [[10_000, "memory"], [500_000, "redis"], [60_000_000, null]] as const) monitor.recordOperation("get", ns, tier);
    monitor.recordOperation("set", 30_000);
    // Compressed to a third, then to three quarters.
    for (const [original, compressed] of [[3_000, 1_000], [4_000, 3_000]]) monitor.recordCompression(original!, compressed!, 40_000);
    monitor.recordMemoryUsage({ memoryTierBytes: 40 * MB, memoryTierEntries: 100, processRssBytes: 200 * MB });
    now += 30 * 60_000;
    monitor.recordMemoryUsage({ memoryTierBytes: 60 * MB, memoryTierEntries: 300, processRssBytes: 210 * MB });
    const before = Date.now();
    const body = await get("/internal/cache/metrics");
    expect(Value.Errors(CachePerformanceResponse, body).First()).toBeUndefined();
    expect(Date.parse(body.timestamp)).toBeGreaterThanOrEqual(before - 1);
    expect(body.timestamp).toBe(new Date(Date.parse(body.timestamp)).toISOString());
    expect(body).toMatchObject({ retention_hours: 1, cache_hit_rate: 66.67, total_cache_operations: 3, cache_hits: 2, cache_misses: 1 });
    // Text lengths average 100.67: 1 decimal.
    expect(body.key_generation).toMatchObject({ total_operations: 3, slow_operations: 1, avg_text_length: 100.7, max_text_length: 101 });
    expect(body.key_generation.max_duration).toBeCloseTo(0.2, 12);
    expect(body.key_generation.avg_duration).toBeCloseTo(0.200005 / 3, 12);
    expect(body.cache_operations).toMatchObject({ total_operations: 4, slow_operations: 1 });
    expect(body.cache_operations.max_duration).toBeCloseTo(0.06, 9);
    expect(Object.keys(body.cache_operations.by_operation_type)).toEqual(["get", "set"]);
    expect(body.cache_operations.by_operation_type.get.count).toBe(3);
    expect(body.cache_operations.by_operation_type.set.count).toBe(1);
    // Ratios to 4 decimals, the savings percent to 2.
    expect(body.compression).toMatchObject({
      total_operations: 2,
      avg_compression_ratio: 0.5417,
      best_compression_ratio: 0.3333,
      worst_compression_ratio: 0.75,
      total_bytes_processed: 7_000,
      total_bytes_saved: 3_000,
      overall_savings_percent: 42.86,
    });
    const median = body.compression.median_compression_ratio;
    expect(Math.abs(median - 1 / 3) / (1 / 3)).toBeLessThanOrEqual(0.01);
    expect(Math.round(median * 1e4) / 1e4).toBe(median);
    expect(body.compression.avg_compression_time).toBeCloseTo(0.00004, 12);
    expect(body.compression.max_compression_time).toBeCloseTo(0.00004, 12);
    expect(body.memory_usage).toEqual({
      current: {
        total_cache_size_mb: 60,
        memory_cache_size_mb: 60,
        memory_cache_entries: 300,
        avg_entry_size_bytes: Math.round((60 * MB) / 300),
        process_memory_mb: 210,
        utilization_percent: 120,
        warning_threshold_reached: true,
      },
      thresholds: { warning_threshold_mb: 50, critical_threshold_mb: 100, warning_threshold_reached: true, critical_threshold_reached: false },
      trends: { measurements: 2, avg_memory_mb: 50, max_memory_mb: 60, avg_entry_count: 200, max_entry_count: 300, growth_rate_mb_per_hour: 40 },
    });
    expect(body.invalidation).toEqual({
      no_invalidations: true,
      total_invalidations: 0,
      total_keys_invalidated: 0,
      warning_threshold_per_hour: 50,
      critical_threshold_per_hour: 100,
    });
  });

  test("metrics: sections without data are left out", async () => {
    const body = await get("/internal/cache/metrics");
    expect(Value.Errors(CachePerformanceResponse, body).First()).toBeUndefined();
    expect(Object.keys(body)).toEqual(["timestamp", "retention_hours", "cache_hit_rate", "total_cache_operations", "cache_hits", "cache_misses", "memory_usage", "invalidation"]);
    expect(body.cache_hit_rate).toBe(0);
    expect(body.memory_usage).toEqual({ no_measurements: true, thresholds: { warning_threshold_mb: 50, critical_threshold_mb: 100 } });
  });

  test("invalidation stats and recommendations", async () => {
    expect(await get("/internal/cache/invalidation-stats")).toEqual({
      no_invalidations: true,
      total_invalidations: 0,
      total_keys_invalidated: 0,
      warning_threshold_per_hour: 50,
      critical_threshold_per_hour: 100,
    });
    expect(await get("/internal/cache/invalidation-recommendations")).toEqual({ recommendations: [], details: [] });
    for (let i = 0; i < 4; i++) monitor.recordInvalidation("user:*", 1, 1_000_000, "test");
    monitor.recordInvalidation("api:*", 2, 4_000_000, "test");
    monitor.recordInvalidation("x", 0, 1_000_000, "test", "ttl");
    now += 130 * 60_000;
    monitor.recordInvalidation("user:*", 2, 1_000_000, "test");
    const stats = await get("/internal/cache/invalidation-stats");
    expect(Value.Errors(InvalidationStatsResponse, stats).First()).toBeUndefined();
    const { efficiency, ...rest } = stats;
    expect(rest).toEqual({
      total_invalidations: 7,
      total_keys_invalidated: 8,
      // 7 invalidations in 130 minutes, to 3 decimals.
      rates: { last_hour: 1, last_24_hours: 7, average_per_hour: 3.231 },
      thresholds: { warning_per_hour: 50, critical_per_hour: 100, current_alert_level: "normal" },
      patterns: { most_common_patterns: { "user:*": 5, "api:*": 1, x: 1 }, invalidation_types: { manual: 6, ttl: 1 } },
    });
    expect(efficiency.avg_keys_per_invalidation).toBe(1.143);
    expect(efficiency.avg_duration).toBeCloseTo(0.01 / 7, 12);
    expect(efficiency.max_duration).toBe(0.004);

    const recommendations = await get("/internal/cache/invalidation-recommendations");
    expect(Value.Errors(RecommendationsResponse, recommendations).First()).toBeUndefined();
    const [finding] = monitor.invalidations.findings();
    expect(finding?.issue).toBe("Dominant invalidation pattern");
    expect(recommendations).toEqual({ recommendations: [`${finding!.issue}: ${finding!.message}`], details: [finding] });
  });
});

describe("degradation", () => {
  test("status answers 200 with error when the cache fails internally", async () => {
    const broken = await buildTestApp();
    broken.cache.redisStatus = () => {
      throw new Error("boom");
    };
    broken.cache.sampleMemory = () => {
      throw new Error("memory probe failed");
    };
    const response = await broken.request("/internal/cache/status");
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.error).toContain("memory probe failed");
    expect(body.memory.status).toBe("unavailable");
    expect(Value.Check(CacheStatusResponse, body)).toBe(true);
  });

  test("stats answer {} and recommendations [] when the monitor fails", async () => {
    const broken = await buildTestApp();
    broken.monitor.invalidations.summary = () => {
      throw new Error("stats failed");
    };
    broken.monitor.invalidations.findings = () => {
      throw new Error("rules failed");
    };
    expect(await (await broken.request("/internal/cache/invalidation-stats")).json()).toEqual({});
    expect(await (await broken.request("/internal/cache/invalidation-recommendations")).json()).toEqual({ recommendations: [] });
  });

  test("metrics: 500 when the monitor is unavailable or fails, 503 when disabled", async () => {
    const base = await buildTestApp();
    const withoutMonitor = createApp({ cache: base.cache, monitor: null, logger: base.logger, apiKeys: [], maxBodyBytes: 1024, instanceId: "x", version: "x" });
    const unavailable = await withoutMonitor.handle(new Request("http://localhost/internal/cache/metrics"));
    expect(unavailable.status).toBe(500);
    expect((await unavailable.json()).error).toBe("metrics_unavailable");

    base.monitor.performanceSnapshot = () => {
      throw new Error("snapshot failed");
    };
    const failing = await base.request("/internal/cache/metrics");
    expect(failing.status).toBe(500);
    expect(await failing.json()).toEqual({ error: "metrics_unavailable", detail: "performance metrics could not be computed: snapshot failed" });

    const disabled = await buildTestApp({ monitoringEnabled: false });
    const response = await disabled.request("/internal/cache/metrics");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: "monitoring_disabled" });
    expect((await (await disabled.request("/internal/cache/status")).json()).performance.status).toBe("disabled");
  });
});
