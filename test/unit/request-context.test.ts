import { describe, expect, test } from "bun:test";
import { requestContext } from "../../src/logging/context.ts";

describe("the request context", () => {
  test("a request's context follows its work across awaits; outside one there is none", async () => {
    // Made on first use; prepare() makes it ahead (main.ts, while the app loads), and again is a no-op.
    requestContext.prepare();
    requestContext.prepare();
    expect(requestContext.getStore()).toBeUndefined();
    const seen = await requestContext.run({ request_id: "r-1" }, async (a: number, b: string) => {
      await Bun.sleep(1);
      const inside = requestContext.getStore();
      const outside = requestContext.exit(() => requestContext.getStore());
      return { inside, outside, a, b };
    }, 7, "x");
    expect(seen).toEqual({ inside: { request_id: "r-1" }, outside: undefined, a: 7, b: "x" });
    expect(requestContext.getStore()).toBeUndefined();
    // Two requests at once keep their own.
    const both = await Promise.all(
      ["r-2", "r-3"].map((id) => requestContext.run({ request_id: id }, async () => (await Bun.sleep(1), requestContext.getStore()?.request_id))),
    );
    expect(both).toEqual(["r-2", "r-3"]);
  });
});
