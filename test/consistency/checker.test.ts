import { describe, expect, test } from "bun:test";
import { checkHistory, DEFAULT_BOUNDS, deadline, otherSidecarVisible, type CheckResult } from "../../scripts/consistency/checker.ts";
import { keysWritten, type DeleteOp, type Fault, type FaultKind, type InvalidateOp, type LookupOp, type Operation, type StoreOp } from "../../scripts/consistency/history.ts";
import {
  canonical,
  checkInjectivity,
  containsLoneSurrogate,
  hasLoneSurrogate,
  identity,
  type Answer,
  type InjectivityInput,
  type InjectivityRecord,
} from "../../scripts/consistency/injectivity-check.ts";
import { FIXED_INPUTS, injectivityInputs } from "../../scripts/consistency/injectivity-inputs.ts";
import { describeInput, formatEvent, formatHistoryCheck, formatInjectivity } from "../../scripts/consistency/report.ts";

// Hand-made histories. Times in ms; bounds are the defaults (cross-sidecar 1000, deaf 2000, settle 1000).
let nextId = 0;
const K = "summarize/doc-0";
const OTHER_KEY = "qa/doc-1";

const store = (value: string, sidecar: number, invoke: number, complete: number, outcome: StoreOp["outcome"] = "redis", key = K): StoreOp => ({
  kind: "store",
  id: nextId++,
  client: 0,
  sidecar,
  invoke,
  complete,
  key,
  value,
  outcome,
});
const read = (value: string | null, sidecar: number, invoke: number, complete: number, tier = "memory"): LookupOp => ({
  kind: "lookup",
  id: nextId++,
  client: 1,
  sidecar,
  invoke,
  complete,
  key: K,
  outcome: "hit",
  value,
  raw: JSON.stringify(value === null ? "not ours" : { v: value }),
  tier,
});
const miss = (sidecar: number, invoke: number, complete: number, outcome: "miss" | "failed" = "miss"): LookupOp => ({
  kind: "lookup",
  id: nextId++,
  client: 1,
  sidecar,
  invoke,
  complete,
  key: K,
  outcome,
});
const remove = (sidecar: number, invoke: number, complete: number, outcome: DeleteOp["outcome"] = "complete"): DeleteOp => ({
  kind: "delete",
  id: nextId++,
  client: 2,
  sidecar,
  invoke,
  complete,
  key: K,
  outcome,
});
const invalidate = (sidecar: number, invoke: number, complete: number, outcome: InvalidateOp["outcome"] = "complete", keys = [K, OTHER_KEY]): InvalidateOp => ({
  kind: "invalidate",
  id: nextId++,
  client: 3,
  sidecar,
  invoke,
  complete,
  pattern: "op:summarize|*",
  keys,
  outcome,
});
const fault = (kind: FaultKind, start: number, restored: number, end: number): Fault => ({ kind: "fault", fault: kind, start, restored, end });

const check = (operations: Operation[], faults: Fault[] = []): CheckResult => checkHistory({ sidecars: 3, operations, faults });
const rules = (operations: Operation[], faults: Fault[] = []) => check(operations, faults).violations.map((violation) => violation.rule);

describe("what a lookup may return", () => {
  test("the value of the last store, on the same sidecar or another", () => {
    expect(rules([store("v1", 0, 0, 1), read("v1", 0, 2, 3), read("v1", 1, 2, 3, "redis")])).toEqual([]);
  });

  test("a value no store wrote is a phantom, as is an answer that names no store", () => {
    expect(rules([store("v1", 0, 0, 1), read("v9", 0, 2, 3)])).toEqual(["phantom-value"]);
    expect(rules([read(null, 0, 2, 3)])).toEqual(["phantom-value"]);
  });

  test("a value stored for another key", () => {
    expect(rules([store("v1", 0, 0, 1, "redis", OTHER_KEY), read("v1", 0, 2, 3)])).toEqual(["wrong-key"]);
  });

  test("a value whose store began after the lookup ended, but not one whose store overlaps it", () => {
    expect(rules([store("v1", 0, 10, 11), read("v1", 0, 0, 5)])).toEqual(["value-from-future"]);
    expect(rules([store("v1", 0, 4, 11), read("v1", 0, 0, 5)])).toEqual([]);
  });

  test("misses and failed lookups are never violations, but are counted", () => {
    const result = check([store("v1", 0, 0, 1), miss(0, 2, 3), miss(1, 2, 3, "failed")]);
    expect(result.violations).toEqual([]);
    expect(result.counts.lookup).toEqual({ miss: 1, failed: 1 });
    expect(result.checkedHits).toBe(0);
  });
});

