import { Type, type Static } from "@sinclair/typebox";
import { MAX_TAGS, NAMESPACE_PATTERN, OPERATION_PATTERN, TAG_PATTERN } from "../../engine/key.ts";
import type { CacheMode } from "../../engine/mode.ts";

const MAX_TTL_SECONDS = 365 * 86_400;

// Factories rather than spread copies, so each use keeps TypeBox's own types (declaration emit names them).
const namespaceSchema = (
  description = "Entries of different namespaces never meet (A-Z a-z 0-9 _ . -, at most 64). A key bound to a namespace (SCOPED_API_KEYS) always lands in its own; naming another is refused with 403",
) => Type.String({ pattern: NAMESPACE_PATTERN, description });
export const Namespace = namespaceSchema();

const cacheModeSchema = (
  description = "Narrows what this request may do under CACHE_MODE, never widens it: read_only (look up, store nothing), write_only (always a miss, answers stored), off. The effective mode is the intersection with the operator's",
) => Type.Union([Type.Literal("read_write"), Type.Literal("read_only"), Type.Literal("write_only"), Type.Literal("off")], { description });
export const CacheModeSchema = cacheModeSchema();

/** Fails to compile if the schema and the engine ever name different modes. */
const sameModes: [Static<typeof CacheModeSchema>, CacheMode] extends [CacheMode, Static<typeof CacheModeSchema>] ? true : never = true;
void sameModes;

const RequestFields = {
  namespace: Type.Optional(Namespace),
  operation: Type.String({ pattern: OPERATION_PATTERN, description: "What the LLM was asked to do, e.g. summarize (A-Z a-z 0-9 _ . -, at most 64)" }),
  text: Type.String({ description: "The input text; only its SHA-256 digest enters the key" }),
  // Checked by the cache service, not here: the framework would coerce a number, string or
  // array into an object to fit a Record schema, giving unequal requests one key.
  options: Type.Optional(
    Type.Unknown({
      description: "Model options: a JSON object or null (anything else is refused with 422); canonicalised (sorted keys, types kept) before hashing",
    }),
  ),
  question: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "Question for Q&A operations" })),
};

/** Any JSON value. Unlike Type.Unknown it rejects a missing field, so `response` is really required. */
const jsonValue = (description: string) =>
  Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null(), Type.Array(Type.Unknown()), Type.Record(Type.String(), Type.Unknown())], { description });

/** Longest a lookup may wait for another caller's answer; longest lease. */
export const MAX_COALESCE_WAIT_MS = 60_000;
export const MIN_LEASE_TTL_MS = 100;
export const MAX_LEASE_TTL_MS = 600_000;
const LeaseTtlMs = Type.Integer({ minimum: MIN_LEASE_TTL_MS, maximum: MAX_LEASE_TTL_MS, description: "How long the lease lives unless renewed or used (default CACHE_LEASE_TTL_MS)" });
// Factories rather than spread copies, so each use keeps TypeBox's own types (declaration emit names them).
const leaseToken = (description = "The token a coalesced lookup handed to the one caller that computes the answer") => Type.String({ minLength: 1, maxLength: 64, description });
const LeaseToken = leaseToken();
const lease = (description = "This caller computes the answer and stores it with lease_token; everyone else waits for it") =>
  Type.Object({ token: LeaseToken, ttl_ms: Type.Integer({ description: "Milliseconds the lease lives unless renewed or used" }) }, { description });

export const MAX_STALE_SECONDS = 30 * 86_400;

export const LookupRequest = Type.Object(
  {
    ...RequestFields,
    cache_mode: Type.Optional(CacheModeSchema),
    max_stale_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_STALE_SECONDS,
        description: "Accept an entry up to this many seconds past its TTL (inside its stale window): stale-while-revalidate, or stale-if-error after the LLM failed",
      }),
    ),
    coalesce: Type.Optional(
      Type.Object(
        {
          wait_ms: Type.Integer({ minimum: 0, maximum: MAX_COALESCE_WAIT_MS, description: "How long to wait for another caller's answer on a miss" }),
          lease_ttl_ms: Type.Optional(LeaseTtlMs),
        },
        { description: "Single flight across the fleet: on a miss one caller gets a lease to compute the answer; the others wait for it" },
      ),
    ),
  },
  { $id: "LookupRequest" },
);
export type LookupRequest = Static<typeof LookupRequest>;

