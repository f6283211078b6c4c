import type { SliceClock } from "./windowed.ts";

export interface MemorySample {
  readonly memoryTierBytes: number;
  readonly memoryTierEntries: number;
  readonly processRssBytes: number;
}

export interface MemoryThresholds {
  readonly warningBytes: number;
  readonly criticalBytes: number;
}

export const DEFAULT_MEMORY_THRESHOLDS: MemoryThresholds = { warningBytes: 50 * 1024 ** 2, criticalBytes: 100 * 1024 ** 2 };

export type MemoryLevel = "normal" | "warning" | "critical";

/** Memory measurements over the window: one per slice (its latest). */
export interface MemoryTrend {
  readonly measurements: number;
  /** Means are 0 without measurements. */
  readonly meanBytes: number;
  readonly maxBytes: number;
  readonly meanEntries: number;
  readonly maxEntries: number;
  /** Memory-tier bytes of the newest measurement minus the oldest, and the hours between them (0 without measurements). */
  readonly bytesChange: number;
  readonly spanHours: number;
}

/** `latest` is null before the first measurement. */
export type MemoryReport =
  | { readonly thresholds: MemoryThresholds; readonly latest: null }
  | { readonly thresholds: MemoryThresholds; readonly latest: MemorySample; readonly level: MemoryLevel; readonly trend: MemoryTrend };

/**
 * Memory measurements, one kept per slice (the latest), so trends cover the retention window
 * in fixed memory.
 */
export class MemorySamples {
  private readonly clock: SliceClock;
  private readonly thresholds: MemoryThresholds;
  private readonly epochs: Float64Array;
  private readonly times: Float64Array;
  private readonly bytes: Float64Array;
  private readonly entries: Float64Array;
  private readonly rss: Float64Array;
  private latest: MemorySample | null = null;

  constructor(clock: SliceClock, thresholds: MemoryThresholds = DEFAULT_MEMORY_THRESHOLDS) {
    this.clock = clock;
    this.thresholds = thresholds;
    const n = clock.sliceCount;
    this.epochs = new Float64Array(n).fill(-1);
    this.times = new Float64Array(n);
    this.bytes = new Float64Array(n);
    this.entries = new Float64Array(n);
    this.rss = new Float64Array(n);
  }

  record(sample: MemorySample): void {
    const now = this.clock.now();
    const epoch = Math.floor(now / this.clock.sliceMs);
    const slot = epoch % this.clock.sliceCount;
    this.epochs[slot] = epoch;
    this.times[slot] = now;
    this.bytes[slot] = sample.memoryTierBytes;
    this.entries[slot] = sample.memoryTierEntries;
    this.rss[slot] = sample.processRssBytes;
    this.latest = sample;
  }

  level(bytes: number): MemoryLevel {
    if (bytes >= this.thresholds.criticalBytes) return "critical";
    if (bytes >= this.thresholds.warningBytes) return "warning";
    return "normal";
  }

  report(): MemoryReport {
    const thresholds = this.thresholds;
    const latest = this.latest;
    if (latest === null) return { thresholds, latest };
    const oldest = Math.floor(this.clock.now() / this.clock.sliceMs) - this.clock.sliceCount + 1;
    let count = 0;
    let sumBytes = 0;
    let maxBytes = 0;
    let sumEntries = 0;
    let maxEntries = 0;
    let firstTime = Number.POSITIVE_INFINITY;
    let firstBytes = 0;
    let lastTime = Number.NEGATIVE_INFINITY;
    let lastBytes = 0;
    for (let s = 0; s < this.clock.sliceCount; s++) {
      if (this.epochs[s]! < oldest) continue;
      count++;
      sumBytes += this.bytes[s]!;
      sumEntries += this.entries[s]!;
      if (this.bytes[s]! > maxBytes) maxBytes = this.bytes[s]!;
      if (this.entries[s]! > maxEntries) maxEntries = this.entries[s]!;
      if (this.times[s]! < firstTime) [firstTime, firstBytes] = [this.times[s]!, this.bytes[s]!];
      if (this.times[s]! > lastTime) [lastTime, lastBytes] = [this.times[s]!, this.bytes[s]!];
    }
    return {
      thresholds,
      latest,
      level: this.level(latest.memoryTierBytes),
      trend: {
        measurements: count,
        meanBytes: count > 0 ? sumBytes / count : 0,
        maxBytes,
        meanEntries: count > 0 ? sumEntries / count : 0,
        maxEntries,
        bytesChange: lastBytes - firstBytes,
        spanHours: count > 0 ? (lastTime - firstTime) / 3_600_000 : 0,
      },
    };
  }
}
