import { hostname } from "node:os";
import { Value } from "@sinclair/typebox/value";
import { ConfigSchema, type Config } from "./model.ts";
import { describeTarget, redisTarget } from "./redis-target.ts";
import { ConfigError, ENV_VARIABLES } from "./variables.ts";

export { ConfigError } from "./variables.ts";

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads every variable once into one typed object. Throws ConfigError naming the first bad
 * variable; the caller turns that into exit code 2.
 */
export function loadConfig(env: Environment): Config {
  const values: Record<string, unknown> = {};
  for (const variable of ENV_VARIABLES) {
    const raw = env[variable.name] ?? variable.defaultValue;
    if (raw === undefined) continue;
    values[variable.name] = variable.parse(raw, variable.name);
  }

  const primaryKey = values.API_KEY as string | undefined;
  const additionalKeys = (values.ADDITIONAL_API_KEYS as string[] | undefined) ?? [];
  const apiKeys = [...new Set([primaryKey, ...additionalKeys].filter((key): key is string => !!key))];

  const config: Config = {
    port: values.PORT as number,
    host: values.HOST as string,
    environment: values.ENVIRONMENT as Config["environment"],
    logLevel: values.LOG_LEVEL as Config["logLevel"],
    apiKeys,
    redisUrl: (values.REDIS_URL as string | null | undefined) ?? null,
    redisTlsCa: (values.REDIS_TLS_CA_FILE as string | null | undefined) ?? null,
    redisClusterNodes: (values.REDIS_CLUSTER_NODES as string[] | undefined) ?? [],
    redisSentinelNodes: (values.REDIS_SENTINEL_NODES as { host: string; port: number }[] | undefined) ?? [],
    redisSentinelMaster: values.REDIS_SENTINEL_MASTER as string,
    redisPassword: (values.REDIS_PASSWORD as string | null | undefined) ?? null,
    coherence: values.CACHE_COHERENCE as boolean,
    coherenceBoundMs: values.CACHE_COHERENCE_BOUND_MS as number,
    redisCommandTimeoutMs: values.REDIS_COMMAND_TIMEOUT_MS as number,
    redisConnectTimeoutMs: values.REDIS_CONNECT_TIMEOUT_MS as number,
    keyPrefix: values.CACHE_KEY_PREFIX as string,
    memoryMaxEntries: values.CACHE_MEMORY_MAX_ENTRIES as number,
    memoryMaxBytes: values.CACHE_MEMORY_MAX_BYTES as number,
    defaultTtlSeconds: values.CACHE_DEFAULT_TTL_SECONDS as number,
    operationTtls: values.CACHE_OPERATION_TTLS as Record<string, number>,
    compressionThresholdBytes: values.CACHE_COMPRESSION_THRESHOLD_BYTES as number,
    compressionLevel: values.CACHE_COMPRESSION_LEVEL as number,
    maxTextBytes: values.CACHE_MAX_TEXT_BYTES as number,
    maxResponseBytes: values.CACHE_MAX_RESPONSE_BYTES as number,
    maxBodyBytes: values.MAX_BODY_BYTES as number,
    maxInflightBodyBytes: values.MAX_INFLIGHT_BODY_BYTES as number,
    monitoringEnabled: values.MONITORING_ENABLED as boolean,
    monitorRetentionHours: values.MONITOR_RETENTION_HOURS as number,
    shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_MS as number,
    instanceId: (values.INSTANCE_ID as string | undefined) ?? sanitizeInstanceId(hostname()),
  };

  if (config.environment === "production" && config.apiKeys.length === 0) {
    throw new ConfigError("API_KEY", "no API key is configured in production", "a key in API_KEY or ADDITIONAL_API_KEYS");
  }
  const modes = [config.redisUrl !== null, config.redisClusterNodes.length > 0, config.redisSentinelNodes.length > 0].filter(Boolean).length;
  if (modes > 1) {
    throw new ConfigError("REDIS_URL", "more than one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINEL_NODES is set", "exactly one of them, or none for the memory tier only");
  }
  if (config.maxTextBytes > config.maxBodyBytes || config.maxResponseBytes > config.maxBodyBytes) {
    throw new ConfigError("MAX_BODY_BYTES", `${config.maxBodyBytes} bytes is below CACHE_MAX_TEXT_BYTES or CACHE_MAX_RESPONSE_BYTES`, "a body limit at least as large as both");
  }
  if (config.maxInflightBodyBytes < config.maxBodyBytes) {
    // Otherwise a body within MAX_BODY_BYTES could never be read.
    throw new ConfigError("MAX_INFLIGHT_BODY_BYTES", `${config.maxInflightBodyBytes} bytes is below MAX_BODY_BYTES (${config.maxBodyBytes} bytes)`, "a bound at least as large as MAX_BODY_BYTES");
  }
  // The per-variable parsers already checked each value; this guards the assembled object.
  const firstError = Value.Errors(ConfigSchema, config).First();
  if (firstError) throw new ConfigError("configuration", `${firstError.path} ${firstError.message}`, "see --help");
  return config;
}

function sanitizeInstanceId(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.:-]/g, "_").slice(0, 128);
  return cleaned === "" ? "sidecar" : cleaned;
}

/** Configuration as it may be logged: secrets are reduced to whether they are set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { apiKeys, redisUrl, redisTlsCa, redisClusterNodes, redisSentinelNodes, redisPassword, ...rest } = config;
  return {
    ...rest,
    apiKeysConfigured: apiKeys.length,
    redis: describeTarget(redisTarget(config)),
    redisPasswordSet: redisPassword !== null,
    redisTlsCa: redisTlsCa !== null,
  };
}
