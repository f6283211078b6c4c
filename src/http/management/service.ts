import { errorMessage } from "../../engine/errors.ts";
import type { ResponseCache } from "../../engine/service.ts";
import type { Logger } from "../../logging/logger.ts";
import type { InvalidationScope } from "../../engine/service.ts";
import type { Finding, InvalidationSummary } from "../../monitor/invalidations.ts";
import type { MemoryReport } from "../../monitor/memory-samples.ts";
import type {
  CompressionSummary,
  KeyGenerationSummary,
  LookupCounts,
  OperationSummary,
  PerformanceMonitor,
  PerformanceSnapshot,
  SeriesStats,
} from "../../monitor/monitor.ts";
import { round } from "../../monitor/round.ts";
import type {
  CacheKeyGenerationStats,
  CacheOperationStats,
  CacheOperationTypeStats,
  CachePerformanceResponse,
  CacheStatusResponse,
  CompressionStats,
  InvalidateResponse,
  InvalidationStatsResponse,
  Recommendation,
  RecommendationsResponse,
} from "./model.ts";

export interface ManagementServiceOptions {
  readonly cache: ResponseCache;
  /** null when no monitor could be attached: metrics then answer 500. */
  readonly monitor: PerformanceMonitor | null;
  readonly logger: Logger;
}

export type MetricsOutcome =
  | { readonly kind: "ok"; readonly body: CachePerformanceResponse }
  | { readonly kind: "disabled" }
  | { readonly kind: "failed"; readonly detail: string };

const MB = 1024 ** 2;

