import { describe, expect, test } from "bun:test";
import { CacheKeyBuilder } from "../../src/engine/key.ts";
import { loadConfig } from "../../src/config/load.ts";
import { buildTestApp } from "../support/app.ts";

const post = (app: Awaited<ReturnType<typeof buildTestApp>>, path: string, body: string) =>
  app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body });

describe("keys are injective over every string JSON can carry", () => {
  test("texts differing only in lone surrogates get different keys, and each reads back its own value", async () => {
    const app = await buildTestApp();
    // Sent as JSON escapes, exactly as a client's JSON encoder writes lone surrogates.
    const texts = ["price \\ud800", "price \\udfff", "price \\ufffd", "price \\ud800\\udc00", "price \\udc00\\ud800"];
    const keys = new Set<string>();
    for (const [i, text] of texts.entries()) {
      const stored = await post(app, "/cache/store", `{"operation":"x","text":"${text}","response":${i}}`);
      expect(stored.status).toBe(201);
      keys.add((await stored.json()).key);
    }
    expect(keys.size).toBe(texts.length);
    for (const [i, text] of texts.entries()) {
      const found = await (await post(app, "/cache/lookup", `{"operation":"x","text":"${text}"}`)).json();
      expect(found).toMatchObject({ hit: true, response: i });
    }
  });

  test("the same holds for questions and for strings inside options", () => {
    const keys = new CacheKeyBuilder("ai_cache");
    const built = ["\ud800", "\udfff", "\ufffd"].flatMap((odd) => [
      keys.build({ operation: "x", text: "t", question: `q${odd}` }),
      keys.build({ operation: "x", text: "t", options: { model: `m${odd}` } }),
      keys.build({ operation: "x", text: "t", options: { [`k${odd}`]: 1 } }),
    ]);
    expect(new Set(built).size).toBe(built.length);
  });

  test("well-formed text keeps the key it always had (entries already stored stay readable)", () => {
    const keys = new CacheKeyBuilder("ai_cache");
    const expected = new Bun.CryptoHasher("sha256").update("héllo wörld ✓ 😀").digest("hex").slice(0, 32);
    expect(keys.build({ operation: "x", text: "héllo wörld ✓ 😀" })).toBe(`ai_cache:op:x|txt:${expected}`);
  });
});

describe("options must be a JSON object or null", () => {
  for (const options of ["0.2", "0.9", "false", "true", '"gpt-4"', '["g","p","t","-","4"]', "0", '""', "[]"]) {
    test(`options: ${options} is refused with 422 naming the field, on lookup and store`, async () => {
      const app = await buildTestApp();
      for (const [path, extra] of [["/cache/lookup", ""], ["/cache/store", ',"response":1']] as const) {
        const response = await post(app, path, `{"operation":"x","text":"t","options":${options}${extra}}`);
        expect(response.status).toBe(422);
        expect(await response.json()).toMatchObject({ error: "validation_error", field: "options" });
      }
      expect(app.cache.memory.size).toBe(0);
    });
  }

  test("null, an empty object and no options are the same request; an object that looks like an array is not an array", async () => {
    const app = await buildTestApp();
    const keyOf = async (options: string) => (await (await post(app, "/cache/lookup", `{"operation":"x","text":"t"${options}}`)).json()).key;
    const plain = await keyOf("");
    expect(await keyOf(',"options":null')).toBe(plain);
    expect(await keyOf(',"options":{}')).toBe(plain);
    const arrayLike = await keyOf(',"options":{"0":"g","1":"p"}');
    expect(arrayLike).not.toBe(plain);
    expect(await keyOf(',"options":{"1":"p","0":"g"}')).toBe(arrayLike);
  });
});

describe("operation names that are properties of every JavaScript object", () => {
  for (const operation of ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty", "__defineGetter__", "isPrototypeOf"]) {
    test(`${operation}: stored with the default TTL, read back, listed with a finite TTL`, async () => {
      const app = await buildTestApp({ redisUrl: null });
      const stored = await post(app, "/cache/store", JSON.stringify({ operation, text: "t", response: { ok: operation } }));
      expect(stored.status).toBe(201);
      const body = await stored.json();
      expect(body.ttl_seconds).toBe(app.config.defaultTtlSeconds);
      expect(await (await post(app, "/cache/lookup", JSON.stringify({ operation, text: "t" }))).json()).toMatchObject({ hit: true, response: { ok: operation } });
      const entry = await app.request(`/cache/entries/${encodeURIComponent(body.key)}`);
      const text = await entry.text();
      expect(text).not.toContain("NaN");
      const ttl = JSON.parse(text).ttl_seconds;
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(app.config.defaultTtlSeconds);
    });
  }

  test("a per-operation TTL named like one is read from the environment and honoured", async () => {
    const { operationTtls } = loadConfig({ CACHE_OPERATION_TTLS: "constructor=42,__proto__=43" });
    expect(Object.hasOwn(operationTtls, "__proto__")).toBe(true);
    const app = await buildTestApp({ operationTtls });
    for (const [operation, ttl] of [["constructor", 42], ["__proto__", 43], ["toString", app.config.defaultTtlSeconds]] as const) {
      const stored = await post(app, "/cache/store", JSON.stringify({ operation, text: "t", response: 1 }));
      expect((await stored.json()).ttl_seconds).toBe(ttl);
    }
  });
});
