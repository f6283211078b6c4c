import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildTestApp, PRIMARY_KEY, type TestApp } from "../support/app.ts";

/** Routes open to all (probes, scrapers, the docs): no key is ever checked there. */
const OPEN = new Set(["get /health", "get /ready", "get /metrics"]);

const KEYS = {
  read: "scoped-read-key",
  data: "scoped-data-key",
  invalidate: "scoped-invalidate-key",
  admin: "scoped-admin-key",
  readData: "scoped-read-data-key",
  tenant: "scoped-tenant-a-key",
  tenantInvalidate: "scoped-tenant-a-invalidate-key",
} as const;

let t: TestApp;
let entryKey: string;

beforeAll(async () => {
  t = await buildTestApp({
    apiKeys: [PRIMARY_KEY],
    scopedApiKeys: [
      { key: KEYS.read, scopes: ["read"], namespace: null },
      { key: KEYS.data, scopes: ["data"], namespace: null },
      { key: KEYS.invalidate, scopes: ["invalidate"], namespace: null },
      { key: KEYS.admin, scopes: ["admin"], namespace: null },
      { key: KEYS.readData, scopes: ["read", "data"], namespace: null },
      { key: KEYS.tenant, scopes: ["data"], namespace: "tenant-a" },
      { key: KEYS.tenantInvalidate, scopes: ["data", "invalidate"], namespace: "tenant-a" },
    ],
  });
  // In the namespace of the bound keys, so they may address it too.
  entryKey = t.cache.keys.build({ namespace: "tenant-a", operation: "summarize", text: "matrix" });
});
afterAll(() => t.close());

async function call(method: string, path: string, key: string | null, json?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  const response = await t.request(path, { method, headers, json });
  return { status: response.status, body: response.headers.get("content-type")?.includes("json") ? await response.json() : null };
}

interface RouteCase {
  readonly method: string;
  readonly path: string;
  readonly documented: string;
  readonly scope: "read" | "data" | "invalidate";
  readonly auth: "required" | "optional";
  readonly body?: () => unknown;
}

const ROUTES: RouteCase[] = [
  { method: "POST", path: "/cache/lookup", documented: "post /cache/lookup", scope: "data", auth: "required", body: () => ({ operation: "summarize", text: "matrix" }) },
  { method: "POST", path: "/cache/store", documented: "post /cache/store", scope: "data", auth: "required", body: () => ({ operation: "summarize", text: "matrix", response: 1 }) },
  { method: "GET", path: "/cache/entries/KEY", documented: "get /cache/entries/{key}", scope: "data", auth: "required" },
  { method: "DELETE", path: "/cache/entries/KEY", documented: "delete /cache/entries/{key}", scope: "invalidate", auth: "required" },
  { method: "POST", path: "/cache/lease/release", documented: "post /cache/lease/release", scope: "data", auth: "required", body: () => ({ key: entryKey, lease_token: "m0000000000000000000000" }) },
  { method: "POST", path: "/cache/lease/renew", documented: "post /cache/lease/renew", scope: "data", auth: "required", body: () => ({ key: entryKey, lease_token: "m0000000000000000000000" }) },
  { method: "GET", path: "/internal/cache/status", documented: "get /internal/cache/status", scope: "read", auth: "optional" },
  { method: "POST", path: "/internal/cache/invalidate?pattern=matrix-none", documented: "post /internal/cache/invalidate", scope: "invalidate", auth: "required" },
  { method: "GET", path: "/internal/cache/invalidation-stats", documented: "get /internal/cache/invalidation-stats", scope: "read", auth: "optional" },
  { method: "GET", path: "/internal/cache/invalidation-recommendations", documented: "get /internal/cache/invalidation-recommendations", scope: "read", auth: "optional" },
  { method: "GET", path: "/internal/cache/metrics", documented: "get /internal/cache/metrics", scope: "read", auth: "optional" },
  { method: "GET", path: "/dashboard/data", documented: "get /dashboard/data", scope: "read", auth: "required" },
];

/** Which presented keys a route with `scope` admits. */
const ADMITS: Record<keyof typeof KEYS, readonly string[]> = {
  read: ["read"],
  data: ["data"],
  invalidate: ["invalidate"],
  admin: ["read", "data", "invalidate"],
  readData: ["read", "data"],
  tenant: ["data"],
  tenantInvalidate: ["data", "invalidate"],
};

describe("scoped API keys", () => {
  test("the matrix covers every documented route that checks a key", async () => {
    const spec = await (await t.request("/docs/json", { headers: { authorization: `Bearer ${PRIMARY_KEY}` } })).json();
    const documented = Object.entries(spec.paths as Record<string, object>).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
    expect(documented.filter((route) => !OPEN.has(route)).sort()).toEqual(ROUTES.map((route) => route.documented).sort());
  });

  for (const route of ROUTES) {
    test(`${route.method} ${route.documented}: ${route.scope} scope (or admin, or a full key); others 403 naming it`, async () => {
      const path = route.path.replace("KEY", encodeURIComponent(entryKey));
      for (const [name, key] of Object.entries(KEYS) as [keyof typeof KEYS, string][]) {
        const answer = await call(route.method, path, key, route.body?.());
        if (ADMITS[name].includes(route.scope)) {
          expect([name, answer.status === 401 || answer.status === 403]).toEqual([name, false]);
        } else {
          expect([name, answer.status, answer.body]).toEqual([name, 403, { error: "forbidden", detail: `this API key lacks the '${route.scope}' scope`, scope: route.scope }]);
        }
      }
      // API_KEY keeps full access; a wrong key is 401 whatever the route (before any scope is looked at).
      expect((await call(route.method, path, PRIMARY_KEY, route.body?.())).status).not.toBeOneOf([401, 403]);
      expect((await call(route.method, path, "not-a-configured-key", route.body?.())).status).toBe(401);
      const anonymous = await call(route.method, path, null, route.body?.());
      if (route.auth === "required") expect(anonymous.status).toBe(401);
      else expect(anonymous.status).toBe(200);
    });
  }
});

