import { describe, expect, test } from "bun:test";
import { LogBuckets } from "../../src/monitor/log-buckets.ts";
import { PerformanceMonitor, RELATIVE_ACCURACY } from "../../src/monitor/monitor.ts";
import { WindowedHistogram } from "../../src/monitor/windowed.ts";
import { liveHeap } from "../support/memory.ts";

function clock(start = 10 * 3_600_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** Exact quantile with the same rank rule as the histogram. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

/** A deterministic pseudo-random source, so failures reproduce. */
function rng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("log buckets", () => {
  test("every value's representative is within the stated relative error", () => {
    const buckets = new LogBuckets(1e-7, 1e3, RELATIVE_ACCURACY);
    const random = rng(7);
    for (let i = 0; i < 100_000; i++) {
      const value = 10 ** (random() * 9.9 - 6.95);
      const estimate = buckets.representative(buckets.index(value));
      expect(Math.abs(estimate - value) / value).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-12);
    }
  });
});

describe("windowed histogram percentiles", () => {
  const distributions: [string, (random: () => number) => number][] = [
    ["uniform 0.1-10 ms", (r) => 0.0001 + r() * 0.0099],
    ["exponential, mean 2 ms", (r) => -Math.log(1 - r()) * 0.002],
    ["log-normal around 1 ms", (r) => Math.exp(Math.log(0.001) + Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()))],
    ["bimodal: memory hits and Redis hits", (r) => (r() < 0.8 ? 0.00002 + r() * 0.00001 : 0.0004 + r() * 0.0002)],
  ];
  for (const [name, draw] of distributions) {
    test(`${name}: median, p95 and p99 within 1%`, () => {
      const time = clock();
      const histogram = new WindowedHistogram({ sliceCount: 60, sliceMs: 60_000, now: time.now }, new LogBuckets(1e-7, 1e3, RELATIVE_ACCURACY));
      const random = rng(42);
      const values: number[] = [];
      for (let i = 0; i < 50_000; i++) {
        const value = draw(random);
        values.push(value);
        histogram.record(value);
        if (i % 1000 === 0) time.advance(30_000); // spread over 25 minutes of slices
      }
      values.sort((a, b) => a - b);
      const distribution = histogram.windowDistribution();
      expect(distribution.count).toBe(values.length);
      expect(distribution.min).toBe(values[0]!);
      expect(distribution.max).toBe(values.at(-1)!);
      for (const q of [0.5, 0.95, 0.99]) {
        const exact = exactQuantile(values, q);
        expect(Math.abs(distribution.quantile(q) - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY);
      }
    });
  }

  test("retention drops old slices but all-time totals keep them", () => {
    const time = clock();
    const histogram = new WindowedHistogram({ sliceCount: 60, sliceMs: 60_000, now: time.now }, new LogBuckets(1e-7, 1e3, RELATIVE_ACCURACY), 0.05);
    for (let i = 0; i < 100; i++) histogram.record(0.1);
    time.advance(30 * 60_000);
    for (let i = 0; i < 10; i++) histogram.record(0.001);
    expect(histogram.window().count).toBe(110);
    expect(histogram.window().over).toBe(100);
    time.advance(31 * 60_000); // the first batch is now older than the hour
    expect(histogram.window().count).toBe(10);
    expect(histogram.windowDistribution().quantile(0.5)).toBeCloseTo(0.001, 4);
    time.advance(2 * 3_600_000);
    histogram.record(0.002); // recycles a slice
    expect(histogram.window().count).toBe(1);
    expect(histogram.total().count).toBe(111);
    expect(histogram.totalBuckets().reduce((a, b) => a + b, 0)).toBe(111);
  });
});

describe("performance monitor", () => {
  test("reports the reference's metrics from recorded operations", () => {
    const time = clock();
    const monitor = new PerformanceMonitor({ enabled: true, retentionHours: 1, now: time.now });
    monitor.recordKeyGeneration(2_000, 100);
    monitor.recordKeyGeneration(200_000_000, 5000); // slow: 0.2 s
    monitor.recordOperation("get", 10_000, "memory");
    monitor.recordOperation("get", 500_000, "redis");
    monitor.recordOperation("get", 60_000_000, null); // slow: 0.06 s
    monitor.recordOperation("set", 30_000);
    monitor.recordCompression(10_000, 3_000, 40_000);
    monitor.recordCompression(1_000, 500, 10_000);
    const stats = monitor.performanceStats() as Record<string, any>;
    expect(stats.cache_hits).toBe(2);
    expect(stats.cache_misses).toBe(1);
    expect(stats.total_cache_operations).toBe(3);
    expect(stats.cache_hit_rate).toBeCloseTo(66.67, 2);
    expect(stats.key_generation.total_operations).toBe(2);
    expect(stats.key_generation.slow_operations).toBe(1);
    expect(stats.key_generation.max_text_length).toBe(5000);
    expect(stats.key_generation.avg_text_length).toBe(2550);
    expect(stats.cache_operations.total_operations).toBe(4);
    expect(stats.cache_operations.slow_operations).toBe(1);
    expect(stats.cache_operations.by_operation_type.get.count).toBe(3);
    expect(stats.cache_operations.by_operation_type.set.count).toBe(1);
    expect(stats.cache_operations.max_duration).toBeCloseTo(0.06, 9);
    expect(stats.compression.total_operations).toBe(2);
    expect(stats.compression.total_bytes_processed).toBe(11_000);
    expect(stats.compression.total_bytes_saved).toBe(7_500);
    expect(stats.compression.best_compression_ratio).toBe(0.3);
    expect(stats.compression.worst_compression_ratio).toBe(0.5);
    expect(stats.compression.overall_savings_percent).toBeCloseTo(68.18, 2);
    expect(stats.memory_usage.no_measurements).toBe(true);
    expect(stats.invalidation.no_invalidations).toBe(true);
  });

  test("sections without data are absent and the hit rate is 0", () => {
    const stats = new PerformanceMonitor({ enabled: true, retentionHours: 1 }).performanceStats();
    expect(stats.cache_hit_rate).toBe(0);
    expect(stats.key_generation).toBeUndefined();
    expect(stats.cache_operations).toBeUndefined();
    expect(stats.compression).toBeUndefined();
  });

  test("a disabled monitor records nothing but invalidations", () => {
    const monitor = new PerformanceMonitor({ enabled: false, retentionHours: 1 });
    monitor.recordOperation("get", 1000, "memory");
    monitor.recordInvalidation("x", 1, 1000, "test");
    expect(monitor.hitRate().hits).toBe(0);
    expect(monitor.invalidations.total).toBe(1);
  });

  test("memory stays flat however many operations are recorded", () => {
    const monitor = new PerformanceMonitor({ enabled: true, retentionHours: 1 });
    const record = (n: number) => {
      for (let i = 0; i < n; i++) {
        monitor.recordKeyGeneration(1000 + (i % 5000), 200);
        monitor.recordOperation("get", 5000 + (i % 100_000), i % 3 === 0 ? null : "memory");
      }
    };
    record(100_000);
    const before = liveHeap();
    record(2_000_000);
    monitor.performanceStats();
    const after = liveHeap();
    // 2 million samples kept as numbers would need 16 MB or more; fixed slices need nothing more.
    expect(after.bytes - before.bytes).toBeLessThan(4 * 1024 * 1024);
    expect(after.objects - before.objects).toBeLessThan(10_000);
    expect(monitor.hitRate().hits + monitor.hitRate().misses).toBe(2_100_000);
  });
});
