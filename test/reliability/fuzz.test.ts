import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { buildTestApp, PRIMARY_KEY, type TestApp } from "../support/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ apiKeys: [PRIMARY_KEY], maxBodyBytes: 64 * 1024, maxTextBytes: 16 * 1024, maxResponseBytes: 32 * 1024, logLevel: "error" });
});
afterAll(() => t.close());

const ROUTES: [string, string][] = [
  ["POST", "/cache/lookup"],
  ["POST", "/cache/store"],
  ["GET", "/cache/entries/KEY"],
  ["DELETE", "/cache/entries/KEY"],
  ["GET", "/internal/cache/status"],
  ["POST", "/internal/cache/invalidate"],
  ["GET", "/internal/cache/invalidation-stats"],
  ["GET", "/internal/cache/invalidation-recommendations"],
  ["GET", "/internal/cache/metrics"],
  ["GET", "/metrics"],
  ["GET", "/health"],
  ["GET", "/ready"],
  ["GET", "/docs/json"],
];

/** Anything but a 5xx; errors must be JSON naming the problem. */
async function expectHandled(response: Response): Promise<void> {
  expect(response.status).toBeLessThan(500);
  if (response.status >= 400) {
    const body = await response.json();
    expect(typeof body.error).toBe("string");
    expect(typeof body.detail).toBe("string");
    expect(body.detail.length).toBeGreaterThan(5);
  } else {
    await response.arrayBuffer();
  }
}

const jsonish = fc.oneof(
  fc
    .record(
      {
        operation: fc.constantFrom("summarize", "qa", "sentiment"),
        text: fc.string({ unit: "binary", maxLength: 300 }),
        options: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })),
        question: fc.string({ maxLength: 40 }),
        response: fc.jsonValue({ maxDepth: 5 }),
      },
      { requiredKeys: ["operation", "text", "response"] },
    )
    .map((v) => JSON.stringify(v)),
  fc.json({ maxDepth: 6 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.record({
    operation: fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom("summarize", "qa", "a|b", "*", "")),
    text: fc.oneof(fc.string({ maxLength: 200 }), fc.integer(), fc.constant(null), fc.string({ unit: "grapheme", maxLength: 50 })),
    options: fc.option(fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 })), fc.jsonValue({ maxDepth: 2 }))),
    question: fc.option(fc.oneof(fc.string({ maxLength: 50 }), fc.integer())),
    response: fc.jsonValue({ maxDepth: 4 }),
    ttl_seconds: fc.option(fc.oneof(fc.integer({ min: -10, max: 10 ** 9 }), fc.double(), fc.string({ maxLength: 5 }))),
  }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => new TextDecoder("utf-8", { fatal: false }).decode(bytes)),
);

const contentTypes = fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/vnd.api+json");
const headerValue = fc.string({ maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s));

describe("fuzzing every route (fast-check)", () => {
  test("random bodies, content types, queries and headers never cause a 5xx", async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        jsonish,
        contentTypes,
        fc.dictionary(fc.constantFrom("pattern", "operation_context", "x", "pattern[]"), fc.string({ maxLength: 300 }), { maxKeys: 3 }),
        fc.record({ authorization: fc.option(headerValue), "x-api-key": fc.option(headerValue), "accept-encoding": fc.option(headerValue) }),
        fc.string({ maxLength: 100 }),
        fc.boolean(),
        async ([method, route], body, contentType, query, rawHeaders, key, withKey) => {
          const headers = new Headers();
          if (contentType) headers.set("content-type", contentType);
          for (const [name, value] of Object.entries(rawHeaders)) if (value !== null) headers.set(name, value);
          if (withKey) headers.set("authorization", `Bearer ${PRIMARY_KEY}`);
          const path = route.replace("KEY", encodeURIComponent(key));
          const search = new URLSearchParams(query).toString();
          const response = await t.app.handle(
            new Request(`http://localhost${path}${search ? `?${search}` : ""}`, { method, headers, body: method === "GET" ? undefined : body }),
          );
          seen.add(response.status);
          await expectHandled(response);
        },
      ),
      { numRuns: 1500, seed: 20261124 },
    );
    // The inputs reach every layer: auth, parsing, validation and the handlers themselves.
    for (const status of [200, 201, 400, 401, 415, 422]) expect(seen).toContain(status);
  }, 60_000);

  const authorized = { "content-type": "application/json", authorization: `Bearer ${PRIMARY_KEY}` };

  test("deep JSON nesting is refused with 400, whatever the depth", async () => {
    for (const depth of [129, 1_000, 20_000]) {
      const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      for (const body of [`{"operation":"x","text":"t","response":${deep}}`, `{"operation":"x","text":"t","options":{"a":${deep}}}`, deep]) {
        const response = await t.app.handle(new Request("http://localhost/cache/store", { method: "POST", headers: authorized, body }));
        expect(response.status).toBe(400);
        expect((await response.json()).error).toBe("too_deeply_nested");
      }
    }
    const fine = `{"operation":"x","text":"t","response":${"[".repeat(100)}"[[[ not nesting"${"]".repeat(100)}}`;
    expect((await t.app.handle(new Request("http://localhost/cache/store", { method: "POST", headers: authorized, body: fine }))).status).toBe(201);
  });

  test("invalid UTF-8 is read with replacement characters, not a crash", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"operation":"x","text":"'), 0xff, 0xfe, 0xc3, 0x28, ...new TextEncoder().encode('","response":1}')]);
    const response = await t.app.handle(new Request("http://localhost/cache/store", { method: "POST", headers: authorized, body: bytes }));
    expect(response.status).toBe(201);
  });
});
