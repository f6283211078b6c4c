import { Type, type Static } from "@sinclair/typebox";
import { NAMESPACE_PATTERN, TAG_PATTERN } from "../../engine/key.ts";
import type { RedisHealth } from "../../engine/redis/shared-tier.ts";

/** Redis's state, as /ready, /internal/cache/status and /metrics all name it. */
export const RedisHealthSchema = Type.Union([Type.Literal("disabled"), Type.Literal("connected"), Type.Literal("unavailable"), Type.Literal("error")], {
  description: "disabled: not configured (memory tier only); unavailable: unreachable, retrying; error: credentials or certificate refused, retrying",
});
/** Fails to compile if the schema and the cache's own type ever name different states. */
const sameStates: [Static<typeof RedisHealthSchema>, RedisHealth] extends [RedisHealth, Static<typeof RedisHealthSchema>] ? true : never = true;
void sameStates;

const Seconds = (description: string) => Type.Number({ description: `${description} (seconds)` });

export const RedisStatus = Type.Object({
  status: RedisHealthSchema,
  configured: Type.Boolean({ description: "False when the service runs on its memory tier only (status disabled)" }),
  state: Type.Optional(Type.String({ description: "Connection state: connecting, connected, unavailable, error, closed" })),
  url: Type.Optional(Type.String({ description: "Redis URL with the password masked" })),
  keys: Type.Optional(Type.Integer({ description: "Keys in the Redis database (DBSIZE)" })),
  memory_used: Type.Optional(Type.String({ description: "Redis used_memory_human" })),
  memory_usage: Type.Optional(Type.String({ description: "Same as memory_used, as in the documented example" })),
  memory_used_bytes: Type.Optional(Type.Integer()),
  connected_clients: Type.Optional(Type.Integer()),
  last_error: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  topology: Type.Optional(Type.Union([Type.Literal("standalone"), Type.Literal("cluster"), Type.Literal("sentinel")])),
  nodes: Type.Optional(
    Type.Array(
      Type.Object({
        address: Type.String(),
        role: Type.Union([Type.Literal("master"), Type.Literal("replica")]),
        status: Type.Union([Type.Literal("connected"), Type.Literal("unavailable")]),
        keys: Type.Optional(Type.Integer()),
        memory_used_bytes: Type.Optional(Type.Integer()),
        error: Type.Optional(Type.String()),
      }),
      { description: "Every Redis node: the server, or each master and replica of a cluster" },
    ),
  ),
  writes: Type.Optional(
    Type.Union([Type.Literal("ok"), Type.Literal("failing")], {
      description: "failing: Redis refuses writes (out of memory, read-only replica); new entries live in the memory tier only",
    }),
  ),
  write_failures: Type.Optional(Type.Integer({ description: "Writes Redis refused or did not answer in time while connected" })),
  last_write_error: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  coherence: Type.Optional(
    Type.Object(
      {
        channel: Type.String(),
        instance: Type.String(),
        published: Type.Integer(),
        received: Type.Integer(),
        state: Type.Union([Type.Literal("listening"), Type.Literal("lost")], {
          description: "lost: other sidecars' changes may be missed; memory copies then live at most CACHE_COHERENCE_BOUND_MS/2",
        }),
        resyncs: Type.Integer({ description: "Times the memory tier was emptied after coherence came back" }),
        unsent: Type.Integer({ description: "Announcements waiting for Redis to take them" }),
      },
      { description: "Pub/sub channel that keeps sidecars' memory tiers coherent" },
    ),
  ),
});

export const MemoryStatus = Type.Object({
  status: Type.Union([Type.Literal("normal"), Type.Literal("warning"), Type.Literal("critical"), Type.Literal("disabled"), Type.Literal("unavailable")]),
  entries: Type.Optional(Type.Integer()),
  limit: Type.Optional(Type.Integer({ description: "Entry bound" })),
  bytes: Type.Optional(Type.Integer()),
  max_bytes: Type.Optional(Type.Integer({ description: "Byte bound" })),
  utilization_percent: Type.Optional(Type.Number({ description: "entries / limit" })),
  bytes_utilization_percent: Type.Optional(Type.Number({ description: "bytes / max_bytes" })),
  evictions: Type.Optional(Type.Integer()),
});

