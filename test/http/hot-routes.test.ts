import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { serve, type RunningServer } from "../../src/http/serve.ts";
import { buildTestApp, PRIMARY_KEY, type TestApp } from "../support/app.ts";
import { createMemoryLogger } from "../support/logger.ts";

/**
 * POST /cache/lookup is answered by a hot handler ahead of Elysia (src/http/cache/hot-lookup.ts).
 * Elysia still routes it for in-process callers and documents it; these tests hold the two
 * answers equal, request by request, so the hot route cannot drift from the framework's.
 */

const DATA_KEY = "scoped-data-key-0123";
const READ_KEY = "scoped-read-key-0123";
const TENANT_KEY = "scoped-tenant-key-0123";
const MAX_BODY = 32 * 1024;

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({
    apiKeys: [PRIMARY_KEY],
    scopedApiKeys: [
      { key: DATA_KEY, scopes: ["data"], namespace: null },
      { key: READ_KEY, scopes: ["read"], namespace: null },
      { key: TENANT_KEY, scopes: ["data"], namespace: "tenant-a" },
    ],
    maxBodyBytes: MAX_BODY,
    maxTextBytes: 1024,
  });
  const stored = await t.request("/cache/store", {
    method: "POST",
    headers: { authorization: `Bearer ${PRIMARY_KEY}` },
    json: { operation: "summarize", text: "parity", options: { b: 1, a: [1, 2] }, response: { answer: "cached" } },
  });
  expect(stored.status).toBe(201);
  const tenant = await t.request("/cache/store", {
    method: "POST",
    headers: { authorization: `Bearer ${TENANT_KEY}` },
    json: { operation: "summarize", text: "parity", response: { answer: "tenant" } },
  });
  expect(tenant.status).toBe(201);
});
afterAll(() => t.close());

interface Case {
  readonly name: string;
  /** A function: a body of its own for every call (a lease is handed out once per key). */
  readonly body?: string | (() => string);
  readonly headers?: Record<string, string>;
}

const JSON_TYPE = { "content-type": "application/json" };
const KEYED = { ...JSON_TYPE, authorization: `Bearer ${PRIMARY_KEY}` };
const lookup = (fields: Record<string, unknown>) => JSON.stringify({ operation: "summarize", text: "parity", ...fields });

const CASES: Case[] = [
  { name: "a hit", body: lookup({ options: { a: [1, 2], b: 1 } }), headers: KEYED },
  { name: "a hit, options in another key order", body: lookup({ options: { b: 1, a: [1, 2] } }), headers: KEYED },
  { name: "a miss", body: lookup({ text: "never stored" }), headers: KEYED },
  { name: "a miss under cache_mode off", body: lookup({ cache_mode: "off" }), headers: KEYED },
  { name: "a miss with coalesce (lease handed out)", body: () => lookup({ text: `lease me ${crypto.randomUUID()}`, coalesce: { wait_ms: 0 } }), headers: KEYED },
  { name: "no key", body: lookup({}), headers: JSON_TYPE },
  { name: "a wrong key", body: lookup({}), headers: { ...JSON_TYPE, authorization: "Bearer not-a-key-at-all" } },
  { name: "a key without the data scope", body: lookup({}), headers: { ...JSON_TYPE, "x-api-key": READ_KEY } },
  { name: "a key without the data scope and an invalid body", body: lookup({ operation: "bad op" }), headers: { ...JSON_TYPE, "x-api-key": READ_KEY } },
  { name: "a data-scoped key", body: lookup({ options: { a: [1, 2], b: 1 } }), headers: { ...JSON_TYPE, "x-api-key": DATA_KEY } },
  { name: "a bound key, its own namespace implied", body: lookup({}), headers: { ...JSON_TYPE, "x-api-key": TENANT_KEY } },
  { name: "a bound key naming another namespace", body: lookup({ namespace: "tenant-b" }), headers: { ...JSON_TYPE, "x-api-key": TENANT_KEY } },
  { name: "a bound key with invalid options", body: lookup({ options: [1] }), headers: { ...JSON_TYPE, "x-api-key": TENANT_KEY } },
  { name: "malformed JSON", body: '{"operation":', headers: KEYED },
  { name: "an empty body", body: "", headers: KEYED },
  { name: "no body at all", headers: { authorization: `Bearer ${PRIMARY_KEY}` } },
  { name: "a JSON array", body: "[1,2]", headers: KEYED },
  { name: "text/plain", body: lookup({}), headers: { "content-type": "text/plain", authorization: `Bearer ${PRIMARY_KEY}` } },
  { name: "a body over MAX_BODY_BYTES", body: lookup({ text: "x".repeat(MAX_BODY) }), headers: KEYED },
  { name: "text over CACHE_MAX_TEXT_BYTES", body: lookup({ text: "y".repeat(2000) }), headers: KEYED },
  { name: "nesting deeper than the limit", body: `{"operation":"summarize","text":"a","options":${"[".repeat(200)}${"]".repeat(200)}}`, headers: KEYED },
  { name: "operation missing", body: JSON.stringify({ text: "parity" }), headers: KEYED },
  { name: "operation with a pipe", body: lookup({ operation: "a|b" }), headers: KEYED },
  { name: "text a number", body: lookup({ text: 42 }), headers: KEYED },
  { name: "options a string", body: lookup({ options: "x" }), headers: KEYED },
  { name: "question a number", body: lookup({ question: 3 }), headers: KEYED },
  { name: "namespace with a colon", body: lookup({ namespace: "a:b" }), headers: KEYED },
  { name: "cache_mode unknown", body: lookup({ cache_mode: "sometimes" }), headers: KEYED },
  { name: "max_stale_seconds negative", body: lookup({ max_stale_seconds: -1 }), headers: KEYED },
  { name: "coalesce.wait_ms too long", body: lookup({ coalesce: { wait_ms: 3_600_000 } }), headers: KEYED },
  { name: "coalesce.lease_ttl_ms too short", body: lookup({ coalesce: { wait_ms: 0, lease_ttl_ms: 1 } }), headers: KEYED },
];

