import { Elysia } from "elysia";
import type { AccessControl, authPlugin } from "../auth/plugin.ts";
import { CACHE_STATUS_HIT, CACHE_STATUS_MISS, CACHE_STATUS_STORED } from "../cache-status.ts";
import { JSON_TYPE, roundMs, type LookupHandler } from "./lookup.ts";
import { documented } from "../docs/operation.ts";
import { ErrorResponse } from "../error-model.ts";
import {
  DELETE_EXAMPLE,
  DeleteResponse,
  ENTRY_EXAMPLE,
  EntryParams,
  EntryQuery,
  EntryResponse,
  LOOKUP_EXAMPLE,
  LOOKUP_HIT_EXAMPLE,
  LookupRequest,
  LookupResponse,
  RELEASE_EXAMPLE,
  ReleaseLeaseRequest,
  ReleaseLeaseResponse,
  RENEW_EXAMPLE,
  RenewLeaseRequest,
  RenewLeaseResponse,
  STORE_EXAMPLE,
  STORE_RESPONSE_EXAMPLE,
  STORE_SKIPPED_EXAMPLE,
  StoreRequest,
  StoreResponse,
  StoreSkipped,
} from "./model.ts";
import { InvalidInputError, LeaseConflictError } from "../../engine/errors.ts";
import { modeWrites, narrowMode } from "../../engine/mode.ts";
import type { ResponseCache } from "../../engine/service.ts";

const ENTRY_HEADERS = new Headers({ "content-type": JSON_TYPE, "cache-status": CACHE_STATUS_HIT });
const NOT_FOUND_HEADERS = new Headers({ "content-type": JSON_TYPE, "cache-status": CACHE_STATUS_MISS });

/** A release or renew by a caller whose lease is gone: 409. */
const notHeld = (): LeaseConflictError => new LeaseConflictError("this lease is not held: it expired, was taken over, used, or voided");

const tags = ["Data plane"];
// 503: the body would pass MAX_INFLIGHT_BODY_BYTES (busy), or, on store, nothing could store the value.
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 422: ErrorResponse, 503: ErrorResponse } as const;