export const PerformanceStatus = Type.Object({
  status: Type.Union([Type.Literal("optimal"), Type.Literal("good"), Type.Literal("degraded"), Type.Literal("no_data"), Type.Literal("disabled"), Type.Literal("unavailable")]),
  hit_rate: Type.Optional(Type.Number({ description: "Percent over the retention window" })),
  total_operations: Type.Optional(Type.Integer({ description: "Lookups (hits + misses) over the window" })),
  cache_hits: Type.Optional(Type.Integer()),
  cache_misses: Type.Optional(Type.Integer()),
  redis_errors: Type.Optional(Type.Integer({ description: "Redis calls that failed since start" })),
});

export const CacheStatusResponse = Type.Object(
  { redis: RedisStatus, memory: MemoryStatus, performance: PerformanceStatus, error: Type.Optional(Type.String()) },
  { $id: "CacheStatusResponse" },
);
export type CacheStatusResponse = Static<typeof CacheStatusResponse>;

const QueryFlag = (description: string) =>
  Type.Optional(Type.Union([Type.Literal("true"), Type.Literal("false")], { default: "false", description }));

export const InvalidateQuery = Type.Object({
  pattern: Type.Optional(Type.String({ default: "", maxLength: 256, description: "Glob over cache keys, matched as {prefix}:*{pattern}*; empty = every cache key" })),
  operation_context: Type.Optional(
    Type.String({ default: "api_endpoint", minLength: 1, maxLength: 128, pattern: "^[\\x20-\\x7E]+$", description: "Who or what asked, for the invalidation log" }),
  ),
  tag: Type.Optional(
    Type.String({
      pattern: TAG_PATTERN,
      description: "Only entries stored with this tag (from the shared tag index: proportional to the tag's entries, never a scan); combined with pattern or namespace, only those of its entries that also match. Recorded in the statistics with type tag",
    }),
  ),
  namespace: Type.Optional(
    Type.String({
      pattern: NAMESPACE_PATTERN,
      description: "Only entries of this namespace, matched as {prefix}:*ns:{namespace}|*{pattern}*. A namespace-bound API key is always held to its own. Recorded with type namespace",
    }),
  ),
  dry_run: QueryFlag("true: count what would be removed (would_remove, per tier) and remove nothing; not recorded in the statistics"),
  soft: QueryFlag(
    "true: mark matching entries stale instead of removing them; callers that accept stale answers (max_stale_seconds, max-stale, stale-if-error) keep being served until fresh answers replace them. Recorded with type {type}_soft",
  ),
});
export type InvalidateQuery = Static<typeof InvalidateQuery>;

export const InvalidateResponse = Type.Object(
  {
    message: Type.String(),
    keys_removed: Type.Integer(),
    memory_keys_removed: Type.Integer(),
    redis_keys_removed: Type.Integer(),
    redis: Type.Union([Type.Literal("ok"), Type.Literal("unavailable"), Type.Literal("disabled")], {
      description: "unavailable: Redis could not be reached, so only the memory tier was invalidated",
    }),
    duration_seconds: Type.Number({ description: "How long the invalidation took (seconds)" }),
    tag: Type.Optional(Type.String({ description: "The tag invalidated, when one was given" })),
    namespace: Type.Optional(Type.String({ description: "The namespace the invalidation was held to, when any" })),
    dry_run: Type.Optional(Type.Literal(true, { description: "A dry run: nothing was removed; the *_removed counts are 0" })),
    would_remove: Type.Optional(Type.Integer({ description: "Dry run: the keys a real run would remove now (a key in both tiers counts once)" })),
    memory_would_remove: Type.Optional(Type.Integer({ description: "Dry run: memory-tier entries a real run would remove" })),
    redis_would_remove: Type.Optional(Type.Integer({ description: "Dry run: Redis keys a real run would remove" })),
    soft: Type.Optional(Type.Literal(true, { description: "A soft purge: entries were marked stale, none removed; the *_removed counts are 0" })),
    keys_marked_stale: Type.Optional(Type.Integer({ description: "Soft purge: entries marked stale (a key in both tiers counts once)" })),
    memory_keys_marked_stale: Type.Optional(Type.Integer()),
    redis_keys_marked_stale: Type.Optional(Type.Integer()),
  },
  { $id: "InvalidateResponse" },
);
export type InvalidateResponse = Static<typeof InvalidateResponse>;

