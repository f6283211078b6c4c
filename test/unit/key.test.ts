import { describe, expect, test } from "bun:test";
import { CacheKeyBuilder, canonicalJson } from "../../src/engine/key.ts";

const keys = new CacheKeyBuilder("ai_cache");

describe("cache keys", () => {
  test("keep the readable layout with 128-bit digests and no prompt text", () => {
    const key = keys.build({ operation: "summarize", text: "The secret prompt", options: { max_length: 100 }, question: "why?" });
    expect(key).toMatch(/^ai_cache:op:summarize\|txt:[0-9a-f]{32}\|opts:[0-9a-f]{32}\|q:[0-9a-f]{32}$/);
    expect(key).not.toContain("secret");
    expect(keys.isCacheKey(key)).toBe(true);
  });

  test("omit opts for empty options and q for an absent or empty question", () => {
    expect(keys.build({ operation: "sentiment", text: "x", options: {} })).toMatch(/^ai_cache:op:sentiment\|txt:[0-9a-f]{32}$/);
    expect(keys.build({ operation: "sentiment", text: "x", options: null, question: "" })).toMatch(/^ai_cache:op:sentiment\|txt:[0-9a-f]{32}$/);
  });

  test("are deterministic and independent of option key order", () => {
    const a = keys.build({ operation: "qa", text: "t", options: { b: 2, a: { y: 1, x: [1, "2"] } } });
    const b = keys.build({ operation: "qa", text: "t", options: { a: { x: [1, "2"], y: 1 }, b: 2 } });
    expect(a).toBe(b);
  });

  test("do not collide where the reference's scheme does", () => {
    const distinct = [
      keys.build({ operation: "qa", text: "t", options: { a: 1 } }),
      keys.build({ operation: "qa", text: "t", options: { a: "1" } }),
      keys.build({ operation: "qa", text: "t", options: { a: true } }),
      keys.build({ operation: "qa", text: "t", options: { a: "true" } }),
      keys.build({ operation: "qa", text: "t", options: { a: null } }),
      keys.build({ operation: "qa", text: "t", options: { a: { b: 1 } } }),
      keys.build({ operation: "qa", text: "t", options: { "a.b": 1 } }),
      keys.build({ operation: "qa", text: "t", options: { a: [1, 2] } }),
      keys.build({ operation: "qa", text: "t", options: { a: "1,2" } }),
    ];
    expect(new Set(distinct).size).toBe(distinct.length);
    expect(keys.build({ operation: "qa", text: "a|b" })).not.toBe(keys.build({ operation: "qa", text: "a_b" }));
    expect(keys.build({ operation: "qa", text: "a:b" })).not.toBe(keys.build({ operation: "qa", text: "a_b" }));
    // Text and question cannot trade places.
    expect(keys.build({ operation: "qa", text: "x", question: "y" })).not.toBe(keys.build({ operation: "qa", text: "y", question: "x" }));
  });

  test("long texts never share a key because of a shared prefix", () => {
    const base = "word ".repeat(1000);
    expect(keys.build({ operation: "summarize", text: `${base}a` })).not.toBe(keys.build({ operation: "summarize", text: `${base}b` }));
  });

  test("recognise only keys of their own shape", () => {
    expect(keys.isCacheKey("ai_cache:op:x|txt:abc")).toBe(false);
    expect(keys.isCacheKey(`other:op:x|txt:${"0".repeat(32)}`)).toBe(false);
    expect(keys.isCacheKey(`ai_cache:op:x|txt:${"0".repeat(32)}*`)).toBe(false);
    expect(keys.isCacheKey(`ai_cache:op:x|txt:${"0".repeat(32)}`)).toBe(true);
  });

  test("canonical JSON sorts keys at every depth and keeps types", () => {
    expect(canonicalJson({ b: [{ d: 1, c: "2" }], a: null })).toBe('{"a":null,"b":[{"c":"2","d":1}]}');
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});