describe("the same sidecar after its own acknowledged change", () => {
  test("an old value after a delete, an invalidation or an overwrite is flagged", () => {
    expect(rules([store("v1", 0, 0, 1), remove(0, 2, 3), read("v1", 0, 4, 5)])).toEqual(["stale-after-own-write"]);
    expect(rules([store("v1", 1, 0, 1), invalidate(0, 2, 3), read("v1", 0, 4, 5)])).toEqual(["stale-after-own-write"]);
    expect(rules([store("v1", 0, 0, 1), store("v2", 0, 2, 3), read("v1", 0, 4, 5), read("v2", 0, 4, 5)])).toEqual(["stale-after-own-write"]);
  });

  test("a lookup that overlaps the change may answer the old value", () => {
    expect(rules([store("v1", 0, 0, 1), remove(0, 2, 3), read("v1", 0, 2.5, 5)])).toEqual([]);
  });

  test("a value whose store overlaps the change may still be the newest", () => {
    expect(rules([store("v1", 0, 0, 5), store("v2", 0, 2, 3), read("v1", 0, 6, 7)])).toEqual([]);
    expect(rules([store("v1", 0, 0, 2.5), remove(0, 2, 3), read("v1", 0, 6, 7)])).toEqual([]);
  });

  test("an incomplete delete or invalidation only cleared memory: Redis may still answer the old value", () => {
    expect(rules([store("v1", 0, 0, 1), remove(0, 2, 3, "memory"), read("v1", 0, 4, 5, "redis")])).toEqual([]);
    expect(rules([store("v1", 0, 0, 1), invalidate(0, 2, 3, "memory"), read("v1", 0, 4, 5, "redis")])).toEqual([]);
  });

  test("a failed change supersedes nothing", () => {
    expect(rules([store("v1", 0, 0, 1), remove(0, 2, 3, "failed"), store("v2", 0, 4, 5, "failed"), read("v1", 0, 9, 10)])).toEqual([]);
  });

  test("a memory-only overwrite does not hide the Redis value from its own sidecar once its copy is cut", () => {
    expect(rules([store("v1", 0, 0, 1), store("v2", 0, 2, 3, "memory"), read("v1", 0, 4000, 4001, "redis")])).toEqual([]);
  });
});

describe("another sidecar after an acknowledged change", () => {
  test("may answer the old value within the cross-sidecar bound, not after it", () => {
    const history = [store("v1", 0, 0, 1), remove(1, 2, 3)];
    expect(rules([...history, read("v1", 0, 500, 501)])).toEqual([]);
    expect(rules([...history, read("v1", 0, 1004, 1005)])).toEqual(["stale-after-other-write"]);
  });

  test("a memory-only write on one sidecar supersedes nothing on another", () => {
    expect(rules([store("v1", 0, 0, 1), store("v2", 1, 2, 3, "memory"), read("v1", 0, 5000, 5001, "redis")])).toEqual([]);
  });

  test("a fault overlapping the change moves the bound to the fault's end plus the deaf bound, fault after fault", () => {
    const history = [store("v1", 0, 0, 1), remove(1, 100, 101)];
    const lost = fault("pubsub-kill", 101.5, 102, 300);
    expect(rules([...history, read("v1", 0, 1500, 1501)], [lost])).toEqual([]);
    expect(rules([...history, read("v1", 0, 2301, 2302)], [lost])).toEqual(["stale-after-other-write"]);
    const again = fault("pause", 2200, 2400, 2500);
    expect(rules([...history, read("v1", 0, 3000, 3001)], [lost, again])).toEqual([]);
    expect(rules([...history, read("v1", 0, 4501, 4502)], [lost, again])).toEqual(["stale-after-other-write"]);
  });

  test("a fault long over does not move the bound", () => {
    expect(rules([store("v1", 0, 0, 1), remove(1, 5000, 5001), read("v1", 0, 6002, 6003)], [fault("stop", 10, 500, 505)])).toEqual(["stale-after-other-write"]);
  });
});

