import { describe, expect, test } from "bun:test";
import { MAX_OPERATIONS, OperationTrafficCounts, OTHER_OPERATION } from "../../src/monitor/by-operation.ts";
import { InvalidationLog } from "../../src/monitor/invalidations.ts";
import { PerformanceMonitor, RELATIVE_ACCURACY } from "../../src/monitor/monitor.ts";

function clock(start = 10 * 3_600_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const MINUTE = 60_000;

describe("the monitor's time series", () => {
  test("each slice holds its own hits by tier, misses, operations and percentiles; empty slices are null", () => {
    const time = clock();
    const monitor = new PerformanceMonitor({ enabled: true, retentionHours: 1, now: time.now });
    // Slice A: 3 memory hits, 1 miss, lookups of 1..4 ms and one store of 10 ms.
    monitor.recordOperation("get", 1e6, "memory", "summarize");
    monitor.recordOperation("get", 2e6, "memory", "summarize");
    monitor.recordOperation("get", 3e6, "memory", "summarize");
    monitor.recordOperation("get", 4e6, null, "qa");
    monitor.recordOperation("set", 10e6, undefined, "qa");
    time.advance(2 * MINUTE);
    // Slice A+2: 2 Redis hits of 100 ms each and a delete.
    monitor.recordOperation("get", 100e6, "redis", "summarize");
    monitor.recordOperation("get", 100e6, "redis", "summarize");
    monitor.recordOperation("delete", 1e6);

    const series = monitor.timeSeries();
    expect(series.slices.length).toBe(60);
    expect(series.sliceMs).toBe(MINUTE);
    expect(series.takenAt).toBe(time.now());
    const last = series.slices[59]!;
    const empty = series.slices[58]!;
    const first = series.slices[57]!;
    expect(last.start).toBe(Math.floor(time.now() / MINUTE) * MINUTE);
    expect(first.start).toBe(last.start - 2 * MINUTE);
    expect(first).toMatchObject({ memoryHits: 3, redisHits: 0, misses: 1, operations: 5 });
    expect(first.lookup!.p50).toBeCloseTo(0.002, 4);
    expect(first.lookup!.p99).toBeCloseTo(0.003, 4);
    expect(Math.abs(first.store!.p50 - 0.01) / 0.01).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    expect(empty).toMatchObject({ memoryHits: 0, redisHits: 0, misses: 0, operations: 0, lookup: null, store: null });
    expect(last).toMatchObject({ memoryHits: 0, redisHits: 2, misses: 0, operations: 3, store: null });
    expect(Math.abs(last.lookup!.p95 - 0.1) / 0.1).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    expect(monitor.hitsInWindow()).toEqual({ memory: 3, redis: 2 });
    expect(monitor.lookups()).toEqual({ hits: 5, misses: 1 });
  });

  test("slices leave the series as the window moves on, and the series never grows", () => {
    const time = clock();
    const monitor = new PerformanceMonitor({ enabled: true, retentionHours: 1, now: time.now });
    monitor.recordOperation("get", 1e6, "memory");
    time.advance(59 * MINUTE);
    expect(monitor.timeSeries().slices[0]!.memoryHits).toBe(1);
    time.advance(MINUTE);
    const later = monitor.timeSeries();
    expect(later.slices.length).toBe(60);
    expect(later.slices.every((slice) => slice.memoryHits === 0 && slice.lookup === null)).toBe(true);
    expect(monitor.hitsInWindow()).toEqual({ memory: 0, redis: 0 });
    // All-time counts are kept for Prometheus.
    expect(monitor.hitsByTier.memory).toBe(1);
  });

  test("a short retention makes short slices", () => {
    const monitor = new PerformanceMonitor({ enabled: true, retentionHours: 0.02, now: clock().now });
    expect(monitor.timeSeries().sliceMs).toBeCloseTo(1200, 9);
  });

  test("with monitoring disabled nothing is counted", () => {
    const monitor = new PerformanceMonitor({ enabled: false, retentionHours: 1, now: clock().now });
    monitor.recordOperation("get", 1e6, "memory", "summarize");
    expect(monitor.timeSeries().slices.every((slice) => slice.operations === 0)).toBe(true);
    expect(monitor.byOperation.top(10)).toEqual([]);
  });
});

describe("traffic per operation", () => {
  test("counts lookups by outcome and stores, busiest first", () => {
    const counts = new OperationTrafficCounts();
    counts.recordLookup("qa", null);
    counts.recordLookup("summarize", "memory");
    counts.recordLookup("summarize", "redis");
    counts.recordStore("summarize");
    expect(counts.top(10)).toEqual([
      { operation: "summarize", memoryHits: 1, redisHits: 1, misses: 0, stores: 1 },
      { operation: "qa", memoryHits: 0, redisHits: 0, misses: 1, stores: 0 },
    ]);
    expect(counts.top(1).length).toBe(1);
  });

  test("names past the bound are counted as other, so callers cannot grow it", () => {
    const counts = new OperationTrafficCounts();
    for (let i = 0; i < MAX_OPERATIONS + 50; i++) counts.recordLookup(`op-${i}`, null);
    counts.recordStore("late-comer");
    const rows = counts.top(1000);
    expect(rows.length).toBe(MAX_OPERATIONS + 1);
    expect(rows.find((row) => row.operation === OTHER_OPERATION)).toEqual({ operation: OTHER_OPERATION, memoryHits: 0, redisHits: 0, misses: 50, stores: 1 });
    // A name seen before the bound keeps its own row.
    counts.recordLookup("op-3", "memory");
    expect(counts.top(1000).find((row) => row.operation === "op-3")!.memoryHits).toBe(1);
  });
});

describe("invalidations per minute", () => {
  test("sixty minutes, oldest first, each with its own count", () => {
    const time = clock();
    const log = new InvalidationLog(undefined, time.now);
    const event = { pattern: "p", keysInvalidated: 0, durationSeconds: 0.001, invalidationType: "manual", operationContext: "test" };
    log.record(event);
    time.advance(5 * MINUTE);
    log.record(event);
    log.record(event);
    const minutes = log.perMinute();
    expect(minutes.length).toBe(60);
    expect(minutes.at(-1)).toEqual({ start: Math.floor(time.now() / MINUTE) * MINUTE, count: 2 });
    expect(minutes.at(-6)!.count).toBe(1);
    expect(minutes.reduce((sum, minute) => sum + minute.count, 0)).toBe(3);
    time.advance(60 * MINUTE);
    expect(log.perMinute().every((minute) => minute.count === 0)).toBe(true);
  });
});
