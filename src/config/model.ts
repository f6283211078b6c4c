import { Type, type Static } from "@sinclair/typebox";
import type { AccessScope } from "../engine/access.ts";
import { NAMESPACE_PATTERN, OPERATION_PATTERN } from "../engine/key.ts";
import type { CacheMode } from "../engine/mode.ts";
import { LOG_LEVELS, MAX_BODY_BYTES_BOUNDS, PORT_BOUNDS, SHUTDOWN_TIMEOUT_MS_BOUNDS } from "./listen.ts";

export const KEY_PREFIX_PATTERN = "^[A-Za-z0-9_.-]{1,32}$";
export const UPSTREAM_NAME_PATTERN = "^[a-z0-9][a-z0-9_-]{0,31}$";

const PositiveInt = (maximum: number) => Type.Integer({ minimum: 1, maximum });

/** The whole configuration, validated once at start-up; nothing else reads the environment. */
export const ConfigSchema = Type.Object({
  // The fields read before listening take their bounds from listen.ts, which parses them.
  port: Type.Integer({ ...PORT_BOUNDS }),
  host: Type.String({ minLength: 1 }),
  environment: Type.Union([Type.Literal("development"), Type.Literal("production")]),
  logLevel: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level))),
  apiKeys: Type.Array(Type.String({ minLength: 1 })),
  /** Keys limited to some scopes, and maybe bound to one namespace. */
  scopedApiKeys: Type.Array(
    Type.Object({
      key: Type.String({ minLength: 1 }),
      scopes: Type.Array(Type.Union([Type.Literal("read"), Type.Literal("data"), Type.Literal("invalidate"), Type.Literal("admin")]), { minItems: 1 }),
      namespace: Type.Union([Type.String({ pattern: NAMESPACE_PATTERN }), Type.Null()]),
    }),
  ),
  /** What the cache may do: read_write, read_only, write_only or off. */
  cacheMode: Type.Union([Type.Literal("read_write"), Type.Literal("read_only"), Type.Literal("write_only"), Type.Literal("off")]),
  redisUrl: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  /** Seed nodes of a Redis Cluster (redis:// URLs); empty unless clustered. */
  redisClusterNodes: Type.Array(Type.String({ minLength: 1 })),
  /** Sentinels (host:port); empty unless Redis is reached through Sentinel. */
  redisSentinelNodes: Type.Array(Type.Object({ host: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 1, maximum: 65535 }) })),
  redisSentinelMaster: Type.String({ minLength: 1 }),
  /** Password of the data nodes behind Sentinel (REDIS_URL and cluster URLs carry their own). */
  redisPassword: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  /** Tell other sidecars on the same Redis about changes, and listen to theirs. */
  coherence: Type.Boolean(),
  /** Staleness bound across sidecars: heartbeats notice lost pub/sub messages within it. */
  coherenceBoundMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
  leaseTtlMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
  hitForMissSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
  /** PEM of the CA that signs the server certificate, for rediss:// with a private CA. */
  redisTlsCa: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  redisCommandTimeoutMs: PositiveInt(60_000),
  redisConnectTimeoutMs: PositiveInt(60_000),
  keyPrefix: Type.String({ pattern: KEY_PREFIX_PATTERN }),
  memoryMaxEntries: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
  memoryMaxBytes: Type.Integer({ minimum: 0, maximum: 64 * 1024 ** 3 }),
  defaultTtlSeconds: PositiveInt(365 * 86_400),
  operationTtls: Type.Record(Type.String({ pattern: OPERATION_PATTERN }), PositiveInt(365 * 86_400)),
  staleSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86_400 }),
  operationStaleSeconds: Type.Record(Type.String({ pattern: OPERATION_PATTERN }), PositiveInt(30 * 86_400)),
  proxyStaleIfErrorSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86_400 }),
  compressionThresholdBytes: Type.Integer({ minimum: 0, maximum: 2 ** 31 }),
  compressionLevel: Type.Integer({ minimum: 1, maximum: 19 }),
  maxTextBytes: PositiveInt(256 * 1024 ** 2),
  maxResponseBytes: PositiveInt(256 * 1024 ** 2),
  maxBodyBytes: Type.Integer({ ...MAX_BODY_BYTES_BOUNDS }),
  /** Request-body bytes held at once across all requests; at least maxBodyBytes. */
  maxInflightBodyBytes: PositiveInt(64 * 1024 ** 3),
  monitoringEnabled: Type.Boolean(),
  monitorRetentionHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 7 }),
  shutdownTimeoutMs: Type.Integer({ ...SHUTDOWN_TIMEOUT_MS_BOUNDS }),
  instanceId: Type.String({ minLength: 1, maxLength: 128 }),
  /** Serve the OpenAI- and Anthropic-compatible caching proxy under /v1, /anthropic and /upstreams/{name}. */
  proxyEnabled: Type.Boolean(),
  proxyOpenaiUrl: Type.String({ minLength: 1 }),
  proxyAnthropicUrl: Type.String({ minLength: 1 }),
  /** More OpenAI-compatible upstreams, each served under /upstreams/{name}. */
  proxyUpstreams: Type.Array(Type.Object({ name: Type.String({ pattern: UPSTREAM_NAME_PATTERN }), url: Type.String({ minLength: 1 }) })),
  /** Key of the HMAC that puts upstream credentials into cache keys; null: a random one per process. */
  proxyTenantSecret: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  /** Let callers with different upstream credentials share entries. */
  proxyShareAcrossCredentials: Type.Boolean(),
  /** Requests sampled above temperature 0: cached (as peers do) or sent upstream every time. */
  proxySampledRequests: Type.Union([Type.Literal("cache"), Type.Literal("bypass")]),
  /** Top-level request fields that do not change the answer, left out of proxy keys. */
  proxyKeyIgnoreFields: Type.Array(Type.String({ minLength: 1 })),
  /** Longest wait for an upstream's response headers. */
  proxyTimeoutMs: PositiveInt(3_600_000),
  /** Longest silence between two pieces of an upstream's body. */
  proxyIdleTimeoutMs: PositiveInt(3_600_000),
  proxyCoalesceWaitMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
  /** Dollars per million input and output tokens, by model name as requests give it; empty: no prices. */
  modelPrices: Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.Object({ input: Type.Number({ minimum: 0 }), output: Type.Number({ minimum: 0 }) })),
});

/** Fail to compile if the schema and the engine ever name different scopes or modes. */
const sameScopes: [Static<typeof ConfigSchema>["scopedApiKeys"][number]["scopes"][number], AccessScope] extends [AccessScope, Static<typeof ConfigSchema>["scopedApiKeys"][number]["scopes"][number]] ? true : never = true;
const sameModes: [Static<typeof ConfigSchema>["cacheMode"], CacheMode] extends [CacheMode, Static<typeof ConfigSchema>["cacheMode"]] ? true : never = true;
void sameScopes;
void sameModes;

export type Config = Static<typeof ConfigSchema>;
