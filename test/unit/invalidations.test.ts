import { describe, expect, test } from "bun:test";
import { InvalidationLog } from "../../src/monitor/invalidations.ts";

function clock(start = 100 * 3_600_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const event = (pattern: string, keysInvalidated: number, durationSeconds = 0.01) => ({
  pattern,
  keysInvalidated,
  durationSeconds,
  invalidationType: "manual",
  operationContext: "test",
});

describe("invalidation log", () => {
  test("with no invalidations it says so, with the thresholds", () => {
    const log = new InvalidationLog();
    expect(log.summary()).toEqual({ total: 0, totalKeys: 0, thresholds: { warningPerHour: 50, criticalPerHour: 100 }, activity: null });
    expect(log.findings()).toEqual([]);
  });

  test("rates, alert levels, patterns and efficiency", () => {
    const time = clock();
    const log = new InvalidationLog(undefined, time.now);
    for (let i = 0; i < 40; i++) log.record(event("user:*", 2, 0.02));
    for (let i = 0; i < 15; i++) log.record(event("api:*", 4, 0.1));
    const summary = log.summary();
    expect(summary.total).toBe(55);
    expect(summary.totalKeys).toBe(140);
    expect(summary.activity?.lastHour).toBe(55);
    expect(summary.activity?.alertLevel).toBe("warning");
    // The last 50 events: 35 of user:* and 15 of api:*.
    expect(summary.activity?.mostCommonPatterns).toEqual({ "user:*": 35, "api:*": 15 });
    expect(summary.activity?.types).toEqual({ manual: 55 });
    expect(summary.activity?.meanKeys).toBeCloseTo(140 / 55, 3);
    expect(summary.activity?.meanDurationSeconds).toBeCloseTo((40 * 0.02 + 15 * 0.1) / 55, 12);
    expect(summary.activity?.maxDurationSeconds).toBe(0.1);
    // Less than an hour running counts as one hour.
    expect(summary.activity?.averagePerHour).toBe(55);
    for (let i = 0; i < 50; i++) log.record(event("user:*", 2));
    expect(log.summary().activity?.alertLevel).toBe("critical");
    time.advance(61 * 60_000);
    expect(log.summary().activity?.lastHour).toBe(0);
    expect(log.summary().activity?.last24Hours).toBe(105);
    expect(log.summary().activity?.alertLevel).toBe("normal");
    expect(log.summary().activity?.averagePerHour).toBeCloseTo(105 / (61 / 60), 9);
  });

  test("recommendations follow the reference's rules", () => {
    const time = clock();
    const frequent = new InvalidationLog(undefined, time.now);
    for (let i = 0; i < 60; i++) frequent.record(event(i % 4 === 0 ? "a" : "b", 5));
    const issues = frequent.findings().map((r) => [r.issue, r.severity]);
    expect(issues).toContainEqual(["High invalidation frequency", "warning"]);
    expect(issues).toContainEqual(["Dominant invalidation pattern", "info"]);

    const empty = new InvalidationLog(undefined, time.now);
    empty.record(event("nothing*", 0));
    empty.record(event("other*", 0));
    expect(empty.findings().map((r) => r.issue)).toEqual(["Low invalidation efficiency"]);

    const broad = new InvalidationLog(undefined, time.now);
    broad.record(event("", 500));
    broad.record(event("x", 300));
    expect(broad.findings().map((r) => [r.issue, r.severity])).toEqual([["High invalidation impact", "warning"]]);
  });
});
