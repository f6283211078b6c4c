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
    const snapshot = monitor.performanceSnapshot();
    expect(snapshot.retentionHours).toBe(1);
    expect(snapshot.lookups).toEqual({ hits: 2, misses: 1 });
    const keyGeneration = snapshot.keyGeneration!;
    expect(keyGeneration.seconds.count).toBe(2);
    expect(keyGeneration.seconds.slow).toBe(1);
    expect(keyGeneration.seconds.min).toBeCloseTo(0.000002, 12);
    expect(keyGeneration.seconds.max).toBeCloseTo(0.2, 12);
    expect(keyGeneration.seconds.mean).toBeCloseTo(0.100001, 12);
    expect(keyGeneration.maxTextLength).toBe(5000);
    expect(keyGeneration.meanTextLength).toBe(2550);
    const operations = snapshot.operations!;
    expect(operations.all.count).toBe(4);
    expect(operations.all.slow).toBe(1);
    expect(operations.all.max).toBeCloseTo(0.06, 9);
    expect(operations.all.min).toBeCloseTo(0.00001, 12);
    // Nothing of delete or invalidate in the window: only the types with operations, in order.
    expect(operations.byType.map(({ type, seconds }) => [type, seconds.count])).toEqual([
      ["get", 3],
      ["set", 1],
    ]);
    const get = operations.byType[0]!.seconds;
    // Three gets (10 µs, 500 µs, 60 ms): the median and p99 fall on the middle one.
    for (const q of [get.median, get.p99]) expect(Math.abs(q - 0.0005) / 0.0005).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    const compression = snapshot.compression!;
    expect(compression.ratio.count).toBe(2);
    expect(compression.bytesIn).toBe(11_000);
    expect(compression.bytesSaved).toBe(7_500);
    expect(compression.ratio.min).toBe(0.3);
    expect(compression.ratio.max).toBe(0.5);
    expect(compression.ratio.mean).toBeCloseTo(0.4, 12);
    expect(compression.seconds.max).toBeCloseTo(0.00004, 12);
    expect(snapshot.memory.latest).toBeNull();
    expect(snapshot.invalidations.activity).toBeNull();
  });

  test("sections without data are null and there are no lookups", () => {
    const snapshot = new PerformanceMonitor({ enabled: true, retentionHours: 1 }).performanceSnapshot();
    expect(snapshot.lookups).toEqual({ hits: 0, misses: 0 });
    expect(snapshot.keyGeneration).toBeNull();
    expect(snapshot.operations).toBeNull();
    expect(snapshot.compression).toBeNull();
  });

  test("memory: the latest measurement, its level, and the trend over the window", () => {
    const time = clock();
    const monitor = new PerformanceMonitor({ enabled: true, retentionHours: 1, now: time.now });
    const MB = 1024 ** 2;
    monitor.recordMemoryUsage({ memoryTierBytes: 40 * MB, memoryTierEntries: 100, processRssBytes: 200 * MB });
    time.advance(30 * 60_000);
    monitor.recordMemoryUsage({ memoryTierBytes: 60 * MB, memoryTierEntries: 300, processRssBytes: 210 * MB });
    const report = monitor.performanceSnapshot().memory;
    if (report.latest === null) throw new Error("expected a measurement");
    expect(report.thresholds).toEqual({ warningBytes: 50 * MB, criticalBytes: 100 * MB });
    expect(report.latest).toEqual({ memoryTierBytes: 60 * MB, memoryTierEntries: 300, processRssBytes: 210 * MB });
    expect(report.level).toBe("warning");
    expect(report.trend).toEqual({ measurements: 2, meanBytes: 50 * MB, maxBytes: 60 * MB, meanEntries: 200, maxEntries: 300, bytesChange: 20 * MB, spanHours: 0.5 });
    time.advance(61 * 60_000); // both measurements are now older than the window
    const stale = monitor.memory.report();
    if (stale.latest === null) throw new Error("the latest measurement is kept");
    expect(stale.trend).toEqual({ measurements: 0, meanBytes: 0, maxBytes: 0, meanEntries: 0, maxEntries: 0, bytesChange: 0, spanHours: 0 });
  });

  test("a disabled monitor records nothing but invalidations", () => {
    const monitor = new PerformanceMonitor({ enabled: false, retentionHours: 1 });
    monitor.recordOperation("get", 1000, "memory");
    monitor.recordInvalidation("x", 1, 1000, "test");
    expect(monitor.lookups().hits).toBe(0);
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
    monitor.performanceSnapshot();
    const after = liveHeap();
    // 2 million samples kept as numbers would need 16 MB or more; fixed slices need nothing more.
    expect(after.bytes - before.bytes).toBeLessThan(4 * 1024 * 1024);
    expect(after.objects - before.objects).toBeLessThan(10_000);
    expect(monitor.lookups().hits + monitor.lookups().misses).toBe(2_100_000);
  });
});
