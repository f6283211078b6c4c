import { Type, type Static } from "@sinclair/typebox";
import { MemoryStatus, Recommendation, RedisStatus } from "../management/model.ts";

const Count = (description: string) => Type.Integer({ minimum: 0, description });
/** One value per slice of the window, oldest first. */
const PerSlice = (description: string) => Type.Array(Type.Number(), { description: `${description}, one per slice, oldest first` });
/** Null for a slice with nothing to measure. */
const PerSliceOrNull = (description: string) => Type.Array(Type.Union([Type.Number(), Type.Null()]), { description: `${description}, one per slice, oldest first; null for a slice without any` });
const HitRate = Type.Union([Type.Number(), Type.Null()], { description: "Percent of lookups that hit; null without lookups" });

export const DashboardSeries = Type.Object(
  {
    time: PerSlice("Start of the slice, seconds since the Unix epoch"),
    memory_hits: PerSlice("Lookups answered by the memory tier"),
    redis_hits: PerSlice("Lookups answered by Redis"),
    misses: PerSlice("Lookups that found nothing"),
    hit_rate: PerSliceOrNull("Percent of the slice's lookups that hit"),
    requests_per_second: PerSlice("Cache operations of every kind (lookups, stores, deletes, invalidations) per second; the newest slice over its elapsed part"),
    lookup_p50: PerSliceOrNull("Median lookup duration (seconds, within 1%)"),
    lookup_p95: PerSliceOrNull("95th percentile lookup duration (seconds, within 1%)"),
    lookup_p99: PerSliceOrNull("99th percentile lookup duration (seconds, within 1%)"),
    store_p50: PerSliceOrNull("Median store duration (seconds, within 1%)"),
    store_p95: PerSliceOrNull("95th percentile store duration (seconds, within 1%)"),
    store_p99: PerSliceOrNull("99th percentile store duration (seconds, within 1%)"),
  },
  { description: "The monitor's time slices over its retention window (60 slices), as columns" },
);

export const DashboardOperation = Type.Object({
  operation: Type.String({ description: "Operation name (summarize, openai.chat.completions...); names past the first 64 are counted as other" }),
  lookups: Count("Lookups since start"),
  memory_hits: Count("Lookups answered by the memory tier"),
  redis_hits: Count("Lookups answered by Redis"),
  misses: Count("Lookups that found nothing"),
  hit_rate: HitRate,
  stores: Count("Stores since start"),
});

export const DashboardProxyEndpoint = Type.Object({
  endpoint: Type.String(),
  requests: Count("Requests since start"),
  hits: Count("Answered from the cache"),
  misses: Count("Sent upstream and eligible for storing"),
  bypass: Count("Sent upstream without using the cache"),
  hit_rate: HitRate,
});

export const DashboardProxyModel = Type.Object({
  model: Type.String({ description: "Model named by requests; past the first 64, other" }),
  requests: Count("Requests since start"),
  hits: Count("Answered from the cache"),
  hit_rate: HitRate,
});

export const DashboardTokenSavings = Type.Object({
  model: Type.String(),
  input_tokens: Count("Input tokens the cache served instead of the upstream"),
  output_tokens: Count("Output tokens the cache served instead of the upstream"),
  dollars: Type.Union([Type.Number(), Type.Null()], { description: "At the model's MODEL_PRICES price; null when the model has none" }),
});