export const InvalidationStatsResponse = Type.Object(
  {
    no_invalidations: Type.Optional(Type.Boolean()),
    total_invalidations: Type.Optional(Type.Integer()),
    total_keys_invalidated: Type.Optional(Type.Integer()),
    warning_threshold_per_hour: Type.Optional(Type.Integer()),
    critical_threshold_per_hour: Type.Optional(Type.Integer()),
    rates: Type.Optional(Type.Object({ last_hour: Type.Integer(), last_24_hours: Type.Integer(), average_per_hour: Type.Number() })),
    thresholds: Type.Optional(
      Type.Object({
        warning_per_hour: Type.Integer(),
        critical_per_hour: Type.Integer(),
        current_alert_level: Type.Union([Type.Literal("normal"), Type.Literal("warning"), Type.Literal("critical")]),
      }),
    ),
    patterns: Type.Optional(
      Type.Object({ most_common_patterns: Type.Record(Type.String(), Type.Integer()), invalidation_types: Type.Record(Type.String(), Type.Integer()) }),
    ),
    efficiency: Type.Optional(Type.Object({ avg_keys_per_invalidation: Type.Number(), avg_duration: Seconds("Mean"), max_duration: Seconds("Longest") })),
  },
  { $id: "InvalidationStatsResponse", description: "Empty object when statistics are unavailable" },
);
export type InvalidationStatsResponse = Static<typeof InvalidationStatsResponse>;

export const Recommendation = Type.Object({
  severity: Type.Union([Type.Literal("info"), Type.Literal("warning"), Type.Literal("critical")]),
  issue: Type.String(),
  message: Type.String(),
  suggestions: Type.Array(Type.String()),
});
export type Recommendation = Static<typeof Recommendation>;

export const RecommendationsResponse = Type.Object(
  {
    recommendations: Type.Array(Type.String(), { description: "One sentence per finding, as documented; empty on error" }),
    details: Type.Optional(Type.Array(Recommendation, { description: "The findings with severity and suggestions" })),
  },
  { $id: "RecommendationsResponse" },
);
export type RecommendationsResponse = Static<typeof RecommendationsResponse>;

const DurationStats = {
  total_operations: Type.Integer(),
  avg_duration: Seconds("Mean"),
  median_duration: Seconds("Median, within 1%"),
  p95_duration: Seconds("95th percentile, within 1%"),
  p99_duration: Seconds("99th percentile, within 1%"),
  max_duration: Seconds("Longest"),
  min_duration: Seconds("Shortest"),
};

export const CacheKeyGenerationStats = Type.Object(
  {
    ...DurationStats,
    avg_text_length: Type.Number(),
    max_text_length: Type.Integer(),
    slow_operations: Type.Integer({ description: "Key generations slower than 0.1 s" }),
  },
  { $id: "CacheKeyGenerationStats" },
);
export type CacheKeyGenerationStats = Static<typeof CacheKeyGenerationStats>;

export const CacheOperationTypeStats = Type.Object(
  {
    count: Type.Integer(),
    avg_duration: Seconds("Mean"),
    max_duration: Seconds("Longest"),
    median_duration: Seconds("Median, within 1%"),
    p95_duration: Seconds("95th percentile, within 1%"),
    p99_duration: Seconds("99th percentile, within 1%"),
  },
  { $id: "CacheOperationTypeStats" },
);
export type CacheOperationTypeStats = Static<typeof CacheOperationTypeStats>;

export const CacheOperationStats = Type.Object(
  {
    ...DurationStats,
    slow_operations: Type.Integer({ description: "Operations slower than 0.05 s" }),
    by_operation_type: Type.Record(Type.String(), CacheOperationTypeStats),
  },
  { $id: "CacheOperationStats" },
);
export type CacheOperationStats = Static<typeof CacheOperationStats>;

export const CompressionStats = Type.Object(
  {
    total_operations: Type.Integer(),
    avg_compression_ratio: Type.Number({ description: "compressed / original" }),
    median_compression_ratio: Type.Number(),
    best_compression_ratio: Type.Number({ description: "Smallest compressed / original" }),
    worst_compression_ratio: Type.Number(),
    avg_compression_time: Seconds("Mean"),
    max_compression_time: Seconds("Longest"),
    total_bytes_processed: Type.Integer(),
    total_bytes_saved: Type.Integer(),
    overall_savings_percent: Type.Number(),
  },
  { $id: "CompressionStats" },
);
export type CompressionStats = Static<typeof CompressionStats>;

