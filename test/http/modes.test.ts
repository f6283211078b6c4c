import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { narrowMode, CACHE_MODES } from "../../src/engine/mode.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";

const apps = new Map<string, TestApp>();

beforeAll(async () => {
  for (const mode of CACHE_MODES) apps.set(mode, await buildTestApp({ cacheMode: mode }));
});
afterAll(async () => {
  for (const app of apps.values()) await app.close();
});

async function post(t: TestApp, path: string, json: unknown): Promise<{ status: number; body: any; xCache: string | null }> {
  const response = await t.request(path, { method: "POST", json });
  return { status: response.status, body: await response.json(), xCache: response.headers.get("x-cache") };
}

describe("cache modes", () => {
  test("a request narrows the operator's mode, never widens it", () => {
    const table = CACHE_MODES.map((operator) => CACHE_MODES.map((requested) => narrowMode(operator, requested)));
    expect(table).toEqual([
      ["read_write", "read_only", "write_only", "off"],
      ["read_only", "read_only", "off", "off"],
      ["write_only", "off", "write_only", "off"],
      ["off", "off", "off", "off"],
    ]);
    for (const operator of CACHE_MODES) expect(narrowMode(operator, undefined)).toBe(operator);
  });

  for (const operator of CACHE_MODES) {
    for (const requested of [undefined, ...CACHE_MODES]) {
      const mode = narrowMode(operator, requested);
      const reads = mode === "read_write" || mode === "read_only";
      const writes = mode === "read_write" || mode === "write_only";
      test(`CACHE_MODE=${operator}, cache_mode ${requested ?? "unset"}: ${reads ? "reads" : "never reads"}, ${writes ? "writes" : "writes nothing"}`, async () => {
        const t = apps.get(operator)!;
        const text = `mode ${operator} ${requested}`;
        const withMode = (body: object) => (requested === undefined ? body : { ...body, cache_mode: requested });
        // An entry placed behind the mode's back, to see whether lookups read it.
        const key = t.cache.keyFor({ operation: "summarize", text });
        await t.cache.storeKey(key, "summarize", JSON.stringify("existing"));
        const looked = await post(t, "/cache/lookup", withMode({ operation: "summarize", text }));
        expect(looked.status).toBe(200);
        if (reads) expect(looked.body).toMatchObject({ hit: true, response: "existing" });
        else expect([looked.body, looked.xCache]).toEqual([{ hit: false, key, mode }, "MISS"]);
        const stored = await post(t, "/cache/store", withMode({ operation: "summarize", text, response: "new" }));
        if (writes) {
          expect(stored.status).toBe(201);
          expect(stored.body.tiers).toEqual(["memory"]);
        } else {
          expect([stored.status, stored.body]).toEqual([200, { key, stored: false, mode, tiers: [] }]);
        }
        expect((await t.cache.lookupKey(key, "summarize")).hit && JSON.parse((await t.cache.lookupKey(key, "summarize") as { json: string }).json)).toBe(writes ? "new" : "existing");
      });
    }
  }

  test("an unknown cache_mode is refused naming the field", async () => {
    const answer = await post(apps.get("read_write")!, "/cache/lookup", { operation: "summarize", text: "x", cache_mode: "write_mostly" });
    expect(answer.status).toBe(422);
    expect(answer.body.field).toContain("cache_mode");
  });
});
