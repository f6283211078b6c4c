import { OperationTrafficCounts } from "./by-operation.ts";
import { InvalidationLog, type InvalidationSummary } from "./invalidations.ts";
import { LogBuckets } from "./log-buckets.ts";
import { MemorySamples, type MemoryReport, type MemorySample } from "./memory-samples.ts";
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

/** Lookups (gets) over the window. */
export interface LookupCounts {
  readonly hits: number;
  readonly misses: number;
}

/** One series over the window: durations in seconds, or compression ratios. Percentiles are within RELATIVE_ACCURACY. */
export interface SeriesStats {
  readonly count: number;
  readonly mean: number;
  readonly median: number;
  readonly p95: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
  /** Values above the series' slow threshold (always 0 for a series without one). */
  readonly slow: number;
}

export interface KeyGenerationSummary {
  readonly seconds: SeriesStats;
  readonly meanTextLength: number;
  readonly maxTextLength: number;
}

export interface OperationSummary {
  /** Every operation type together. */
  readonly all: SeriesStats;
  /** The types with operations in the window, in OPERATION_TYPES order. */
  readonly byType: readonly { readonly type: OperationType; readonly seconds: SeriesStats }[];
}

export interface CompressionSummary {
  /** compressed / original, one per compression. */
  readonly ratio: SeriesStats;
  readonly seconds: SeriesStats;
  readonly bytesIn: number;
  readonly bytesSaved: number;
}

/** What the monitor measured over its retention window; a section is null when nothing of its kind was recorded there. */
export interface PerformanceSnapshot {
  /** Wall-clock time of the snapshot (whatever clock the windows run on), ms since the epoch. */
  readonly takenAt: number;
  readonly retentionHours: number;
  readonly lookups: LookupCounts;
  readonly keyGeneration: KeyGenerationSummary | null;
  readonly operations: OperationSummary | null;
  readonly compression: CompressionSummary | null;
  readonly memory: MemoryReport;
  readonly invalidations: InvalidationSummary;
}

/** One time slice of the window (the window holds 60): what happened in it. */
export interface TimeSlice {
  /** Start of the slice, ms since the epoch. */
  readonly start: number;
  readonly memoryHits: number;
  readonly redisHits: number;
  readonly misses: number;
  /** Operations of every type (lookups, stores, deletes, invalidations). */
  readonly operations: number;
  /** Lookup and store duration percentiles in seconds, null for a slice without any. */
  readonly lookup: Percentiles | null;
  readonly store: Percentiles | null;
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** The window slice by slice, oldest first, for charts over time. */
export interface TimeSeries {
  readonly takenAt: number;
  readonly retentionHours: number;
  readonly sliceMs: number;
  readonly slices: readonly TimeSlice[];
}

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
  private readonly hits: Record<HitTier, WindowedCounter>;
  private readonly misses: WindowedCounter;
  private readonly compressionRatio: WindowedHistogram;
  private readonly compressionTime: WindowedHistogram;
  private readonly compressionBytesIn: WindowedCounter;
  private readonly compressionBytesSaved: WindowedCounter;
  private readonly sliceMs: number;
  private readonly now: () => number;
  /** Lookups and stores per operation name since start (bounded), for the busiest operations. */
  readonly byOperation = new OperationTrafficCounts();
  /** All-time counts for Prometheus, which wants monotonic counters. */
  readonly hitsByTier: Record<HitTier, number> = { memory: 0, redis: 0 };
  missCount = 0;
  redisErrors = 0;

