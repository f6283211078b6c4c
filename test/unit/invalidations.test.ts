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
    expect(log.stats()).toEqual({
      no_invalidations: true,
      total_invalidations: 0,
      total_keys_invalidated: 0,
      warning_threshold_per_hour: 50,
      critical_threshold_per_hour: 100,
    });
    expect(log.recommendations()).toEqual([]);
  });

  test("rates, alert levels, patterns and efficiency", () => {
    const time = clock();
    const log = new InvalidationLog(undefined, time.now);
    for (let i = 0; i < 40; i++) log.record(event("user:*", 2, 0.02));
    for (let i = 0; i < 15; i++) log.record(event("api:*", 4, 0.1));
    const stats = log.stats();
    expect(stats.total_invalidations).toBe(55);
    expect(stats.total_keys_invalidated).toBe(140);
    expect(stats.rates?.last_hour).toBe(55);
    expect(stats.thresholds?.current_alert_level).toBe("warning");
    // The last 50 events: 35 of user:* and 15 of api:*.
    expect(stats.patterns?.most_common_patterns).toEqual({ "user:*": 35, "api:*": 15 });
    expect(stats.patterns?.invalidation_types).toEqual({ manual: 55 });
    expect(stats.efficiency?.avg_keys_per_invalidation).toBeCloseTo(140 / 55, 3);
    expect(stats.efficiency?.max_duration).toBe(0.1);
    for (let i = 0; i < 50; i++) log.record(event("user:*", 2));
    expect(log.stats().thresholds?.current_alert_level).toBe("critical");
    time.advance(61 * 60_000);
    expect(log.stats().rates?.last_hour).toBe(0);
    expect(log.stats().rates?.last_24_hours).toBe(105);
    expect(log.stats().thresholds?.current_alert_level).toBe("normal");
  });

  test("recommendations follow the reference's rules", () => {
    const time = clock();
    const frequent = new InvalidationLog(undefined, time.now);
    for (let i = 0; i < 60; i++) frequent.record(event(i % 4 === 0 ? "a" : "b", 5));
    const issues = frequent.recommendations().map((r) => [r.issue, r.severity]);
    expect(issues).toContainEqual(["High invalidation frequency", "warning"]);
    expect(issues).toContainEqual(["Dominant invalidation pattern", "info"]);

    const empty = new InvalidationLog(undefined, time.now);
    empty.record(event("nothing*", 0));
    empty.record(event("other*", 0));
    expect(empty.recommendations().map((r) => r.issue)).toEqual(["Low invalidation efficiency"]);

    const broad = new InvalidationLog(undefined, time.now);
    broad.record(event("", 500));
    broad.record(event("x", 300));
    expect(broad.recommendations().map((r) => [r.issue, r.severity])).toEqual([["High invalidation impact", "warning"]]);
  });
});