/** The REST data plane: apps in any language look up and store LLM responses here. */
export const cacheController = (cache: ResponseCache, auth: ReturnType<typeof authPlugin>, access: AccessControl, lookup: LookupHandler) => {
  /** A key named by the caller must lie in the namespace it may reach, or names. */
  const checkKeyNamespace = (request: Request, key: string, named?: string): void => {
    const namespace = access.namespaceFor(request, named);
    if (namespace === undefined || cache.keys.namespaceOf(key) === namespace) return;
    if (access.boundNamespace(request) !== null) access.refuseOutside(request);
    throw new InvalidInputError("key", `the key is not in namespace '${namespace}'`);
  };
  return new Elysia({ name: "cache-data-plane", prefix: "/cache" })
    .use(auth)
    .post(
      "/lookup",
      ({ body, request }) => lookup(request, { body }),
      {
      auth: "required",
      scope: "data",
      body: LookupRequest,
      response: { 200: LookupResponse, ...errors },
      detail: documented({
        operationId: "cacheLookup",
        tags,
        summary: "Look up a cached response",
        description:
          "Answers from the memory tier, else Redis (a Redis hit is promoted). Sets `X-Cache: HIT|MISS|STALE`, `Cache-Status` (`ai-response-cache; hit`, `...; hit; collapsed`, `...; hit; stale` or `ai-response-cache; fwd=uri-miss`) and, on hits, `Age`. With `coalesce`, a miss is single-flighted across every sidecar on the same Redis: exactly one caller gets `lease` and calls the LLM; the others wait up to `wait_ms` and get its answer (`collapsed: true`), or `pending: true` when their wait ends first. With `max_stale_seconds`, an entry that far past its TTL (inside its stale window) answers, marked `stale: true`; with `coalesce` too, one such caller also gets the `lease` to refresh it.",
        requestExample: LOOKUP_EXAMPLE,
        responses: { 200: { description: "A hit with the cached response, or a miss with the key the response would be stored under", example: LOOKUP_HIT_EXAMPLE, headers: ["X-Cache", "Cache-Status", "Age"] } },
      }),
    },
    )
    .post(
      "/store",
      async ({ body, set, request }) => {
        const request_ = { ...body, namespace: access.namespaceFor(request, body.namespace) };
        const mode = narrowMode(cache.mode, body.cache_mode);
        if (!modeWrites(mode)) return { key: cache.keyFor(request_), stored: false as const, mode, tiers: [] };
        const stored = await cache.store({ ...request_, ttlSeconds: body.ttl_seconds, staleSeconds: body.stale_seconds, leaseToken: body.lease_token, tags: body.tags });
        set.status = 201;
        set.headers["cache-status"] = CACHE_STATUS_STORED;
        return {
          key: stored.key,
          ttl_seconds: stored.ttlSeconds,
          stale_seconds: stored.staleSeconds,
          compressed: stored.compressed,
          codec: stored.codec,
          stored_bytes: stored.storedBytes,
          tiers: stored.tiers,
        };
      },
      {
        auth: "required",
        scope: "data",
        body: StoreRequest,
        response: { 200: StoreSkipped, 201: StoreResponse, ...errors, 409: ErrorResponse },
        detail: documented({
          operationId: "cacheStore",
          tags,
          summary: "Store a response",
          description:
            "Writes the memory tier and Redis (compressed above the threshold). With Redis down the entry lives in memory only, and `tiers` says so. `tags` are recorded in a shared index so `POST /internal/cache/invalidate?tag=` removes every entry carrying one. When the effective cache mode does not write (CACHE_MODE or `cache_mode` read_only or off) nothing is stored: 200 with `stored: false`. With `lease_token` it is written only while that lease holds: 409 `lease_conflict` when it expired and was taken over, or the key was deleted or invalidated while it was out; 503 when the lease lives in a Redis that cannot be reached (retry).",
          requestExample: STORE_EXAMPLE,
          responses: {
            200: { description: "Not stored: the effective cache mode does not write", example: STORE_SKIPPED_EXAMPLE },
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
      async ({ params: { key }, query, request }) => {
        checkKeyNamespace(request, key, query.namespace);
        const entry = await cache.getEntry(key);
        if (entry === null) return new Response(JSON.stringify({ error: "not_found", detail: "no cache entry with this key" }), { status: 404, headers: NOT_FOUND_HEADERS });
        const ttl = entry.ttlSeconds === null ? "null" : String(roundMs(entry.ttlSeconds));
        return new Response(`{"key":${JSON.stringify(entry.key)},"response":${entry.json},"tier":"${entry.tier}","ttl_seconds":${ttl}}`, { headers: ENTRY_HEADERS });
      },
      {
        auth: "required",
        scope: "data",
        params: EntryParams,
        query: EntryQuery,
        response: { 200: EntryResponse, 404: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 422: ErrorResponse },
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
      async ({ params: { key }, query, request }) => {
        checkKeyNamespace(request, key, query.namespace);
        const { deleted, tiers, complete } = await cache.deleteEntry(key);
        return { deleted, tiers, complete };
      },
      {
        auth: "required",
        scope: "invalidate",
        params: EntryParams,
        query: EntryQuery,
        response: { 200: DeleteResponse, 401: ErrorResponse, 403: ErrorResponse, 422: ErrorResponse },
        detail: documented({
          operationId: "deleteCacheEntry",
          tags,
          summary: "Delete one entry from both tiers",
          description: "Needs the invalidate scope (SCOPED_API_KEYS).",
          responses: { 200: { description: "`complete: false` when Redis could not be reached, so its copy may remain", example: DELETE_EXAMPLE } },
        }),
      },
    )
    .post(
      "/lease/release",
      async ({ body, request }) => {
        checkKeyNamespace(request, body.key);
        const hitForMissMs = body.cacheable === false ? (body.hit_for_miss_seconds ?? cache.leasePolicy.hitForMissMs / 1000) * 1000 : 0;
        if (!(await cache.releaseLease(body.key, body.lease_token, hitForMissMs))) throw notHeld();
        return { released: true as const };
      },
      {
        auth: "required",
        scope: "data",
        body: ReleaseLeaseRequest,
        response: { 200: ReleaseLeaseResponse, ...errors, 409: ErrorResponse },
        detail: documented({
          operationId: "releaseLease",
          tags,
          summary: "Give a lease up without storing",
          description:
            "The LLM call failed (the next waiting caller takes the lease over at once), or with `cacheable: false` the answer may not be cached: later callers skip the wait for `hit_for_miss_seconds` instead of queueing behind leaders that never store.",
          requestExample: RELEASE_EXAMPLE,
          responses: { 200: { description: "Released", example: { released: true } } },
        }),
      },
    )
    .post(
      "/lease/renew",
      async ({ body, request }) => {
        checkKeyNamespace(request, body.key);
        const ttlMs = body.ttl_ms ?? cache.leasePolicy.defaultTtlMs;
        if (!(await cache.renewLease(body.key, body.lease_token, ttlMs))) throw notHeld();
        return { renewed: true as const, ttl_ms: ttlMs };
      },
      {
        auth: "required",
        scope: "data",
        body: RenewLeaseRequest,
        response: { 200: RenewLeaseResponse, ...errors, 409: ErrorResponse },
        detail: documented({
          operationId: "renewLease",
          tags,
          summary: "Extend a lease while the LLM call goes on",
          requestExample: RENEW_EXAMPLE,
          responses: { 200: { description: "Renewed for `ttl_ms` from now", example: { renewed: true, ttl_ms: 30000 } } },
        }),
      },
    );
};
