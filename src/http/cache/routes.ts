import { Elysia } from "elysia";
import type { authPlugin } from "../auth/plugin.ts";
import { CACHE_STATUS_HIT, CACHE_STATUS_MISS, CACHE_STATUS_STORED } from "../cache-status.ts";
import { documented } from "../docs/operation.ts";
import { ErrorResponse } from "../error-model.ts";
import {
  DELETE_EXAMPLE,
  DeleteResponse,
  ENTRY_EXAMPLE,
  EntryParams,
  EntryResponse,
  LOOKUP_EXAMPLE,
  LOOKUP_HIT_EXAMPLE,
  LookupRequest,
  LookupResponse,
  STORE_EXAMPLE,
  STORE_RESPONSE_EXAMPLE,
  StoreRequest,
  StoreResponse,
} from "./model.ts";
import type { LookupResult, ResponseCache } from "../../engine/service.ts";

const JSON_TYPE = "application/json; charset=utf-8";
// Shared Headers instances: a Response copies them, and building one from a plain object per
// request costs more than the copy. Cache-Status (RFC 9211) says the same as the proxy's.
const HIT_HEADERS = new Headers({ "content-type": JSON_TYPE, "x-cache": "HIT", "cache-status": CACHE_STATUS_HIT });
const MISS_HEADERS = new Headers({ "content-type": JSON_TYPE, "x-cache": "MISS", "cache-status": CACHE_STATUS_MISS });
const ENTRY_HEADERS = new Headers({ "content-type": JSON_TYPE, "cache-status": CACHE_STATUS_HIT });
const NOT_FOUND_HEADERS = new Headers({ "content-type": JSON_TYPE, "cache-status": CACHE_STATUS_MISS });

const roundMs = (seconds: number): number => Math.round(seconds * 1000) / 1000;

/**
 * Cached responses are kept as JSON text, so answers are assembled as text around them
 * instead of parsing and re-serialising the response on every hit. The shape is still the
 * LookupResponse schema, which the tests check.
 */
function lookupAnswer(result: LookupResult): Response {
  if (!result.hit) return new Response(`{"hit":false,"key":${JSON.stringify(result.key)}}`, { headers: MISS_HEADERS });
  const age = result.ageSeconds === null ? "null" : String(roundMs(result.ageSeconds));
  const response = new Response(`{"hit":true,"key":${JSON.stringify(result.key)},"response":${result.json},"tier":"${result.tier}","age_seconds":${age}}`, {
    headers: HIT_HEADERS,
  });
  // Age (RFC 9111) in whole seconds; one header set on the response's own copy (well under a microsecond).
  if (result.ageSeconds !== null) response.headers.set("age", String(Math.floor(result.ageSeconds)));
  return response;
}

const tags = ["Data plane"];
// 503: the body would pass MAX_INFLIGHT_BODY_BYTES (busy), or, on store, nothing could store the value.
const errors = { 400: ErrorResponse, 401: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 422: ErrorResponse, 503: ErrorResponse } as const;

/** The REST data plane: apps in any language look up and store LLM responses here. */
export const cacheController = (cache: ResponseCache, auth: ReturnType<typeof authPlugin>) =>
  new Elysia({ name: "cache-data-plane", prefix: "/cache" })
    .use(auth)
    .post("/lookup", async ({ body }) => lookupAnswer(await cache.lookup(body)), {
      auth: "required",
      body: LookupRequest,
      response: { 200: LookupResponse, ...errors },
      detail: documented({
        operationId: "cacheLookup",
        tags,
        summary: "Look up a cached response",
        description:
          "Answers from the memory tier, else Redis (a Redis hit is promoted). Sets `X-Cache: HIT|MISS`, `Cache-Status` (`ai-response-cache; hit` or `ai-response-cache; fwd=uri-miss`) and, on hits, `Age`.",
        requestExample: LOOKUP_EXAMPLE,
        responses: { 200: { description: "A hit with the cached response, or a miss with the key the response would be stored under", example: LOOKUP_HIT_EXAMPLE, headers: ["X-Cache", "Cache-Status", "Age"] } },
      }),
    })
    .post(
      "/store",
      async ({ body, set }) => {
        const stored = await cache.store({ ...body, ttlSeconds: body.ttl_seconds });
        set.status = 201;
        set.headers["cache-status"] = CACHE_STATUS_STORED;
        return {
          key: stored.key,
          ttl_seconds: stored.ttlSeconds,
          compressed: stored.compressed,
          codec: stored.codec,
          stored_bytes: stored.storedBytes,
          tiers: stored.tiers,
        };
      },
      {
        auth: "required",
        body: StoreRequest,
        response: { 201: StoreResponse, ...errors },
        detail: documented({
          operationId: "cacheStore",
          tags,
          summary: "Store a response",
          description: "Writes the memory tier and Redis (compressed above the threshold). With Redis down the entry lives in memory only, and `tiers` says so.",
          requestExample: STORE_EXAMPLE,
          responses: {
            201: { description: "Stored; `tiers` names where", example: STORE_RESPONSE_EXAMPLE, headers: ["Cache-Status"] },
            503: {
              description: "Too many request bodies in flight (`busy`, retry after Retry-After), or neither tier could store the value (`not_stored`)",
              example: { error: "not_stored", detail: "the memory tier is disabled and Redis is unavailable" },
              headers: ["Retry-After"],
            },
          },
        }),
      },
    )
    .get(
      "/entries/:key",
      async ({ params: { key } }) => {
        const entry = await cache.getEntry(key);
        if (entry === null) return new Response(JSON.stringify({ error: "not_found", detail: "no cache entry with this key" }), { status: 404, headers: NOT_FOUND_HEADERS });
        const ttl = entry.ttlSeconds === null ? "null" : String(roundMs(entry.ttlSeconds));
        return new Response(`{"key":${JSON.stringify(entry.key)},"response":${entry.json},"tier":"${entry.tier}","ttl_seconds":${ttl}}`, { headers: ENTRY_HEADERS });
      },
      {
        auth: "required",
        params: EntryParams,
        response: { 200: EntryResponse, 404: ErrorResponse, 401: ErrorResponse, 422: ErrorResponse },
        detail: documented({
          operationId: "getCacheEntry",
          tags,
          summary: "Read one entry by key (URL-encode the key)",
          responses: {
            200: { description: "The entry and its remaining lifetime", example: ENTRY_EXAMPLE, headers: ["Cache-Status"] },
            404: { description: "No entry with this key", example: { error: "not_found", detail: "no cache entry with this key" }, headers: ["Cache-Status"] },
          },
        }),
      },
    )
    .delete(
      "/entries/:key",
      async ({ params: { key } }) => {
        const { deleted, tiers, complete } = await cache.deleteEntry(key);
        return { deleted, tiers, complete };
      },
      {
        auth: "required",
        params: EntryParams,
        response: { 200: DeleteResponse, 401: ErrorResponse, 422: ErrorResponse },
        detail: documented({
          operationId: "deleteCacheEntry",
          tags,
          summary: "Delete one entry from both tiers",
          responses: { 200: { description: "`complete: false` when Redis could not be reached, so its copy may remain", example: DELETE_EXAMPLE } },
        }),
      },
    );