  constructor(options: MonitorOptions) {
    this.enabled = options.enabled;
    this.retentionHours = options.retentionHours;
    const now = options.now ?? Date.now;
    this.now = now;
    this.sliceMs = (options.retentionHours * 3_600_000) / SLICES;
    const clock: SliceClock = { sliceCount: SLICES, sliceMs: this.sliceMs, now };
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
    this.hits = { memory: new WindowedCounter(clock), redis: new WindowedCounter(clock) };
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

  /**
   * `hit` is the tier that answered a get, null for a get that missed, undefined for other
   * operations; `operation` names what a lookup or store was for (summarize, openai.chat.completions...).
   */
  recordOperation(type: OperationType, durationNs: number, hit?: HitTier | null, operation?: string): void {
    if (!this.enabled) return;
    this.operations[type].record(durationNs / 1e9);
    if (operation !== undefined) {
      if (type === "set") this.byOperation.recordStore(operation);
      else if (hit !== undefined) this.byOperation.recordLookup(operation, hit);
    }
    if (hit === undefined) return;
    if (hit === null) {
      this.misses.add();
      this.missCount++;
    } else {
      this.hits[hit].add();
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

  lookups(): LookupCounts {
    return { hits: this.hits.memory.window() + this.hits.redis.window(), misses: this.misses.window() };
  }

  /** Hits over the window by the tier that answered. */
  hitsInWindow(): Record<HitTier, number> {
    return { memory: this.hits.memory.window(), redis: this.hits.redis.window() };
  }

  /**
   * The window slice by slice: hits by tier, misses, operations and lookup/store percentiles.
   * O(slices × buckets), from what the monitor already keeps.
   */
  timeSeries(): TimeSeries {
    const memoryHits = this.hits.memory.slices();
    const redisHits = this.hits.redis.slices();
    const misses = this.misses.slices();
    const lookups = this.operations.get.sliceDistributions();
    const stores = this.operations.set.sliceDistributions();
    const counts = OPERATION_TYPES.map((type) => this.operations[type].slices());
    const percentiles = (distribution: Distribution | null): Percentiles | null =>
      distribution === null ? null : { p50: distribution.quantile(0.5), p95: distribution.quantile(0.95), p99: distribution.quantile(0.99) };
    const slices = lookups.map(({ start, distribution }, i) => ({
      start,
      memoryHits: memoryHits[i]!,
      redisHits: redisHits[i]!,
      misses: misses[i]!,
      operations: counts.reduce((sum, series) => sum + (series[i]!.summary?.count ?? 0), 0),
      lookup: percentiles(distribution),
      store: percentiles(stores[i]!.distribution),
    }));
    return { takenAt: this.now(), retentionHours: this.retentionHours, sliceMs: this.sliceMs, slices };
  }

  /** Computed in O(slices × buckets), whatever the number of recorded operations. */
  performanceSnapshot(): PerformanceSnapshot {
    return {
      takenAt: Date.now(),
      retentionHours: this.retentionHours,
      lookups: this.lookups(),
      keyGeneration: this.keyGenerationSummary(),
      operations: this.operationSummary(),
      compression: this.compressionSummary(),
      memory: this.memory.report(),
      invalidations: this.invalidations.summary(),
    };
  }

  private keyGenerationSummary(): KeyGenerationSummary | null {
    const seconds = this.keyGeneration.windowDistribution();
    if (seconds.count === 0) return null;
    const lengths = this.textLength.window();
    return { seconds: seriesStats(seconds), meanTextLength: lengths.sum / lengths.count, maxTextLength: lengths.max };
  }

  /** Each type's series, and all of them merged bucket by bucket for the overall percentiles. */
  private operationSummary(): OperationSummary | null {
    const byType: { type: OperationType; seconds: SeriesStats }[] = [];
    const all = { count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, over: 0 };
    let allBuckets: Float64Array | null = null;
    for (const type of OPERATION_TYPES) {
      const distribution = this.operations[type].windowDistribution();
      if (distribution.count === 0) continue;
      byType.push({ type, seconds: seriesStats(distribution) });
      all.count += distribution.count;
      all.sum += distribution.sum;
      all.over += distribution.over;
      all.min = Math.min(all.min, distribution.min);
      all.max = Math.max(all.max, distribution.max);
      const counts = this.operations[type].windowBuckets();
      if (allBuckets === null) allBuckets = counts;
      else for (let i = 0; i < counts.length; i++) allBuckets[i]! += counts[i]!;
    }
    if (allBuckets === null) return null;
    return { all: seriesStats(distributionFrom(all, allBuckets, this.operations.get.buckets)), byType };
  }

  private compressionSummary(): CompressionSummary | null {
    const ratio = this.compressionRatio.windowDistribution();
    if (ratio.count === 0) return null;
    return {
      ratio: seriesStats(ratio),
      seconds: seriesStats(this.compressionTime.windowDistribution()),
      bytesIn: this.compressionBytesIn.window(),
      bytesSaved: this.compressionBytesSaved.window(),
    };
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

function seriesStats(distribution: Distribution): SeriesStats {
  return {
    count: distribution.count,
    mean: distribution.sum / distribution.count,
    median: distribution.quantile(0.5),
    p95: distribution.quantile(0.95),
    p99: distribution.quantile(0.99),
    min: distribution.min,
    max: distribution.max,
    slow: distribution.over,
  };
}