const COMPARED_HEADERS = ["content-type", "x-cache", "cache-status", "age", "www-authenticate", "retry-after"];

async function snapshot(response: Response) {
  const text = await response.text();
  const body = response.headers.get("content-type")?.includes("json") ? (JSON.parse(text) as Record<string, unknown>) : text;
  // The lease token is new on every miss that takes one; the age may tick between the two calls.
  if (typeof body === "object" && body !== null) {
    if (typeof body.lease === "object" && body.lease !== null) body.lease = { ...body.lease, token: typeof (body.lease as { token: unknown }).token };
    if (typeof body.lease === "object" && typeof body.key === "string") body.key = "a key of its own";
    if (typeof body.age_seconds === "number") body.age_seconds = body.age_seconds >= 0 && body.age_seconds < 60;
  }
  return { status: response.status, headers: Object.fromEntries(COMPARED_HEADERS.map((name) => [name, response.headers.get(name)])), body };
}

const build = (c: Case) => new Request("http://localhost/cache/lookup", { method: "POST", headers: c.headers, body: typeof c.body === "function" ? c.body() : c.body });

describe("the hot lookup route answers exactly as the Elysia route", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const viaApp = await snapshot(await t.app.handle(build(c)));
      const viaHot = await snapshot(await t.hot["/cache/lookup"]!.POST!(build(c)));
      expect(viaHot).toEqual(viaApp);
      // Twice: the second time the body comes from the hot route's memo.
      const again = await snapshot(await t.hot["/cache/lookup"]!.POST!(build(c)));
      expect(again).toEqual(viaApp);
    });
  }

  test("the cases cover every status the route can answer with", () => {
    // Guards the list above: a case that silently stopped failing would shrink it.
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  test("the memo never lets one namespace's key answer for another", async () => {
    const body = lookup({});
    const plain = await (await t.hot["/cache/lookup"]!.POST!(build({ name: "", body, headers: KEYED }))).json();
    const bound = await (await t.hot["/cache/lookup"]!.POST!(build({ name: "", body, headers: { ...JSON_TYPE, "x-api-key": TENANT_KEY } }))).json();
    const plainAgain = await (await t.hot["/cache/lookup"]!.POST!(build({ name: "", body, headers: KEYED }))).json();
    expect(plain.hit).toBe(false);
    expect(bound).toMatchObject({ hit: true, response: { answer: "tenant" } });
    expect(bound.key).toContain("ns:tenant-a|");
    expect(plainAgain.key).toBe(plain.key);
    expect(plainAgain.key).not.toContain("ns:");
  });

  test("an in-process request goes through the sidecar's dispatch to the hot route", async () => {
    // A method that is an Object member is no route: it reaches the app, which knows no such route.
    const odd = await t.fetch(new Request("http://localhost/cache/lookup", { method: "constructor" }));
    expect(odd.status).toBe(404);
    expect(await odd.json()).toMatchObject({ error: "not_found" });
  });
});

