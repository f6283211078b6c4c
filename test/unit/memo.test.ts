import { expect, test } from "bun:test";
import { BoundedMemo } from "../../src/http/memo.ts";

test("a bounded memo keeps at most its capacity, dropping the oldest insertion first", () => {
  const memo = new BoundedMemo<string, number>(3);
  for (const [key, value] of [["a", 1], ["b", 2], ["c", 3]] as const) memo.set(key, value);
  // Overwriting a present key takes no room.
  memo.set("a", 10);
  expect([memo.get("a"), memo.get("b"), memo.get("c")]).toEqual([10, 2, 3]);
  memo.set("d", 4);
  expect(memo.get("a")).toBeUndefined();
  expect([memo.get("b"), memo.get("c"), memo.get("d")]).toEqual([2, 3, 4]);
});