/** Like Redis's used_memory_human: 1.50M, 832.00K, 512B. */
function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)}G`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(2)}M`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(2)}K`;
  return `${bytes}B`;
}

/** Hit rate at or above which performance is "optimal", and the floor of "good". */
const OPTIMAL_HIT_RATE = 70;
const GOOD_HIT_RATE = 40;

/** The operators' view of the cache. Each read degrades instead of failing, as documented. */
export class ManagementService {
  private readonly cache: ResponseCache;
  private readonly monitor: PerformanceMonitor | null;
  private readonly logger: Logger;

  constructor(options: ManagementServiceOptions) {
    this.cache = options.cache;
    this.monitor = options.monitor;
    this.logger = options.logger;
  }

  /** Never throws: on an internal error it still answers, with `error` set. */
  async status(): Promise<CacheStatusResponse> {
    try {
      this.cache.sampleMemory();
      return { redis: await this.redisStatus(), memory: this.memoryStatus(), performance: this.performanceStatus() };
    } catch (error) {
      this.logger.error("cache status failed", { error });
      return {
        redis: { status: "error", configured: this.cache.redis.configured },
        memory: { status: "unavailable" },
        performance: { status: "unavailable" },
        error: `cache status unavailable: ${errorMessage(error)}`,
      };
    }
  }

  /** The documented answer for a pattern; the same fields, and more, for tags, namespaces, dry runs and soft purges. */
  async invalidate(pattern: string, operationContext: string, scope: InvalidationScope = {}): Promise<InvalidateResponse> {
    const result = await this.cache.invalidate(pattern, operationContext, scope);
    const removed = !result.dryRun && !result.soft;
    const what = [scope.tag === undefined ? null : `tag: ${scope.tag}`, scope.namespace === undefined ? null : `namespace: ${scope.namespace}`, scope.tag === undefined || pattern !== "" ? `pattern: ${pattern}` : null]
      .filter((part) => part !== null)
      .join(", ");
    const verb = result.dryRun ? "Dry run, nothing removed" : result.soft ? "Cache entries marked stale" : "Cache invalidated";
    const answer: InvalidateResponse = {
      message: `${verb} for ${what}`,
      keys_removed: removed ? result.keysRemoved : 0,
      memory_keys_removed: removed ? result.memoryKeysRemoved : 0,
      redis_keys_removed: removed ? result.redisKeysRemoved : 0,
      redis: result.redis,
      duration_seconds: result.durationSeconds,
    };
    if (scope.tag !== undefined) answer.tag = scope.tag;
    if (scope.namespace !== undefined) answer.namespace = scope.namespace;
    if (result.dryRun) {
      answer.dry_run = true;
      answer.would_remove = result.keysRemoved;
      answer.memory_would_remove = result.memoryKeysRemoved;
      answer.redis_would_remove = result.redisKeysRemoved;
    } else if (result.soft) {
      answer.soft = true;
      answer.keys_marked_stale = result.keysRemoved;
      answer.memory_keys_marked_stale = result.memoryKeysRemoved;
      answer.redis_keys_marked_stale = result.redisKeysRemoved;
    }
    return answer;
  }

  /** `{}` on an internal error, as documented. */
  invalidationStats(): InvalidationStatsResponse {
    try {
      return invalidationStats(this.requireMonitor().invalidations.summary());
    } catch (error) {
      this.logger.error("invalidation stats failed", { error });
      return {};
    }
  }

  /** `{"recommendations": []}` on an internal error, as documented. */
  recommendations(): RecommendationsResponse {
    try {
      const details = this.requireMonitor().invalidations.findings().map(recommendation);
      return { recommendations: details.map((finding) => `${finding.issue}: ${finding.message}`), details };
    } catch (error) {
      this.logger.error("invalidation recommendations failed", { error });
      return { recommendations: [] };
    }
  }

  /** "failed" (answered 500) when there is no monitor or it throws; "disabled" (503) when monitoring is off. */
  metrics(): MetricsOutcome {
    if (this.monitor !== null && !this.monitor.enabled) return { kind: "disabled" };
    try {
      this.cache.sampleMemory();
      return { kind: "ok", body: performanceResponse(this.requireMonitor().performanceSnapshot()) };
    } catch (error) {
      this.logger.error("performance metrics failed", { error });
      return { kind: "failed", detail: errorMessage(error) };
    }
  }

  private requireMonitor(): PerformanceMonitor {
    if (this.monitor === null) throw new Error("the performance monitor is not available");
    return this.monitor;
  }

  private async redisStatus(): Promise<CacheStatusResponse["redis"]> {
    const redis = this.cache.redis;
    const status = redis.health;
    if (status === "disabled" || redis.kind === "none") return { status: "disabled", configured: false };
    const base = {
      configured: true,
      topology: redis.kind,
      state: redis.state,
      url: redis.url,
      last_error: redis.lastError,
      writes: redis.writes.state,
      write_failures: redis.writes.failures,
      last_write_error: redis.writes.lastError,
      ...(this.cache.coherence.stats ? { coherence: this.cache.coherence.stats } : {}),
    };
    if (status !== "connected") return { status, ...base };
    const nodes = await redis.nodes();
    const masters = nodes.filter((node) => node.role === "master" && node.status === "connected");
    if (masters.length === 0) return { status: "unavailable", ...base, nodes };
    const usedBytes = masters.reduce((sum, node) => sum + (node.usedMemoryBytes ?? 0), 0);
    const human = masters.length === 1 ? (masters[0]!.usedMemoryHuman ?? formatBytes(usedBytes)) : formatBytes(usedBytes);
    return {
      status: "connected",
      ...base,
      keys: masters.reduce((sum, node) => sum + (node.keys ?? 0), 0),
      memory_used: human,
      memory_usage: human,
      memory_used_bytes: usedBytes,
      connected_clients: masters.reduce((sum, node) => sum + (node.connectedClients ?? 0), 0),
      nodes: nodes.map((node) => ({
        address: node.address,
        role: node.role,
        status: node.status,
        ...(node.keys !== undefined ? { keys: node.keys } : {}),
        ...(node.usedMemoryBytes !== undefined ? { memory_used_bytes: node.usedMemoryBytes } : {}),
        ...(node.error !== undefined ? { error: node.error } : {}),
      })),
    };
  }

  private memoryStatus(): CacheStatusResponse["memory"] {
    const memory = this.cache.memory;
    if (!memory.enabled) return { status: "disabled", entries: 0, limit: memory.maxEntries, bytes: 0, max_bytes: memory.maxBytes };
    return {
      status: this.monitor?.memory.level(memory.bytes) ?? "normal",
      entries: memory.size,
      limit: memory.maxEntries,
      bytes: memory.bytes,
      max_bytes: memory.maxBytes,
      utilization_percent: round((memory.size / memory.maxEntries) * 100, 2),
      bytes_utilization_percent: round((memory.bytes / memory.maxBytes) * 100, 2),
      evictions: memory.evictions,
    };
  }

  private performanceStatus(): CacheStatusResponse["performance"] {
    const monitor = this.monitor;
    if (monitor === null) return { status: "unavailable" };
    if (!monitor.enabled) return { status: "disabled" };
    const { hits, misses } = monitor.lookups();
    const total = hits + misses;
    const rate = hitRatePercent({ hits, misses });
    const status = total === 0 ? "no_data" : rate >= OPTIMAL_HIT_RATE ? "optimal" : rate >= GOOD_HIT_RATE ? "good" : "degraded";
    return { status, hit_rate: rate, total_operations: total, cache_hits: hits, cache_misses: misses, redis_errors: monitor.redisErrors };
  }
}

/*
 * The monitor's measurements as the documented snake_case shapes. Units, rounding and the
 * omission of sections without data are decided here; each shape is checked against its schema
 * by the compiler.
 */

/** Percent of lookups that hit, to 2 decimals; 0 with no lookups. */
function hitRatePercent({ hits, misses }: LookupCounts): number {
  const total = hits + misses;
  return total > 0 ? round((hits / total) * 100, 2) : 0;
}

function performanceResponse(snapshot: PerformanceSnapshot): CachePerformanceResponse {
  const { lookups, keyGeneration, operations, compression } = snapshot;
  return {
    timestamp: new Date(snapshot.takenAt).toISOString(),
    retention_hours: snapshot.retentionHours,
    cache_hit_rate: hitRatePercent(lookups),
    total_cache_operations: lookups.hits + lookups.misses,
    cache_hits: lookups.hits,
    cache_misses: lookups.misses,
    ...(keyGeneration !== null ? { key_generation: keyGenerationStats(keyGeneration) } : {}),
    ...(operations !== null ? { cache_operations: operationStats(operations) } : {}),
    ...(compression !== null ? { compression: compressionStats(compression) } : {}),
    memory_usage: memoryUsage(snapshot.memory),
    invalidation: invalidationStats(snapshot.invalidations),
  };
}

/** The duration fields that key generation and cache operations share. */
function durationStats(seconds: SeriesStats): Omit<CacheKeyGenerationStats, "avg_text_length" | "max_text_length" | "slow_operations"> {
  return {
    total_operations: seconds.count,
    avg_duration: seconds.mean,
    median_duration: seconds.median,
    p95_duration: seconds.p95,
    p99_duration: seconds.p99,
    max_duration: seconds.max,
    min_duration: seconds.min,
  };
}

function keyGenerationStats({ seconds, meanTextLength, maxTextLength }: KeyGenerationSummary): CacheKeyGenerationStats {
  return { ...durationStats(seconds), avg_text_length: round(meanTextLength, 1), max_text_length: maxTextLength, slow_operations: seconds.slow };
}

function operationStats({ all, byType }: OperationSummary): CacheOperationStats {
  const types: Record<string, CacheOperationTypeStats> = {};
  for (const { type, seconds } of byType) {
    types[type] = {
      count: seconds.count,
      avg_duration: seconds.mean,
      max_duration: seconds.max,
      median_duration: seconds.median,
      p95_duration: seconds.p95,
      p99_duration: seconds.p99,
    };
  }
  return { ...durationStats(all), slow_operations: all.slow, by_operation_type: types };
}

function compressionStats({ ratio, seconds, bytesIn, bytesSaved }: CompressionSummary): CompressionStats {
  return {
    total_operations: ratio.count,
    avg_compression_ratio: round(ratio.mean, 4),
    median_compression_ratio: round(ratio.median, 4),
    best_compression_ratio: round(ratio.min, 4),
    worst_compression_ratio: round(ratio.max, 4),
    avg_compression_time: seconds.mean,
    max_compression_time: seconds.max,
    total_bytes_processed: bytesIn,
    total_bytes_saved: bytesSaved,
    overall_savings_percent: bytesIn > 0 ? round((bytesSaved / bytesIn) * 100, 2) : 0,
  };
}

/** Sizes in MB to 2 decimals. The schema leaves this section an open record, so the compiler checks no field names here. */
function memoryUsage(report: MemoryReport): NonNullable<CachePerformanceResponse["memory_usage"]> {
  const thresholds = { warning_threshold_mb: report.thresholds.warningBytes / MB, critical_threshold_mb: report.thresholds.criticalBytes / MB };
  if (report.latest === null) return { no_measurements: true, thresholds };
  const { latest, level, trend } = report;
  const mb = (bytes: number): number => round(bytes / MB, 2);
  return {
    current: {
      total_cache_size_mb: mb(latest.memoryTierBytes),
      memory_cache_size_mb: mb(latest.memoryTierBytes),
      memory_cache_entries: latest.memoryTierEntries,
      avg_entry_size_bytes: latest.memoryTierEntries > 0 ? Math.round(latest.memoryTierBytes / latest.memoryTierEntries) : 0,
      process_memory_mb: mb(latest.processRssBytes),
      utilization_percent: round((latest.memoryTierBytes / report.thresholds.warningBytes) * 100, 2),
      warning_threshold_reached: level !== "normal",
    },
    thresholds: { ...thresholds, warning_threshold_reached: level !== "normal", critical_threshold_reached: level === "critical" },
    trends: {
      measurements: trend.measurements,
      avg_memory_mb: mb(trend.meanBytes),
      max_memory_mb: mb(trend.maxBytes),
      avg_entry_count: Math.round(trend.meanEntries),
      max_entry_count: trend.maxEntries,
      growth_rate_mb_per_hour: trend.spanHours > 0 ? round(trend.bytesChange / MB / trend.spanHours, 2) : 0,
    },
  };
}

function invalidationStats({ total, totalKeys, thresholds, activity }: InvalidationSummary): InvalidationStatsResponse {
  if (activity === null) {
    return {
      no_invalidations: true,
      total_invalidations: total,
      total_keys_invalidated: totalKeys,
      warning_threshold_per_hour: thresholds.warningPerHour,
      critical_threshold_per_hour: thresholds.criticalPerHour,
    };
  }
  return {
    total_invalidations: total,
    total_keys_invalidated: totalKeys,
    rates: { last_hour: activity.lastHour, last_24_hours: activity.last24Hours, average_per_hour: round(activity.averagePerHour, 3) },
    thresholds: { warning_per_hour: thresholds.warningPerHour, critical_per_hour: thresholds.criticalPerHour, current_alert_level: activity.alertLevel },
    patterns: { most_common_patterns: activity.mostCommonPatterns, invalidation_types: activity.types },
    efficiency: {
      avg_keys_per_invalidation: round(activity.meanKeys, 3),
      avg_duration: activity.meanDurationSeconds,
      max_duration: activity.maxDurationSeconds,
    },
  };
}

function recommendation({ severity, issue, message, suggestions }: Finding): Recommendation {
  return { severity, issue, message, suggestions: [...suggestions] };
}
