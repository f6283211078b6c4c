import { InvalidationLog, round } from "./invalidations.ts";
import { LogBuckets } from "./log-buckets.ts";
import { MemorySamples, type MemorySample } from "./memory-samples.ts";
import { distributionFrom, WindowedCounter, WindowedHistogram, WindowedStats, type Distribution, type SliceClock } from "./windowed.ts";

export const OPERATION_TYPES = ["get", "set", "delete", "invalidate"] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];
export type HitTier = "memory" | "redis";

/** Slow-operation thresholds of the reference, in seconds. */
export const SLOW_KEY_GENERATION_SECONDS = 0.1;
export const SLOW_CACHE_OPERATION_SECONDS = 0.05;
/** Relative error of every percentile the monitor reports. */
export const RELATIVE_ACCURACY = 0.01;
const SLICES = 60;

export interface MonitorOptions {
  readonly enabled: boolean;
  readonly retentionHours: number;
  readonly now?: () => number;
}

/** Durations from 100 ns to 1000 s, ratios from 1e-4 to 10: outside, values clamp to the edge buckets. */
const durationBuckets = () => new LogBuckets(1e-7, 1e3, RELATIVE_ACCURACY);
const ratioBuckets = () => new LogBuckets(1e-4, 10, RELATIVE_ACCURACY);

/**
 * Streaming performance statistics in fixed memory: every series keeps 60 time slices over the
 * retention window and folds expired slices into all-time totals, so neither memory nor the
 * cost of a query grows with the number of recorded operations. Recording is O(1).
 *
 * With monitoring disabled the record methods return at once (invalidations, which are rare
 * and feed their own endpoints, are still recorded).
 */
export class PerformanceMonitor {
  readonly enabled: boolean;
  readonly retentionHours: number;
  readonly invalidations: InvalidationLog;
  readonly memory: MemorySamples;
  private readonly keyGeneration: WindowedHistogram;
  private readonly textLength: WindowedStats;
  private readonly operations: Record<OperationType, WindowedHistogram>;
  private readonly hits: WindowedCounter;
  private readonly misses: WindowedCounter;
  private readonly compressionRatio: WindowedHistogram;
  private readonly compressionTime: WindowedHistogram;
  private readonly compressionBytesIn: WindowedCounter;
  private readonly compressionBytesSaved: WindowedCounter;
  /** All-time counts for Prometheus, which wants monotonic counters. */
  readonly hitsByTier: Record<HitTier, number> = { memory: 0, redis: 0 };
  missCount = 0;
  redisErrors = 0;

  constructor(options: MonitorOptions) {
    this.enabled = options.enabled;
    this.retentionHours = options.retentionHours;
    const now = options.now ?? Date.now;
    const clock: SliceClock = { sliceCount: SLICES, sliceMs: (options.retentionHours * 3_600_000) / SLICES, now };
    this.invalidations = new InvalidationLog(undefined, now);
    this.memory = new MemorySamples(clock);
    this.keyGeneration = new WindowedHistogram(clock, durationBuckets(), SLOW_KEY_GENERATION_SECONDS);
    this.textLength = new WindowedStats(clock);
    this.operations = {
      get: new WindowedHistogram(clock, durationBuckets(), SLOW_CACHE_OPERATION_SECONDS),
      set: new WindowedHistogram(clock, durationBuckets(), SLOW_CACHE_OPERATION_SECONDS),
      delete: new WindowedHistogram(clock, durationBuckets(), SLOW_CACHE_OPERATION_SECONDS),
      invalidate: new WindowedHistogram(clock, durationBuckets(), SLOW_CACHE_OPERATION_SECONDS),
    };
    this.hits = new WindowedCounter(clock);
    this.misses = new WindowedCounter(clock);
    this.compressionRatio = new WindowedHistogram(clock, ratioBuckets());
    this.compressionTime = new WindowedHistogram(clock, durationBuckets());
    this.compressionBytesIn = new WindowedCounter(clock);
    this.compressionBytesSaved = new WindowedCounter(clock);
  }

  recordKeyGeneration(durationNs: number, textLength: number): void {
    if (!this.enabled) return;
    this.keyGeneration.record(durationNs / 1e9);
    this.textLength.record(textLength);
  }

  /** `hit` is the tier that answered a get, null for a get that missed, undefined for other operations. */
  recordOperation(type: OperationType, durationNs: number, hit?: HitTier | null): void {
    if (!this.enabled) return;
    this.operations[type].record(durationNs / 1e9);
    if (hit === undefined) return;
    if (hit === null) {
      this.misses.add();
      this.missCount++;
    } else {
      this.hits.add();
      this.hitsByTier[hit]++;
    }
  }

  recordCompression(originalBytes: number, compressedBytes: number, durationNs: number): void {
    if (!this.enabled || originalBytes <= 0) return;
    this.compressionRatio.record(compressedBytes / originalBytes);
    this.compressionTime.record(durationNs / 1e9);
    this.compressionBytesIn.add(originalBytes);
    this.compressionBytesSaved.add(originalBytes - compressedBytes);
  }