describe("keys bound to a namespace", () => {
  const post = (path: string, key: string, json?: unknown) => call("POST", path, key, json);

  test("requests of a bound key land in its namespace; naming another is refused", async () => {
    const stored = await post("/cache/store", KEYS.tenant, { operation: "summarize", text: "bound", response: "a's" });
    expect(stored.status).toBe(201);
    expect(stored.body.key.startsWith("ai_cache:ns:tenant-a|op:summarize|")).toBe(true);
    expect((await post("/cache/lookup", KEYS.tenant, { namespace: "tenant-a", operation: "summarize", text: "bound" })).body.response).toBe("a's");
    // The same request with a full key, without a namespace, is another entry.
    expect((await post("/cache/lookup", PRIMARY_KEY, { operation: "summarize", text: "bound" })).body.hit).toBe(false);
    for (const [path, json] of [
      ["/cache/lookup", { namespace: "tenant-b", operation: "summarize", text: "bound" }],
      ["/cache/store", { namespace: "tenant-b", operation: "summarize", text: "bound", response: 1 }],
    ] as const) {
      const refused = await post(path, KEYS.tenant, json);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ error: "forbidden", detail: "this API key is bound to namespace 'tenant-a' and may not reach another" });
    }
  });

  test("a bound key cannot read, delete or lease keys of another namespace", async () => {
    const foreign = (await post("/cache/store", PRIMARY_KEY, { namespace: "tenant-b", operation: "summarize", text: "foreign", response: "b's" })).body.key;
    const plain = (await post("/cache/store", PRIMARY_KEY, { operation: "summarize", text: "foreign", response: "nobody's" })).body.key;
    for (const key of [foreign, plain]) {
      expect((await call("GET", `/cache/entries/${encodeURIComponent(key)}`, KEYS.tenant)).status).toBe(403);
      expect((await call("DELETE", `/cache/entries/${encodeURIComponent(key)}`, KEYS.tenantInvalidate)).status).toBe(403);
      expect((await post("/cache/lease/renew", KEYS.tenant, { key, lease_token: "m0000000000000000000000" })).status).toBe(403);
      expect((await post("/cache/lease/release", KEYS.tenant, { key, lease_token: "m0000000000000000000000" })).status).toBe(403);
    }
    expect((await call("GET", `/cache/entries/${encodeURIComponent(foreign)}`, PRIMARY_KEY)).body.response).toBe("b's");
    const own = (await post("/cache/store", KEYS.tenant, { operation: "summarize", text: "own", response: 1 })).body.key;
    expect((await call("GET", `/cache/entries/${encodeURIComponent(own)}`, KEYS.tenant)).body.response).toBe(1);
  });

  test("a bound key's invalidations, by pattern or by tag, stay in its namespace", async () => {
    for (const namespace of ["tenant-a", "tenant-b"]) {
      for (const text of ["inv1", "inv2"]) await post("/cache/store", PRIMARY_KEY, { namespace, operation: "bound_inv", text, response: namespace, tags: ["shared-tag"] });
    }
    await post("/cache/store", PRIMARY_KEY, { operation: "bound_inv", text: "inv1", response: "none", tags: ["shared-tag"] });
    expect((await post("/internal/cache/invalidate?namespace=tenant-b", KEYS.tenantInvalidate)).status).toBe(403);
    const byTag = (await post("/internal/cache/invalidate?tag=shared-tag", KEYS.tenantInvalidate)).body;
    expect(byTag).toMatchObject({ keys_removed: 2, namespace: "tenant-a", tag: "shared-tag" });
    const lookup = (key: string, namespace?: string) => post("/cache/lookup", key, { ...(namespace ? { namespace } : {}), operation: "bound_inv", text: "inv1" });
    expect((await lookup(KEYS.tenant)).body.hit).toBe(false);
    expect((await lookup(PRIMARY_KEY, "tenant-b")).body.response).toBe("tenant-b");
    expect((await lookup(PRIMARY_KEY)).body.response).toBe("none");
    await post("/cache/store", KEYS.tenant, { operation: "bound_inv", text: "inv1", response: "again" });
    const byPattern = (await post("/internal/cache/invalidate?pattern=op:bound_inv", KEYS.tenantInvalidate)).body;
    expect(byPattern).toMatchObject({ keys_removed: 1, namespace: "tenant-a" });
    expect((await lookup(PRIMARY_KEY, "tenant-b")).body.response).toBe("tenant-b");
  });
});