describe("a plain hit's answer is rendered once and served again only while it is still true", () => {
  const ask = async (text: string) => {
    const response = await t.request("/cache/lookup", { method: "POST", headers: { authorization: `Bearer ${PRIMARY_KEY}` }, json: { operation: "qa", text } });
    return { age: response.headers.get("age"), body: (await response.json()) as { hit: boolean; response?: unknown; age_seconds?: number } };
  };
  const put = async (text: string, response: unknown) => {
    const stored = await t.request("/cache/store", { method: "POST", headers: { authorization: `Bearer ${PRIMARY_KEY}` }, json: { operation: "qa", text, response } });
    expect(stored.status).toBe(201);
  };

  test("a new value under the same key is answered at once, whatever the age", async () => {
    await put("rendered: replaced", { v: 1 });
    expect((await ask("rendered: replaced")).body.response).toEqual({ v: 1 });
    await put("rendered: replaced", { v: 2 });
    expect((await ask("rendered: replaced")).body.response).toEqual({ v: 2 });
  });

  test("a deleted entry is a miss, though its answer was rendered a moment ago", async () => {
    await put("rendered: deleted", { v: "gone soon" });
    const hit = await ask("rendered: deleted");
    expect(hit.body.hit).toBe(true);
    const key = t.cache.keyFor({ operation: "qa", text: "rendered: deleted" });
    const deleted = await t.request(`/cache/entries/${encodeURIComponent(key)}`, { method: "DELETE", headers: { authorization: `Bearer ${PRIMARY_KEY}` } });
    expect(deleted.status).toBe(200);
    expect((await ask("rendered: deleted")).body.hit).toBe(false);
  });

  test("the age goes on counting, in the body and the Age header alike", async () => {
    await put("rendered: ageing", { v: "old" });
    const first = await ask("rendered: ageing");
    await Bun.sleep(1100);
    const later = await ask("rendered: ageing");
    expect(later.body.age_seconds!).toBeGreaterThan(first.body.age_seconds! + 1);
    expect(Number(later.age)).toBeGreaterThanOrEqual(1);
    expect(Number(later.age)).toBe(Math.floor(later.body.age_seconds!));
  });

  test("answers too large to keep rendered are answered all the same", async () => {
    const large = { text: "r".repeat(20_000) };
    await put("rendered: large", large);
    expect((await ask("rendered: large")).body.response).toEqual(large);
    expect((await ask("rendered: large")).body.response).toEqual(large);
  });
});

describe("the hot route over a real port", () => {
  let running: RunningServer;
  const logger = createMemoryLogger("info");

  beforeAll(async () => {
    running = serve(t.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: MAX_BODY, shutdownTimeoutMs: 2000, logger, httpMetrics: t.httpMetrics, routes: t.hot });
  });
  afterAll(() => running.shutdown());

  test("answers a hit with a request id, an access-log line and its HTTP series", async () => {
    const before = t.httpMetrics.snapshot().find((s) => s.route === "/cache/lookup" && s.method === "POST")?.count ?? 0;
    const response = await fetch(`${running.url}/cache/lookup`, { method: "POST", headers: { ...KEYED, "x-request-id": "hot-route-1" }, body: lookup({ options: { a: [1, 2], b: 1 } }) });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("hot-route-1");
    expect(await response.json()).toMatchObject({ hit: true, response: { answer: "cached" }, tier: "memory" });
    const line = logger.records().find((record) => record.msg === "request" && record.request_id === "hot-route-1");
    expect(line).toMatchObject({ method: "POST", path: "/cache/lookup", status: 200 });
    const after = t.httpMetrics.snapshot().find((s) => s.route === "/cache/lookup" && s.method === "POST")?.count ?? 0;
    expect(after).toBe(before + 1);
  });

  test("other methods and a trailing slash fall through to the app", async () => {
    const get = await fetch(`${running.url}/cache/lookup`, { headers: { authorization: `Bearer ${PRIMARY_KEY}` } });
    expect(get.status).toBe(404);
    expect(await get.json()).toMatchObject({ error: "not_found" });
    const slash = await fetch(`${running.url}/cache/lookup/`, { method: "POST", headers: KEYED, body: lookup({ options: { a: [1, 2], b: 1 } }) });
    expect(slash.status).toBe(200);
    expect(await slash.json()).toMatchObject({ hit: true, response: { answer: "cached" } });
  });

  test("a refused body is read to its end, so the client reads the 413 on a connection still usable", async () => {
    const big = lookup({ text: "z".repeat(MAX_BODY * 4) });
    const first = await fetch(`${running.url}/cache/lookup`, { method: "POST", headers: KEYED, body: big });
    expect(first.status).toBe(413);
    expect(await first.json()).toMatchObject({ error: "payload_too_large" });
    const next = await fetch(`${running.url}/cache/lookup`, { method: "POST", headers: KEYED, body: lookup({ text: "after" }) });
    expect(next.status).toBe(200);
  });
});