  recordRedisError(): void {
    this.redisErrors++;
  }

  recordMemoryUsage(sample: MemorySample): void {
    if (!this.enabled) return;
    this.memory.record(sample);
  }

  recordInvalidation(pattern: string, keysInvalidated: number, durationNs: number, operationContext: string, invalidationType = "manual"): void {
    this.invalidations.record({ pattern, keysInvalidated, durationSeconds: durationNs / 1e9, invalidationType, operationContext });
  }

  /** Hits and misses over the window. */
  hitRate(): { hits: number; misses: number; rate: number } {
    const hits = this.hits.window();
    const misses = this.misses.window();
    const total = hits + misses;
    return { hits, misses, rate: total > 0 ? round((hits / total) * 100, 2) : 0 };
  }

  /** The reference's CachePerformanceResponse, computed in O(slices × buckets). */
  performanceStats(): Record<string, unknown> {
    const { hits, misses, rate } = this.hitRate();
    const stats: Record<string, unknown> = {
      timestamp: new Date().toISOString(),
      retention_hours: this.retentionHours,
      cache_hit_rate: rate,
      total_cache_operations: hits + misses,
      cache_hits: hits,
      cache_misses: misses,
    };
    const keyGeneration = this.keyGeneration.windowDistribution();
    if (keyGeneration.count > 0) {
      const lengths = this.textLength.window();
      stats.key_generation = {
        ...durationFields(keyGeneration),
        avg_text_length: round(lengths.sum / lengths.count, 1),
        max_text_length: lengths.max,
        slow_operations: keyGeneration.over,
      };
    }
    const byType: Record<string, Record<string, number>> = {};
    const all = { count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, over: 0 };
    let allBuckets: Float64Array | null = null;
    for (const type of OPERATION_TYPES) {
      const distribution = this.operations[type].windowDistribution();
      if (distribution.count === 0) continue;
      byType[type] = {
        count: distribution.count,
        avg_duration: distribution.sum / distribution.count,
        max_duration: distribution.max,
        median_duration: distribution.quantile(0.5),
        p95_duration: distribution.quantile(0.95),
        p99_duration: distribution.quantile(0.99),
      };
      all.count += distribution.count;
      all.sum += distribution.sum;
      all.over += distribution.over;
      all.min = Math.min(all.min, distribution.min);
      all.max = Math.max(all.max, distribution.max);
      const counts = this.operations[type].windowBuckets();
      if (allBuckets === null) allBuckets = counts;
      else for (let i = 0; i < counts.length; i++) allBuckets[i]! += counts[i]!;
    }
    if (allBuckets !== null) {
      const overall = distributionFrom(all, allBuckets, this.operations.get.buckets);
      stats.cache_operations = { ...durationFields(overall), slow_operations: overall.over, by_operation_type: byType };
    }
    const ratio = this.compressionRatio.windowDistribution();
    if (ratio.count > 0) {
      const time = this.compressionTime.windowDistribution();
      const bytesIn = this.compressionBytesIn.window();
      const saved = this.compressionBytesSaved.window();
      stats.compression = {
        total_operations: ratio.count,
        avg_compression_ratio: round(ratio.sum / ratio.count, 4),
        median_compression_ratio: round(ratio.quantile(0.5), 4),
        best_compression_ratio: round(ratio.min, 4),
        worst_compression_ratio: round(ratio.max, 4),
        avg_compression_time: time.sum / time.count,
        max_compression_time: time.max,
        total_bytes_processed: bytesIn,
        total_bytes_saved: saved,
        overall_savings_percent: bytesIn > 0 ? round((saved / bytesIn) * 100, 2) : 0,
      };
    }
    stats.memory_usage = this.memory.report();
    stats.invalidation = this.invalidations.stats();
    return stats;
  }

  /** All-time series for the Prometheus exporter. */
  exportSeries(): {
    operations: { type: OperationType; histogram: WindowedHistogram }[];
    keyGeneration: WindowedHistogram;
    compression: { count: number; bytesIn: number; bytesSaved: number };
  } {
    return {
      operations: OPERATION_TYPES.map((type) => ({ type, histogram: this.operations[type] })),
      keyGeneration: this.keyGeneration,
      compression: { count: this.compressionRatio.total().count, bytesIn: this.compressionBytesIn.total(), bytesSaved: this.compressionBytesSaved.total() },
    };
  }
}

function durationFields(distribution: Distribution): Record<string, number> {
  return {
    total_operations: distribution.count,
    avg_duration: distribution.sum / distribution.count,
    median_duration: distribution.quantile(0.5),
    p95_duration: distribution.quantile(0.95),
    p99_duration: distribution.quantile(0.99),
    max_duration: distribution.max,
    min_duration: distribution.min,
  };
}
