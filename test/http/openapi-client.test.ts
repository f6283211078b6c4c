import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import createClient from "openapi-fetch";
import { servedDocument } from "../../scripts/openapi/check.ts";
import { generateTypes, TYPES_FILE } from "../../scripts/openapi/types.ts";
import type { paths } from "../generated/openapi.d.ts";
import { startSidecar, type SidecarProcess } from "../support/sidecar.ts";

/**
 * A client as an app team would make one: types generated from the served document with
 * openapi-typescript (test/generated/openapi.d.ts, type-checked by `npm run typecheck`), calls
 * made through openapi-fetch, against the service running as its own process.
 */
const KEY = "client-test-key-0123456789";
let sidecar: SidecarProcess;
beforeAll(async () => {
  sidecar = await startSidecar({ API_KEY: KEY });
});
afterAll(() => sidecar.stop());

describe("a client generated from the OpenAPI document", () => {
  test("the committed types are those the served document generates", async () => {
    const fresh = await generateTypes(await servedDocument());
    // On failure: `bun scripts/openapi-types.ts` regenerates them.
    expect(await Bun.file(TYPES_FILE).text()).toBe(fresh);
  });

  test("stores, looks up (miss then hit), reads and deletes through openapi-fetch", async () => {
    const client = createClient<paths>({ baseUrl: sidecar.url, headers: { "x-api-key": KEY } });
    const request = { operation: "summarize", text: `typed client ${crypto.randomUUID()}`, options: { max_length: 50 } };

    const miss = await client.POST("/cache/lookup", { body: request });
    expect(miss.response.status).toBe(200);
    expect(miss.data?.hit).toBe(false);
    expect(miss.response.headers.get("cache-status")).toBe("ai-response-cache; fwd=uri-miss");

    const stored = await client.POST("/cache/store", { body: { ...request, response: { summary: "short" }, ttl_seconds: 60 } });
    expect(stored.response.status).toBe(201);
    const key: string = stored.data!.key;
    expect(stored.data!.tiers).toEqual(["memory"]);

    const hit = await client.POST("/cache/lookup", { body: request, headers: { "x-request-id": "client-cycle-1" } });
    expect(hit.response.headers.get("x-cache")).toBe("HIT");
    expect(hit.response.headers.get("x-request-id")).toBe("client-cycle-1");
    if (!hit.data?.hit) throw new Error("expected a hit");
    expect(hit.data.response).toEqual({ summary: "short" });
    expect(hit.data.key).toBe(key);

    const entry = await client.GET("/cache/entries/{key}", { params: { path: { key } } });
    expect(entry.data?.tier).toBe("memory");
    const deleted = await client.DELETE("/cache/entries/{key}", { params: { path: { key } } });
    expect(deleted.data).toEqual({ deleted: true, tiers: ["memory"], complete: true });

    const gone = await client.GET("/cache/entries/{key}", { params: { path: { key } } });
    expect(gone.response.status).toBe(404);
    expect(gone.error?.error).toBe("not_found");

    const invalid = await client.POST("/cache/lookup", { body: { ...request, operation: "not a name" } });
    expect(invalid.response.status).toBe(422);
    expect(invalid.error?.field).toBe("operation");
  });

  test("management reads and invalidation through the same client", async () => {
    const client = createClient<paths>({ baseUrl: sidecar.url });
    const status = await client.GET("/internal/cache/status");
    expect(status.data?.memory.status).toBe("normal");
    const refused = await client.POST("/internal/cache/invalidate", { params: { query: { pattern: "op:summarize" } } });
    expect(refused.response.status).toBe(401);
    const invalidated = await client.POST("/internal/cache/invalidate", { params: { query: { pattern: "op:summarize" } }, headers: { authorization: `Bearer ${KEY}` } });
    expect(invalidated.data?.message).toBe("Cache invalidated for pattern: op:summarize");
    const ready = await client.GET("/ready");
    const entries: number | undefined = ready.data?.tiers.memory.entries;
    expect(entries).toBe(0);
  });
});
