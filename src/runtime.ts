import type { Config } from "./config/model.ts";
import { redisTarget } from "./config/redis-target.ts";
import { ALONE, Coherence } from "./cache/coherence.ts";
import { CacheKeyBuilder } from "./cache/key.ts";
import { PromotionGuard } from "./cache/promotion-guard.ts";
import { NO_REDIS, type SharedTier } from "./cache/shared-tier.ts";
import { MemoryTier } from "./cache/memory-tier.ts";
import { ResponseCache } from "./cache/service.ts";
import type { Logger } from "./logging/logger.ts";
import { PerformanceMonitor } from "./monitor/monitor.ts";

/**
 * Wires the cache and its monitor from the configuration. Redis is created but not connected.
 * The Redis client is loaded only when Redis is configured: importing it costs a memory-only
 * sidecar about 15 ms of start-up.
 */
export async function createRuntime(config: Config, logger: Logger): Promise<{ cache: ResponseCache; monitor: PerformanceMonitor }> {
  const monitor = new PerformanceMonitor({ enabled: config.monitoringEnabled, retentionHours: config.monitorRetentionHours });
  const target = redisTarget(config);
  const redis: SharedTier =
    target === null
      ? NO_REDIS
      : new (await import("./cache/redis-tier.ts")).RedisTier({
          target,
          commandTimeoutMs: config.redisCommandTimeoutMs,
          connectTimeoutMs: config.redisConnectTimeoutMs,
          tlsCa: config.redisTlsCa,
          clientName: `ai-response-cache:${config.instanceId}`.replace(/[^\x21-\x7e]/g, "_"),
          logger,
        });
  const keys = new CacheKeyBuilder(config.keyPrefix);
  const memory = new MemoryTier({ maxEntries: config.memoryMaxEntries, maxBytes: config.memoryMaxBytes });
  const guard = new PromotionGuard();
  const coherence =
    redis.configured && config.coherence ? new Coherence({ memory, keys, redis, guard, logger, boundMs: config.coherenceBoundMs }) : ALONE;
  const cache = new ResponseCache({
    keys,
    memory,
    redis,
    coherence,
    guard,
    startTimeoutMs: config.redisConnectTimeoutMs,
    monitor,
    logger,
    ttl: { defaultSeconds: config.defaultTtlSeconds, perOperation: config.operationTtls },
    compression: { thresholdBytes: config.compressionThresholdBytes, codec: "zstd", level: config.compressionLevel },
    limits: { maxTextBytes: config.maxTextBytes, maxResponseBytes: config.maxResponseBytes },
  });
  return { cache, monitor };
}