describe("writes whose Redis effect is unknown", () => {
  // A store answered memory-only during a pause: its SET may wait in Redis's queue and land
  // when the pause ends, so a change begun before the pause's end + settle may precede it.
  const pause = fault("pause", 10, 500, 505);

  test("a memory-only store may land in Redis until the fault's end plus the settle time", () => {
    const late = store("v1", 0, 20, 270, "memory");
    expect(deadline(late, [pause], DEFAULT_BOUNDS)).toBe(1505);
    expect(rules([late, remove(1, 1000, 1001), read("v1", 1, 3000, 3001, "redis")], [pause])).toEqual([]);
    expect(rules([late, remove(1, 1600, 1601), read("v1", 1, 1700, 1701, "redis")], [pause])).toEqual(["stale-after-own-write"]);
  });

  test("a store that never answered is never superseded", () => {
    const lost = store("v1", 0, 0, 5000, "unknown");
    expect(deadline(lost, [], DEFAULT_BOUNDS)).toBe(Infinity);
    expect(rules([lost, remove(0, 6000, 6001), read("v1", 0, 7000, 7001, "redis")])).toEqual([]);
  });

  test("a store answered with an error may still land, like a memory-only one", () => {
    expect(deadline(store("v1", 0, 0, 5, "failed"), [], DEFAULT_BOUNDS)).toBe(1005);
  });
});

describe("a Redis restart", () => {
  const restart = fault("restart", 100, 300, 400);

  test("values written before it are not answered after its end plus the deaf bound", () => {
    const history = [store("v1", 0, 0, 1), read("v1", 1, 2, 3, "redis")];
    expect(rules([...history, read("v1", 1, 1000, 1001)], [restart])).toEqual([]);
    expect(rules([...history, read("v1", 1, 2401, 2402)], [restart])).toEqual(["stale-after-restart"]);
  });

  test("values written during it (memory only) are not concerned", () => {
    expect(rules([store("v2", 0, 150, 151, "memory"), read("v2", 0, 3000, 3001)], [restart])).toEqual([]);
  });
});

describe("the same sidecar after its own local change, once the value had left Redis", () => {
  test("a value removed from Redis by another sidecar, then from memory by this one, is flagged", () => {
    const history = [store("v1", 0, 0, 1), read("v1", 0, 2, 3, "redis"), remove(1, 10, 11), remove(0, 20, 21, "memory")];
    // Within the cross-sidecar bound of the other sidecar's delete, so only this rule applies.
    expect(rules([...history, read("v1", 0, 30, 31)])).toEqual(["stale-after-own-local-write"]);
  });

  test("not when the local change began before the value had left Redis", () => {
    expect(rules([store("v1", 0, 0, 1), remove(1, 10, 11), store("v2", 0, 5, 6, "memory"), read("v1", 0, 30, 31)])).toEqual([]);
  });

  test("a restart counts as the value leaving Redis", () => {
    const restart = fault("restart", 10, 50, 60);
    expect(rules([store("v1", 0, 0, 1), invalidate(0, 70, 71, "memory"), read("v1", 0, 100, 101)], [restart])).toEqual(["stale-after-own-local-write"]);
    expect(rules([store("v1", 0, 0, 1), invalidate(0, 40, 71, "memory"), read("v1", 0, 100, 101)], [restart])).toEqual([]);
  });

  test("another sidecar's local change does not count", () => {
    expect(rules([store("v1", 0, 0, 1), remove(1, 10, 11), remove(2, 20, 21, "memory"), read("v1", 0, 30, 31)])).toEqual([]);
  });
});