const Tier = Type.Union([Type.Literal("memory"), Type.Literal("redis")]);
const TierList = Type.Array(Tier, { description: "Tiers that now hold (or held) the entry" });
const Key = Type.String({ description: "The cache key: {prefix}:[ns:{namespace}|]op:{operation}|txt:{digest}[|opts:{digest}][|q:{digest}]" });

export const LookupHit = Type.Object(
  {
    hit: Type.Literal(true),
    key: Key,
    response: Type.Unknown({ description: "The cached response, as stored" }),
    tier: Tier,
    age_seconds: Type.Union([Type.Number(), Type.Null()], { description: "Seconds since the entry was stored (null if unknown)" }),
    collapsed: Type.Optional(Type.Boolean({ description: "True when this caller waited for another caller's answer (coalesce)" })),
    stale: Type.Optional(Type.Literal(true, { description: "The entry is past its TTL (inside its stale window); only with max_stale_seconds" })),
    lease: Type.Optional(lease("On a stale hit with coalesce: this caller (and no other) refreshes the entry, storing with lease_token")),
  },
  { $id: "LookupHit" },
);
export const LookupMiss = Type.Object(
  {
    hit: Type.Literal(false),
    key: Key,
    lease: Type.Optional(lease()),
    pending: Type.Optional(Type.Literal(true, { description: "The wait ended while another caller still computes the answer" })),
    mode: Type.Optional(cacheModeSchema("Present when the effective cache mode (write_only or off) does not read: the cache was not consulted")),
  },
  { $id: "LookupMiss" },
);
export const LookupResponse = Type.Union([LookupHit, LookupMiss]);
export type LookupResponse = Static<typeof LookupResponse>;

export const StoreRequest = Type.Object(
  {
    ...RequestFields,
    response: jsonValue("Any JSON value: the LLM's answer to cache"),
    ttl_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TTL_SECONDS, description: "Defaults to the operation's TTL" })),
    stale_seconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_STALE_SECONDS, description: "Keep the entry this long past its TTL for callers that accept stale answers (default: the operation's stale window, CACHE_STALE_SECONDS)" }),
    ),
    lease_token: Type.Optional(leaseToken("Stores only while this lease holds (409 lease_conflict otherwise: it expired, was taken over, or the entry was deleted or invalidated meanwhile)")),
    tags: Type.Optional(
      Type.Array(Type.String({ pattern: TAG_PATTERN }), {
        maxItems: MAX_TAGS,
        description: `Names under which the entry can be invalidated together (POST /internal/cache/invalidate?tag=doc:42): at most ${MAX_TAGS}, each 1 to 128 characters of A-Z a-z 0-9 _ . : / = @ + -`,
      }),
    ),
    cache_mode: Type.Optional(CacheModeSchema),
  },
  { $id: "StoreRequest" },
);
export type StoreRequest = Static<typeof StoreRequest>;

export const StoreResponse = Type.Object(
  {
    key: Key,
    ttl_seconds: Type.Integer(),
    stale_seconds: Type.Integer({ description: "How long the entry is kept past its TTL for callers that accept stale answers" }),
    compressed: Type.Boolean({ description: "Whether the Redis copy is compressed" }),
    codec: Type.String({ description: "none | zstd | gzip" }),
    stored_bytes: Type.Integer({ description: "Bytes of the stored value (in Redis, after compression)" }),
    tiers: TierList,
  },
  { $id: "StoreResponse" },
);
export type StoreResponse = Static<typeof StoreResponse>;

export const StoreSkipped = Type.Object(
  {
    key: Key,
    stored: Type.Literal(false, { description: "Nothing was written: the effective cache mode does not write" }),
    mode: CacheModeSchema,
    tiers: Type.Array(Tier, { maxItems: 0, description: "Empty: no tier was written" }),
  },
  { $id: "StoreSkipped", description: "200 when the effective cache mode (read_only or off) writes nothing" },
);

export const EntryQuery = Type.Object({
  namespace: Type.Optional(namespaceSchema("The key must belong to this namespace (422 otherwise); a namespace-bound API key is held to its own")),
});

export const EntryParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 512 }) });