export const CachePerformanceResponse = Type.Object(
  {
    timestamp: Type.String({ description: "ISO 8601" }),
    retention_hours: Type.Number(),
    cache_hit_rate: Type.Number({ description: "Percent: hits / (hits + misses) * 100, 0 with no lookups" }),
    total_cache_operations: Type.Integer({ description: "Lookups over the window" }),
    cache_hits: Type.Integer(),
    cache_misses: Type.Integer(),
    key_generation: Type.Optional(CacheKeyGenerationStats),
    cache_operations: Type.Optional(CacheOperationStats),
    compression: Type.Optional(CompressionStats),
    memory_usage: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    invalidation: Type.Optional(InvalidationStatsResponse),
  },
  { $id: "CachePerformanceResponse" },
);
export type CachePerformanceResponse = Static<typeof CachePerformanceResponse>;

// Examples for the OpenAPI document, taken from a real sidecar with Redis; typed against the schemas.
export const STATUS_EXAMPLE = {
  redis: { status: "connected", configured: true, state: "connected", url: "redis://***@redis:6379/0", keys: 1523, memory_used: "2.31M", memory_usage: "2.31M", memory_used_bytes: 2422208, connected_clients: 3, topology: "standalone" },
  memory: { status: "normal", entries: 412, limit: 10000, bytes: 1843200, max_bytes: 67108864, utilization_percent: 4.12, bytes_utilization_percent: 2.75, evictions: 0 },
  performance: { status: "good", hit_rate: 71.4, total_operations: 1400, cache_hits: 1000, cache_misses: 400, redis_errors: 0 },
} satisfies CacheStatusResponse;

export const INVALIDATE_EXAMPLE = {
  message: "Cache invalidated for pattern: op:summarize",
  keys_removed: 3,
  memory_keys_removed: 3,
  redis_keys_removed: 3,
  redis: "ok",
  duration_seconds: 0.0021,
} satisfies InvalidateResponse;

export const INVALIDATION_STATS_EXAMPLE = {
  total_invalidations: 1,
  total_keys_invalidated: 3,
  rates: { last_hour: 1, last_24_hours: 1, average_per_hour: 1 },
  thresholds: { warning_per_hour: 50, critical_per_hour: 100, current_alert_level: "normal" },
  patterns: { most_common_patterns: { "op:summarize": 1 }, invalidation_types: { manual: 1 } },
  efficiency: { avg_keys_per_invalidation: 3, avg_duration: 0.0021, max_duration: 0.0021 },
} satisfies InvalidationStatsResponse;

export const RECOMMENDATIONS_EXAMPLE = {
  recommendations: ["High invalidation frequency: 62 invalidations in the last hour (warning at 50, critical at 100)"],
  details: [
    {
      severity: "warning",
      issue: "High invalidation frequency",
      message: "62 invalidations in the last hour (warning at 50, critical at 100)",
      suggestions: ["Use more specific patterns instead of broad wildcards", "Use longer TTLs where data changes rarely"],
    },
  ],
} satisfies RecommendationsResponse;

const DURATIONS_EXAMPLE = { avg_duration: 0.00014, median_duration: 0.00004, p95_duration: 0.00031, p99_duration: 0.00031, max_duration: 0.00036, min_duration: 0.00001 };
export const PERFORMANCE_EXAMPLE = {
  timestamp: "2026-12-06T11:40:56.826Z",
  retention_hours: 1,
  cache_hit_rate: 50,
  total_cache_operations: 2,
  cache_hits: 1,
  cache_misses: 1,
  key_generation: { total_operations: 5, ...DURATIONS_EXAMPLE, avg_text_length: 2048, max_text_length: 4096, slow_operations: 0 },
  cache_operations: {
    total_operations: 6,
    ...DURATIONS_EXAMPLE,
    slow_operations: 0,
    by_operation_type: { get: { count: 2, avg_duration: 0.00007, max_duration: 0.00011, median_duration: 0.00004, p95_duration: 0.00004, p99_duration: 0.00004 } },
  },
  compression: {
    total_operations: 3,
    avg_compression_ratio: 0.31,
    median_compression_ratio: 0.3,
    best_compression_ratio: 0.22,
    worst_compression_ratio: 0.41,
    avg_compression_time: 0.00005,
    max_compression_time: 0.00009,
    total_bytes_processed: 6144,
    total_bytes_saved: 4239,
    overall_savings_percent: 69,
  },
  invalidation: INVALIDATION_STATS_EXAMPLE,
} satisfies CachePerformanceResponse;