describe("bounds and bookkeeping", () => {
  test("visibility on other sidecars ignores faults that ended before the change", () => {
    const change = remove(1, 1000, 1001);
    expect(otherSidecarVisible(change, [fault("stop", 0, 100, 200)], DEFAULT_BOUNDS)).toBe(2001);
    expect(otherSidecarVisible(change, [fault("stop", 1500, 1600, 1700)], DEFAULT_BOUNDS)).toBe(3700);
  });

  test("bounds are parameters", () => {
    const history = { sidecars: 2, operations: [store("v1", 0, 0, 1), remove(1, 2, 3), read("v1", 0, 500, 501)], faults: [] };
    expect(checkHistory(history).violations).toEqual([]);
    expect(checkHistory(history, { ...DEFAULT_BOUNDS, crossSidecarMs: 100 }).violations.map((v) => v.rule)).toEqual(["stale-after-other-write"]);
  });

  test("counts every operation by kind and outcome, overwrites and faults", () => {
    const result = check(
      [store("v1", 0, 0, 1), store("v2", 1, 2, 3, "memory"), store("v3", 1, 4, 5, "failed"), read("v2", 1, 6, 7), remove(0, 8, 9, "memory"), invalidate(2, 10, 11, "failed")],
      [fault("pause", 20, 30, 31), fault("pause", 40, 50, 51)],
    );
    expect(result.counts).toEqual({
      store: { redis: 1, memory: 1, failed: 1 },
      lookup: { hit: 1 },
      delete: { memory: 1 },
      invalidate: { failed: 1 },
      faults: { pause: 2 },
      overwrites: 2,
      total: 6,
    });
    expect(result.checkedHits).toBe(1);
  });

  test("lists the keys each operation writes", () => {
    expect(keysWritten(read("v1", 0, 0, 1))).toEqual([]);
    expect(keysWritten(remove(0, 0, 1))).toEqual([K]);
    expect(keysWritten(invalidate(0, 0, 1))).toEqual([K, OTHER_KEY]);
  });

  test("a violation carries the value's store, the change, the lookup and the history around them", () => {
    const value = store("v1", 0, 0, 1);
    const unrelated = store("x", 2, 0, 1, "redis", OTHER_KEY);
    const change = remove(0, 2, 3);
    const bystander = read("v1", 1, 2, 4);
    const stale = read("v1", 0, 4, 5);
    const pause = fault("pause", 3.5, 3.6, 3.7);
    const [violation] = check([value, unrelated, change, bystander, stale], [pause]).violations;
    expect(violation).toMatchObject({ rule: "stale-after-own-write", key: K, store: value, witness: change, lookup: stale, omitted: 1 });
    expect(violation!.excerpt).toEqual([value, change, pause, stale]);
    expect(violation!.reason).toContain("sidecar 0 acknowledged delete");
  });
});