export const DashboardData = Type.Object(
  {
    timestamp: Type.String({ description: "ISO 8601" }),
    instance_id: Type.String(),
    version: Type.String(),
    monitoring: Type.Boolean({ description: "False when MONITORING_ENABLED=false: the series stay empty" }),
    window: Type.Object({
      retention_hours: Type.Number(),
      slice_seconds: Type.Number({ description: "Length of one slice: the retention window / 60" }),
    }),
    lookups: Type.Object(
      { memory_hits: Count("Over the window"), redis_hits: Count("Over the window"), misses: Count("Over the window"), hit_rate: HitRate },
      { description: "Lookups over the whole window, by the tier that answered" },
    ),
    series: DashboardSeries,
    memory: MemoryStatus,
    redis: RedisStatus,
    redis_errors: Count("Redis calls that failed since start"),
    operations: Type.Array(DashboardOperation, { description: "The 10 busiest operations (lookups plus stores) since start, busiest first" }),
    proxy: Type.Union(
      [
        Type.Object({
          endpoints: Type.Array(DashboardProxyEndpoint, { description: "Busiest first" }),
          models: Type.Array(DashboardProxyModel, { description: "The 10 busiest, busiest first" }),
          collapsed: Count("Requests that waited for an identical one in flight instead of calling the upstream"),
          not_stored: Count("Upstream answers not stored (errors, truncated, no-store...)"),
        }),
        Type.Null(),
      ],
      { description: "The caching proxy's traffic since start; null when PROXY_ENABLED=false" },
    ),
    savings: Type.Object(
      {
        upstream_calls_avoided: Count("Hits since start (each is a call the app did not make), plus lookups and proxy requests that waited for another caller's answer (leases) instead of calling"),
        input_tokens: Count("Input tokens served from the cache since start (from the stored usage of proxy answers)"),
        output_tokens: Count("Output tokens served from the cache since start"),
        dollars: Type.Union([Type.Number(), Type.Null()], { description: "Money saved at MODEL_PRICES; null when no price is set" }),
        by_model: Type.Array(DashboardTokenSavings, { description: "Most tokens first" }),
      },
      { description: "What the cache saved since start" },
    ),
    invalidations: Type.Object({
      time: Type.Array(Type.Number(), { description: "Start of each minute of the last hour, seconds since the Unix epoch, oldest first" }),
      count: Type.Array(Type.Integer({ minimum: 0 }), { description: "Invalidations in each minute" }),
      last_hour: Count("Invalidations in the last hour"),
      total: Count("Invalidations since start"),
      alert_level: Type.Union([Type.Literal("normal"), Type.Literal("warning"), Type.Literal("critical")]),
      recommendations: Type.Array(Recommendation),
    }),
  },
  { $id: "DashboardData" },
);
export type DashboardData = Static<typeof DashboardData>;
export type DashboardSeries = Static<typeof DashboardSeries>;
export type DashboardOperation = Static<typeof DashboardOperation>;
export type DashboardTokenSavings = Static<typeof DashboardTokenSavings>;
export type DashboardProxyEndpoint = Static<typeof DashboardProxyEndpoint>;
export type DashboardProxyModel = Static<typeof DashboardProxyModel>;

const EXAMPLE_SLICES = 3;
const slices = <T>(values: T[]): T[] => values.slice(0, EXAMPLE_SLICES);
/** An answer /dashboard/data gives (three slices shown of sixty), for the OpenAPI document. */
export const DASHBOARD_DATA_EXAMPLE = {
  timestamp: "2026-12-06T12:00:00.000Z",
  instance_id: "summarizer-7d9f",
  version: "0.1.0",
  monitoring: true,
  window: { retention_hours: 1, slice_seconds: 60 },
  lookups: { memory_hits: 930, redis_hits: 70, misses: 400, hit_rate: 71.43 },
  series: {
    time: slices([1796558280, 1796558340, 1796558400]),
    memory_hits: slices([310, 300, 320]),
    redis_hits: slices([20, 30, 20]),
    misses: slices([140, 130, 130]),
    hit_rate: slices([70.21, 71.74, 72.34]),
    requests_per_second: slices([9.5, 9.2, 9.4]),
    lookup_p50: slices([0.000021, 0.00002, 0.000022]),
    lookup_p95: slices([0.00031, 0.00029, 0.0003]),
    lookup_p99: slices([0.0011, 0.00098, 0.001]),
    store_p50: slices([0.00014, 0.00013, 0.00015]),
    store_p95: slices([0.00042, 0.0004, 0.00041]),
    store_p99: slices([0.0012, null, 0.0011]),
  },
  memory: { status: "normal", entries: 412, limit: 10000, bytes: 1843200, max_bytes: 67108864, utilization_percent: 4.12, bytes_utilization_percent: 2.75, evictions: 0 },
  redis: { status: "connected", configured: true, state: "connected", url: "redis://***@redis:6379/0", keys: 1523, memory_used: "2.31M", memory_usage: "2.31M", memory_used_bytes: 2422208, connected_clients: 3, topology: "standalone" },
  redis_errors: 0,
  operations: [{ operation: "openai.chat.completions", lookups: 1400, memory_hits: 930, redis_hits: 70, misses: 400, hit_rate: 71.43, stores: 400 }],
  proxy: {
    endpoints: [{ endpoint: "openai.chat.completions", requests: 1400, hits: 1000, misses: 400, bypass: 0, hit_rate: 71.43 }],
    models: [{ model: "gpt-4o-mini", requests: 1400, hits: 1000, hit_rate: 71.43 }],
    collapsed: 12,
    not_stored: 3,
  },
  savings: {
    upstream_calls_avoided: 1012,
    input_tokens: 412000,
    output_tokens: 96000,
    dollars: 0.1194,
    by_model: [{ model: "gpt-4o-mini", input_tokens: 412000, output_tokens: 96000, dollars: 0.1194 }],
  },
  invalidations: { time: [1796558340, 1796558400], count: [0, 1], last_hour: 1, total: 1, alert_level: "normal", recommendations: [] },
} satisfies DashboardData;
