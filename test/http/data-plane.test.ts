import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { DeleteResponse, EntryResponse, LookupResponse, StoreResponse } from "../../src/http/cache/model.ts";
import { ErrorResponse } from "../../src/http/error-model.ts";
import { ADDITIONAL_KEY, buildTestApp, PRIMARY_KEY, type TestApp } from "../support/app.ts";

let t: TestApp;
const auth = { authorization: `Bearer ${PRIMARY_KEY}` };
beforeAll(async () => {
  t = await buildTestApp({ apiKeys: [PRIMARY_KEY, ADDITIONAL_KEY], maxTextBytes: 2048, maxResponseBytes: 4096, maxBodyBytes: 16384 });
});
afterAll(() => t.close());

const lookup = (body: unknown, headers: Record<string, string> = auth) => t.request("/cache/lookup", { method: "POST", json: body, headers });
const store = (body: unknown, headers: Record<string, string> = auth) => t.request("/cache/store", { method: "POST", json: body, headers });

describe("data plane (memory tier)", () => {
  test("a miss, a store, then a hit with the same response", async () => {
    const request = { operation: "summarize", text: "A long article", options: { max_length: 50 } };
    const miss = await lookup(request);
    expect(miss.status).toBe(200);
    expect(miss.headers.get("x-cache")).toBe("MISS");
    const missBody = await miss.json();
    expect(Value.Check(LookupResponse, missBody)).toBe(true);
    expect(missBody.hit).toBe(false);

    const response = { summary: "Short.", tokens: [1, 2, 3], nested: { ok: true, nothing: null } };
    const stored = await store({ ...request, response });
    expect(stored.status).toBe(201);
    const storedBody = await stored.json();
    expect(Value.Check(StoreResponse, storedBody)).toBe(true);
    expect(storedBody).toMatchObject({ key: missBody.key, ttl_seconds: 7200, compressed: false, tiers: ["memory"] });

    const hit = await lookup(request);
    expect(hit.headers.get("x-cache")).toBe("HIT");
    const hitBody = await hit.json();
    expect(Value.Check(LookupResponse, hitBody)).toBe(true);
    expect(hitBody).toMatchObject({ hit: true, key: missBody.key, response, tier: "memory" });
    expect(hitBody.age_seconds).toBeGreaterThanOrEqual(0);
  });

  test("options that differ only in type do not share an entry", async () => {
    await store({ operation: "qa", text: "t", options: { a: 1 }, response: "numeric" });
    const other = await (await lookup({ operation: "qa", text: "t", options: { a: "1" } })).json();
    expect(other.hit).toBe(false);
    const same = await (await lookup({ operation: "qa", text: "t", options: { a: 1 } })).json();
    expect(same.response).toBe("numeric");
  });

  test("any JSON value can be stored", async () => {
    for (const [i, response] of [0, "", false, null, [], {}, [1, [2, [3]]], "日本語 🚀"].entries()) {
      const request = { operation: "any", text: `value ${i}` };
      expect((await store({ ...request, response })).status).toBe(201);
      expect((await (await lookup(request)).json()).response).toEqual(response);
    }
  });

  test("ttl_seconds overrides the operation's TTL; unknown operations get the default", async () => {
    expect((await (await store({ operation: "custom", text: "a", response: 1, ttl_seconds: 5 })).json()).ttl_seconds).toBe(5);
    expect((await (await store({ operation: "custom", text: "b", response: 1 })).json()).ttl_seconds).toBe(3600);
    expect((await store({ operation: "custom", text: "c", response: 1, ttl_seconds: 0 })).status).toBe(422);
  });

  test("entries can be read and deleted by key", async () => {
    const { key } = await (await store({ operation: "sentiment", text: "great", response: { label: "positive" } })).json();
    const path = `/cache/entries/${encodeURIComponent(key)}`;
    const entry = await t.request(path, { headers: auth });
    expect(entry.status).toBe(200);
    const entryBody = await entry.json();
    expect(Value.Check(EntryResponse, entryBody)).toBe(true);
    expect(entryBody).toMatchObject({ key, response: { label: "positive" }, tier: "memory" });
    expect(entryBody.ttl_seconds).toBeGreaterThan(86_000);

    const deleted = await (await t.request(path, { method: "DELETE", headers: auth })).json();
    expect(Value.Check(DeleteResponse, deleted)).toBe(true);
    expect(deleted).toEqual({ deleted: true, tiers: ["memory"], complete: true });
    expect((await (await t.request(path, { method: "DELETE", headers: auth })).json()).deleted).toBe(false);
    const gone = await t.request(path, { headers: auth });
    expect(gone.status).toBe(404);
    expect(Value.Check(ErrorResponse, await gone.json())).toBe(true);
  });

  test("a key of the wrong shape is refused with 422", async () => {
    for (const key of ["foo", "ai_cache:*", "other:op:x|txt:00000000000000000000000000000000"]) {
      const response = await t.request(`/cache/entries/${encodeURIComponent(key)}`, { headers: auth });
      expect(response.status).toBe(422);
      expect((await response.json()).field).toBe("key");
    }
  });

  test("operation names that could alter keys are refused", async () => {
    for (const operation of ["a|b", "a:b", "a*", "a?", "[a]", "", "x".repeat(65), "a b"]) {
      const response = await lookup({ operation, text: "t" });
      expect(response.status).toBe(422);
      expect((await response.json()).field).toBe("operation");
    }
  });

  test("every size limit is enforced with 413 naming the limit, its size and the field", async () => {
    const refusals: [string, Response, string, number, string | undefined][] = [
      // Counted in UTF-8 bytes: 1,100 characters of 2 bytes each are over 2,048.
      ["text", await lookup({ operation: "x", text: "é".repeat(1100) }), "CACHE_MAX_TEXT_BYTES", 2048, "text"],
      ["question", await lookup({ operation: "x", text: "t", question: "q".repeat(2049) }), "CACHE_MAX_TEXT_BYTES", 2048, "question"],
      ["response", await store({ operation: "x", text: "t", response: "r".repeat(4100) }), "CACHE_MAX_RESPONSE_BYTES", 4096, "response"],
      ["body", await store({ operation: "x", text: "t", response: "r".repeat(20_000) }), "MAX_BODY_BYTES", 16384, undefined],
    ];
    for (const [what, response, limit, bytes, field] of refusals) {
      const body = await response.json();
      expect([what, response.status]).toEqual([what, 413]);
      expect(Value.Check(ErrorResponse, body)).toBe(true);
      expect(body.error).toBe("payload_too_large");
      expect(body.detail).toContain(`${limit} (${bytes} bytes)`);
      expect(body.field).toBe(field);
    }
    // Exactly at each limit is accepted.
    expect((await lookup({ operation: "x", text: "é".repeat(1024) })).status).toBe(200);
    expect((await store({ operation: "x", text: "t", response: "r".repeat(4094) })).status).toBe(201);
  });

  test("with keys configured, every data-plane call needs one", async () => {
    const request = { operation: "x", text: "t" };
    expect((await lookup(request, {})).status).toBe(401);
    expect((await lookup(request, { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await lookup(request, { "x-api-key": ADDITIONAL_KEY })).status).toBe(200);
    expect((await store({ ...request, response: 1 }, {})).status).toBe(401);
    const key = encodeURIComponent(`ai_cache:op:x|txt:${"0".repeat(32)}`);
    expect((await t.request(`/cache/entries/${key}`)).status).toBe(401);
    expect((await t.request(`/cache/entries/${key}`, { method: "DELETE" })).status).toBe(401);
    const refused = await lookup(request, {});
    expect(refused.headers.get("www-authenticate")).toContain("Bearer");
    expect(Value.Check(ErrorResponse, await refused.json())).toBe(true);
  });

  test("a store the memory tier cannot hold with no Redis is refused with 503, not lost silently", async () => {
    const tiny = await buildTestApp({ memoryMaxBytes: 300 });
    const response = await tiny.request("/cache/store", { method: "POST", json: { operation: "x", text: "t", response: "r".repeat(400) } });
    expect(response.status).toBe(503);
    expect((await response.json()).error).toBe("not_stored");
    await tiny.close();
  });
});