describe("key injectivity", () => {
  const ok = (key: string, marker: number): { store: Answer; lookup: Answer } => ({ store: { status: 201, key }, lookup: { status: 200, key, hit: true, marker } });
  const record = (index: number, input: InjectivityInput, answers: { store: Answer; lookup: Answer }): InjectivityRecord => ({ index, input, ...answers });

  test("entries are equal as JSON values, with empty options and questions left out", () => {
    expect(identity({ operation: "a", text: "t" })).toBe(identity({ operation: "a", text: "t", options: null, question: "" }));
    expect(identity({ operation: "a", text: "t", options: {} })).toBe(identity({ operation: "a", text: "t", question: null }));
    expect(identity({ operation: "a", text: "t", options: { b: 1, a: [2] } })).toBe(identity({ operation: "a", text: "t", options: { a: [2], b: 1 } }));
    expect(identity({ operation: "a", text: "t", options: { a: 1 } })).not.toBe(identity({ operation: "a", text: "t", options: { a: "1" } }));
    expect(identity({ operation: "a", text: "\ud800" })).not.toBe(identity({ operation: "a", text: "\ufffd" }));
    expect(identity({ operation: "a", text: "t", options: { "0": "g" } })).not.toBeNull();
    for (const options of [5, "x", true, ["g"], []]) expect(identity({ operation: "a", text: "t", options })).toBeNull();
    expect(canonical({ b: { d: 1, c: null }, a: [true, "\ud800"] })).toBe('{"a":[true,"\\ud800"],"b":{"c":null,"d":1}}');
  });

  test("lone surrogates are told from pairs, in keys and values alike", () => {
    expect(["\ud800", "a\udfff", "\udc00\ud800", "\ud800a"].map(hasLoneSurrogate)).toEqual([true, true, true, true]);
    expect(["\ud800\udc00", "\u{1f600}", "\ufffd", ""].map(hasLoneSurrogate)).toEqual([false, false, false, false]);
    expect(containsLoneSurrogate({ a: [1, { "\udfff": null }] })).toBe(true);
    expect(containsLoneSurrogate({ a: [1, { b: "\u{1f600}" }], c: true })).toBe(false);
  });

  test("accepts distinct keys, refused non-object options and declined lone surrogates", () => {
    const result = checkInjectivity([
      record(0, { operation: "a", text: "\ud800" }, ok("k0", 0)),
      record(1, { operation: "a", text: "\ufffd" }, ok("k1", 1)),
      record(2, { operation: "a", text: "t", options: ["g"] }, { store: { status: 422, field: "options" }, lookup: { status: 422, field: "options" } }),
      record(3, { operation: "a", text: "t", options: 5 }, { store: { status: 422, field: "options" }, lookup: { status: 422, field: "options" } }),
      record(4, { operation: "a", text: "x", question: "\udfff" }, { store: { status: 422, field: "question" }, lookup: { status: 422, field: "question" } }),
      record(5, { operation: "a", text: "y" }, { store: { status: 201, key: "k5" }, lookup: { status: 200, key: "k5", hit: false } }),
    ]);
    expect(result).toEqual({ inputs: 6, stored: 3, refusedNonObjectOptions: 2, refusedLoneSurrogates: 1, violations: [] });
  });

  test("flags shared keys, values of another input, unstable keys and wrong refusals", () => {
    const result = checkInjectivity([
      record(0, { operation: "a", text: "\ud800" }, ok("shared", 1)),
      record(1, { operation: "a", text: "\ufffd" }, ok("shared", 1)),
      record(2, { operation: "a", text: "t" }, ok("k2", 3)),
      record(3, { operation: "a", text: "t", options: 5 }, ok("k2", 3)),
      record(4, { operation: "a", text: "u" }, { store: { status: 201, key: "k4" }, lookup: { status: 200, key: "k4-other", hit: false } }),
      record(5, { operation: "a", text: "v" }, { store: { status: 422, field: "text" }, lookup: { status: 422, field: "text" } }),
      record(6, { operation: "a", text: "w", options: [] }, { store: { status: 422, field: "options.0" }, lookup: { status: 422 } }),
      record(7, { operation: "a", text: "z" }, ok("k7", 99)),
    ]);
    expect(result.violations.map((violation) => violation.rule).sort()).toEqual([
      "key-collision",
      "options-not-refused",
      "options-not-refused",
      "unstable-key",
      "valid-input-refused",
      "wrong-value",
      "wrong-value",
    ]);
    const wrong = result.violations.filter((violation) => violation.rule === "wrong-value");
    expect(wrong.map((violation) => violation.inputs.map((input) => input.index))).toEqual([[2, 3], [7]]);
  });

  test("generated inputs are the same for a seed, distinct entries, and cover the tricky cases", () => {
    const inputs = injectivityInputs(42, 30);
    expect(injectivityInputs(42, 30)).toEqual(inputs);
    expect(inputs.length).toBeGreaterThan(FIXED_INPUTS.length);
    const entries = inputs.map(identity).filter((id) => id !== null);
    expect(new Set(entries).size).toBe(entries.length);
    expect(inputs.some((input) => input.text === "\ud800")).toBe(true);
    expect(inputs.some((input) => Array.isArray(input.options))).toBe(true);
    expect(inputs.some((input) => typeof input.options === "number")).toBe(true);
    expect(inputs.every((input) => /^inj[A-Za-z0-9_.-]*$/.test(input.operation))).toBe(true);
  });
});

