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

const MB = 1024 ** 2;
const round2 = (value: number): number => Math.round(value * 100) / 100;

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

  level(bytes: number): "normal" | "warning" | "critical" {
    if (bytes >= this.thresholds.criticalBytes) return "critical";
    if (bytes >= this.thresholds.warningBytes) return "warning";
    return "normal";
  }

  report(): Record<string, unknown> {
    const thresholds = {
      warning_threshold_mb: this.thresholds.warningBytes / MB,
      critical_threshold_mb: this.thresholds.criticalBytes / MB,
    };
    const current = this.latest;
    if (current === null) return { no_measurements: true, thresholds };
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
    const hours = (lastTime - firstTime) / 3_600_000;
    const level = this.level(current.memoryTierBytes);
    return {
      current: {
        total_cache_size_mb: round2(current.memoryTierBytes / MB),
        memory_cache_size_mb: round2(current.memoryTierBytes / MB),
        memory_cache_entries: current.memoryTierEntries,
        avg_entry_size_bytes: current.memoryTierEntries > 0 ? Math.round(current.memoryTierBytes / current.memoryTierEntries) : 0,
        process_memory_mb: round2(current.processRssBytes / MB),
        utilization_percent: round2((current.memoryTierBytes / this.thresholds.warningBytes) * 100),
        warning_threshold_reached: level !== "normal",
      },
      thresholds: { ...thresholds, warning_threshold_reached: level !== "normal", critical_threshold_reached: level === "critical" },
      trends: {
        measurements: count,
        avg_memory_mb: count > 0 ? round2(sumBytes / count / MB) : 0,
        max_memory_mb: round2(maxBytes / MB),
        avg_entry_count: count > 0 ? Math.round(sumEntries / count) : 0,
        max_entry_count: maxEntries,
        growth_rate_mb_per_hour: hours > 0 ? round2((lastBytes - firstBytes) / MB / hours) : 0,
      },
    };
  }
}
