import { TypeCompiler } from "@sinclair/typebox/compiler";
import { errorMessage } from "../../engine/errors.ts";
import type { ResponseCache } from "../../engine/service.ts";
import type { Logger } from "../../logging/logger.ts";
import type { Recommendation } from "../../monitor/invalidations.ts";
import type { PerformanceMonitor } from "../../monitor/monitor.ts";
import { CachePerformanceResponse, type CacheStatusResponse, type InvalidateResponse } from "./model.ts";

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

const performanceCheck = TypeCompiler.Compile(CachePerformanceResponse);
const round2 = (value: number): number => Math.round(value * 100) / 100;

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

  async invalidate(pattern: string, operationContext: string): Promise<InvalidateResponse> {
    const result = await this.cache.invalidate(pattern, operationContext);
    return {
      message: `Cache invalidated for pattern: ${pattern}`,
      keys_removed: result.keysRemoved,
      memory_keys_removed: result.memoryKeysRemoved,
      redis_keys_removed: result.redisKeysRemoved,
      redis: result.redis,
      duration_seconds: result.durationSeconds,
    };
  }

  /** `{}` on an internal error, as documented. */
  invalidationStats(): Record<string, unknown> {
    try {
      return { ...this.requireMonitor().invalidations.stats() };
    } catch (error) {
      this.logger.error("invalidation stats failed", { error });
      return {};
    }
  }

  /** `{"recommendations": []}` on an internal error, as documented. */
  recommendations(): { recommendations: string[]; details?: Recommendation[] } {
    try {
      const details = this.requireMonitor().invalidations.recommendations();
      return { recommendations: details.map((finding) => `${finding.issue}: ${finding.message}`), details };
    } catch (error) {
      this.logger.error("invalidation recommendations failed", { error });
      return { recommendations: [] };
    }
  }

  /** Computed, then validated against CachePerformanceResponse before it is answered. */
  metrics(): MetricsOutcome {
    if (this.monitor !== null && !this.monitor.enabled) return { kind: "disabled" };
    try {
      this.cache.sampleMemory();
      const stats = this.requireMonitor().performanceStats();
      if (!performanceCheck.Check(stats)) {
        const first = performanceCheck.Errors(stats).First();
        throw new Error(`metrics failed validation at ${first?.path ?? "?"}: ${first?.message ?? "invalid"}`);
      }
      return { kind: "ok", body: stats };
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
      utilization_percent: round2((memory.size / memory.maxEntries) * 100),
      bytes_utilization_percent: round2((memory.bytes / memory.maxBytes) * 100),
      evictions: memory.evictions,
    };
  }

  private performanceStatus(): CacheStatusResponse["performance"] {
    const monitor = this.monitor;
    if (monitor === null) return { status: "unavailable" };
    if (!monitor.enabled) return { status: "disabled" };
    const { hits, misses, rate } = monitor.hitRate();
    const total = hits + misses;
    const status = total === 0 ? "no_data" : rate >= OPTIMAL_HIT_RATE ? "optimal" : rate >= GOOD_HIT_RATE ? "good" : "degraded";
    return { status, hit_rate: rate, total_operations: total, cache_hits: hits, cache_misses: misses, redis_errors: monitor.redisErrors };
  }
}