describe("report", () => {
  test("prints the counts, then each violation with its excerpt, up to the limit", () => {
    const history = [store("v1", 0, 0, 1), remove(0, 2, 3), read("v1", 0, 4, 5), read("v1", 0, 6, 7), invalidate(1, 8, 9, "memory"), miss(2, 9, 10)];
    const result = check(history, [fault("restart", 20, 30, 40)]);
    const text = formatHistoryCheck(result, 1).join("\n");
    expect(text).toContain("history: 6 operations checked");
    expect(text).toContain("history violations: 2 (stale-after-own-write 2)");
    expect(text).toMatch(/VALUE +\[ +0\.0 → +1\.0\] #\d+ client 0 sidecar 0 store +summarize\/doc-0 := v1 → redis/);
    expect(text).toMatch(/BARRIER .* delete +summarize\/doc-0 → complete/);
    expect(text).toMatch(/READ .* lookup +summarize\/doc-0 → hit v1 \(memory\)/);
    expect(text).toContain("... 1 more history violations not shown");
    expect(text).toContain("faults     restart 1");
  });

  test("formats every kind of event", () => {
    expect(formatEvent(fault("pause", 1, 2, 3))).toBe("[     1.0 →      3.0] fault pause (lifted at 2.0, all subscribed again at 3.0)");
    expect(formatEvent(invalidate(1, 8, 9, "memory"))).toMatch(/invalidate "op:summarize\|\*" \(2 keys\) → memory$/);
    expect(formatEvent(miss(2, 9, 10))).toMatch(/lookup +summarize\/doc-0 → miss$/);
    expect(formatEvent(read(null, 0, 1, 2))).toContain('→ hit "not ours" (memory)');
  });

  test("prints injectivity violations with their inputs escaped and shortened", () => {
    expect(describeInput({ operation: "a", text: "\ud800", options: { "\ufffd": 1 }, question: null })).toBe(
      'operation a, text "\\ud800", options {"\\ufffd":1}, question null',
    );
    expect(describeInput({ operation: "a", text: "\u{1f600}\ud800\u00e9" })).toBe('operation a, text "\\u{1f600}\\ud800\\u00e9"');
    expect(describeInput({ operation: "a", text: "x".repeat(100), question: "q" })).toBe(`operation a, text "${"x".repeat(16)}"...(100 chars)..."xxxxxxxx", question "q"`);
    const records = Array.from({ length: 8 }, (_, index): InjectivityRecord => ({
      index,
      input: { operation: "a", text: `t${index}` },
      store: { status: 201, key: "same" },
      lookup: { status: 200, key: "same", hit: true, marker: index },
    }));
    const text = formatInjectivity(checkInjectivity(records), 0).join("\n");
    expect(text).toContain("key injectivity: 8 inputs, 8 stored and looked up");
    expect(text).toContain("injectivity violations: 1 (key-collision 1)");
    expect(text).toContain("... 1 more injectivity violations not shown");
    const full = formatInjectivity(checkInjectivity(records), 5).join("\n");
    expect(full).toContain("key-collision: 8 different entries share the key same");
    expect(full).toContain('input 0: operation a, text "t0" → store 201 same');
    expect(full).toContain("(2 more inputs)");
  });
});

describe("leases", () => {
  const granted = (sidecar: number, invoke: number, complete: number, lease: "redis" | "memory" = "redis"): LookupOp => ({ ...miss(sidecar, invoke, complete), lease });
  const leased = (grant: LookupOp, value: string, invoke: number, complete: number, outcome: StoreOp["outcome"] = "redis"): StoreOp => ({ ...store(value, grant.sidecar, invoke, complete, outcome), leaseOf: grant.id });

  test("a store under a lease acknowledged after a removal of its key that began once the lease was out is flagged", () => {
    const grant = granted(0, 0, 10);
    expect(rules([grant, remove(1, 20, 30), leased(grant, "l1", 40, 50)])).toEqual(["lease-outlived-removal"]);
    expect(rules([grant, invalidate(2, 20, 30), leased(grant, "l2", 40, 50)])).toEqual(["lease-outlived-removal"]);
  });

  test("not when the store was refused (409), when the removal overlaps the grant or the store, or when it did not reach Redis elsewhere", () => {
    const grant = granted(0, 0, 10);
    expect(rules([grant, remove(1, 20, 30), leased(grant, "l3", 40, 50, "conflict")])).toEqual([]);
    expect(rules([grant, remove(1, 5, 30), leased(grant, "l4", 40, 50)])).toEqual([]);
    expect(rules([grant, remove(1, 20, 45), leased(grant, "l5", 40, 50)])).toEqual([]);
    expect(rules([grant, remove(1, 20, 30, "memory"), leased(grant, "l6", 40, 50)])).toEqual([]);
  });

  test("a memory lease is voided only by removals on its own sidecar, but by a memory-only one there too", () => {
    const grant = granted(0, 0, 10, "memory");
    expect(rules([grant, remove(1, 20, 30), leased(grant, "l7", 40, 50, "memory")])).toEqual([]);
    expect(rules([grant, remove(0, 20, 30, "memory"), leased(grant, "l8", 40, 50, "memory")])).toEqual(["lease-outlived-removal"]);
  });

  test("the value of a refused store is never served", () => {
    const grant = granted(0, 0, 10);
    expect(rules([grant, leased(grant, "l9", 20, 30, "conflict"), read("l9", 1, 40, 50)])).toEqual(["voided-value-served"]);
  });
});