export const EntryResponse = Type.Object(
  {
    key: Key,
    response: Type.Unknown(),
    tier: Tier,
    ttl_seconds: Type.Union([Type.Number(), Type.Null()], { description: "Remaining lifetime (null: no expiry)" }),
  },
  { $id: "EntryResponse" },
);
export type EntryResponse = Static<typeof EntryResponse>;

export const DeleteResponse = Type.Object(
  {
    deleted: Type.Boolean(),
    tiers: TierList,
    complete: Type.Boolean({ description: "False when Redis could not be reached, so its copy may remain" }),
  },
  { $id: "DeleteResponse" },
);
export type DeleteResponse = Static<typeof DeleteResponse>;

const LeaseFields = { key: Key, lease_token: LeaseToken };

export const ReleaseLeaseRequest = Type.Object(
  {
    ...LeaseFields,
    cacheable: Type.Optional(Type.Boolean({ description: "false: the answer is not cacheable; later callers skip the wait for hit_for_miss_seconds (default true: the LLM call failed)" })),
    hit_for_miss_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: "With cacheable false: how long callers go straight on (default CACHE_HIT_FOR_MISS_SECONDS)" })),
  },
  { $id: "ReleaseLeaseRequest" },
);
export type ReleaseLeaseRequest = Static<typeof ReleaseLeaseRequest>;

export const RenewLeaseRequest = Type.Object({ ...LeaseFields, ttl_ms: Type.Optional(LeaseTtlMs) }, { $id: "RenewLeaseRequest" });
export type RenewLeaseRequest = Static<typeof RenewLeaseRequest>;

export const ReleaseLeaseResponse = Type.Object({ released: Type.Literal(true) }, { $id: "ReleaseLeaseResponse" });
export const RenewLeaseResponse = Type.Object({ renewed: Type.Literal(true), ttl_ms: Type.Integer() }, { $id: "RenewLeaseResponse" });

// Examples for the OpenAPI document (shown by the docs UI's "Try it"); typed, so they keep the schemas' shapes.
const EXAMPLE_KEY = "ai_cache:op:summarize|txt:6c3e5b2f0d1a4e8f9b7c2d5a1e3f4b6c|opts:0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d";
const EXAMPLE_RESPONSE = { summary: "RFC 9211 defines the Cache-Status response header." };
export const LOOKUP_EXAMPLE = {
  operation: "summarize",
  text: "RFC 9211 defines the Cache-Status HTTP response header field...",
  options: { max_length: 100 },
} satisfies LookupRequest;
export const LOOKUP_HIT_EXAMPLE = { hit: true, key: EXAMPLE_KEY, response: EXAMPLE_RESPONSE, tier: "memory", age_seconds: 3.2 } satisfies LookupResponse;
export const STORE_EXAMPLE = { ...LOOKUP_EXAMPLE, response: EXAMPLE_RESPONSE, ttl_seconds: 7200 } satisfies StoreRequest;
export const STORE_RESPONSE_EXAMPLE = {
  key: EXAMPLE_KEY,
  ttl_seconds: 7200,
  stale_seconds: 0,
  compressed: false,
  codec: "none",
  stored_bytes: 62,
  tiers: ["memory", "redis"],
} satisfies StoreResponse;
export const ENTRY_EXAMPLE = { key: EXAMPLE_KEY, response: EXAMPLE_RESPONSE, tier: "redis", ttl_seconds: 7196.8 } satisfies EntryResponse;
export const DELETE_EXAMPLE = { deleted: true, tiers: ["memory", "redis"], complete: true } satisfies DeleteResponse;
export const RELEASE_EXAMPLE = { key: EXAMPLE_KEY, lease_token: "r3f9c1d2e4b5a6978812345678abcdef", cacheable: false, hit_for_miss_seconds: 60 } satisfies ReleaseLeaseRequest;
export const RENEW_EXAMPLE = { key: EXAMPLE_KEY, lease_token: "r3f9c1d2e4b5a6978812345678abcdef", ttl_ms: 30000 } satisfies RenewLeaseRequest;
export const STORE_SKIPPED_EXAMPLE = { key: EXAMPLE_KEY, stored: false, mode: "read_only", tiers: [] } satisfies Static<typeof StoreSkipped>;
