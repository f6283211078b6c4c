import { describe, expect, test } from "bun:test";
import { globMatch, patternProblem } from "../../src/engine/glob.ts";

describe("glob matching (Redis semantics)", () => {
  const cases: [string, string, boolean][] = [
    ["*", "", true],
    ["*", "anything", true],
    ["a*", "abc", true],
    ["a*", "bac", false],
    ["*c", "abc", true],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["[abc]x", "bx", true],
    ["[abc]x", "dx", false],
    ["[^abc]x", "dx", true],
    ["[^abc]x", "ax", false],
    ["[a-c]", "b", true],
    ["[c-a]", "b", true],
    ["[a-c]", "d", false],
    ["\\*", "*", true],
    ["\\*", "a", false],
    ["a\\?b", "a?b", true],
    ["ai_cache:*summarize*", "ai_cache:op:summarize|txt:00", true],
    ["ai_cache:*summarize*", "other:op:summarize", false],
    ["ai_cache:*op:qa|*", "ai_cache:op:qa|txt:1", true],
    ["ai_cache:*op:qa|*", "ai_cache:op:qa2|txt:1", false],
    ["*a*b*c*", "xxaxxbxxcxx", true],
    ["*a*b*c*", "xxaxxcxxbxx", false],
  ];
  for (const [pattern, text, expected] of cases) {
    test(`${pattern} ~ ${JSON.stringify(text)} is ${expected}`, () => {
      expect(globMatch(pattern, text)).toBe(expected);
    });
  }

  test("pathological patterns finish quickly (no exponential backtracking)", () => {
    const pattern = `${"*a".repeat(16)}*b`;
    const text = "a".repeat(5000);
    expect(globMatch(pattern, text)).toBe(false);
  });
});

describe("pattern validation", () => {
  test("accepts ordinary patterns", () => {
    for (const pattern of ["", "summarize", "op:qa|*", "[a-z]*", "\\*literal"]) expect(patternProblem(pattern)).toBeNull();
  });
  test("names what is wrong", () => {
    expect(patternProblem("x".repeat(257))).toContain("longer than 256");
    expect(patternProblem("a\nb")).toContain("control characters");
    expect(patternProblem("a[bc")).toContain("unclosed");
    expect(patternProblem("abc\\")).toContain("backslash");
    expect(patternProblem("*a".repeat(17))).toContain("wildcards");
  });
});
