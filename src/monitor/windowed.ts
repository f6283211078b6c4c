import { LogBuckets } from "./log-buckets.ts";

/**
 * Time is cut into `sliceCount` slices of `sliceMs`; the window is the live slices. A slice
 * that falls out of the window is folded into the all-time totals and reused, so memory is
 * fixed at construction and never grows with the number of recorded values.
 */
export interface SliceClock {
  readonly sliceCount: number;
  readonly sliceMs: number;
  readonly now: () => number;
}

export interface Summary {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Values above the configured slow threshold. */
  over: number;
}

const emptySummary = (): Summary => ({ count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, over: 0 });

function addInto(target: Summary, count: number, sum: number, min: number, max: number, over: number): void {
  target.count += count;
  target.sum += sum;
  if (min < target.min) target.min = min;
  if (max > target.max) target.max = max;
  target.over += over;
}

/** Count, sum, min, max and an over-threshold count per slice. record: O(1). */
export class WindowedStats {
  protected readonly clock: SliceClock;
  protected readonly epochs: Float64Array;
  private readonly counts: Float64Array;
  private readonly sums: Float64Array;
  private readonly mins: Float64Array;
  private readonly maxs: Float64Array;
  private readonly overs: Float64Array;
  private readonly threshold: number;
  private readonly allTime: Summary = emptySummary();

  constructor(clock: SliceClock, overThreshold = Number.POSITIVE_INFINITY) {
    this.clock = clock;
    this.threshold = overThreshold;
    const n = clock.sliceCount;
    this.epochs = new Float64Array(n).fill(-1);
    this.counts = new Float64Array(n);
    this.sums = new Float64Array(n);
    this.mins = new Float64Array(n);
    this.maxs = new Float64Array(n);
    this.overs = new Float64Array(n);
  }

  /** O(1); O(buckets) once per slice period when a slice is recycled. */
  record(value: number): number {
    const slice = this.sliceFor(this.clock.now());
    if (this.counts[slice] === 0) {
      this.mins[slice] = value;
      this.maxs[slice] = value;
    } else {
      if (value < this.mins[slice]!) this.mins[slice] = value;
      if (value > this.maxs[slice]!) this.maxs[slice] = value;
    }
    this.counts[slice]!++;
    this.sums[slice]! += value;
    if (value > this.threshold) this.overs[slice]!++;
    return slice;
  }

  /** Totals over the window. O(sliceCount). */
  window(): Summary {
    const summary = emptySummary();
    const oldest = this.currentEpoch() - this.clock.sliceCount + 1;
    for (let s = 0; s < this.clock.sliceCount; s++) {
      if (this.epochs[s]! >= oldest && this.counts[s]! > 0) addInto(summary, this.counts[s]!, this.sums[s]!, this.mins[s]!, this.maxs[s]!, this.overs[s]!);
    }
    return summary;
  }

  /** Totals since start (folded slices plus live ones). O(sliceCount). */
  total(): Summary {
    const summary = { ...this.allTime };
    for (let s = 0; s < this.clock.sliceCount; s++) {
      if (this.counts[s]! > 0) addInto(summary, this.counts[s]!, this.sums[s]!, this.mins[s]!, this.maxs[s]!, this.overs[s]!);
    }
    return summary;
  }

  /**
   * Each slice of the window, oldest first: its start (ms since the epoch) and its totals, or
   * null for a slice with nothing recorded. O(sliceCount).
   */
  slices(): { start: number; summary: Summary | null }[] {
    const out: { start: number; summary: Summary | null }[] = [];
    const newest = this.currentEpoch();
    for (let epoch = newest - this.clock.sliceCount + 1; epoch <= newest; epoch++) {
      const s = this.slotOf(epoch);
      const summary = s < 0 ? null : { count: this.counts[s]!, sum: this.sums[s]!, min: this.mins[s]!, max: this.maxs[s]!, over: this.overs[s]! };
      out.push({ start: epoch * this.clock.sliceMs, summary });
    }
    return out;
  }

  /** The slot holding `epoch` with something recorded in it, or -1. */
  protected slotOf(epoch: number): number {
    if (epoch < 0) return -1;
    const s = epoch % this.clock.sliceCount;
    return this.epochs[s] === epoch && this.counts[s]! > 0 ? s : -1;
  }

  protected currentEpoch(): number {
    return Math.floor(this.clock.now() / this.clock.sliceMs);
  }

  /** Whether slice s belongs to the current window. */
  protected inWindow(s: number): boolean {
    return this.epochs[s]! >= this.currentEpoch() - this.clock.sliceCount + 1;
  }

  protected sliceFor(now: number): number {
    const epoch = Math.floor(now / this.clock.sliceMs);
    const slice = epoch % this.clock.sliceCount;
    if (this.epochs[slice] !== epoch) {
      this.retire(slice);
      this.epochs[slice] = epoch;
    }
    return slice;
  }

  /** Folds a slice into the all-time totals and clears it for reuse. */
  protected retire(slice: number): void {
    if (this.counts[slice]! > 0) {
      addInto(this.allTime, this.counts[slice]!, this.sums[slice]!, this.mins[slice]!, this.maxs[slice]!, this.overs[slice]!);
    }
    this.counts[slice] = 0;
    this.sums[slice] = 0;
    this.overs[slice] = 0;
  }
}

export interface Distribution extends Summary {
  /** Estimated value at quantile q (0..1), within the buckets' relative accuracy; NaN when empty. */
  quantile(q: number): number;
}

/**
 * WindowedStats plus a log-bucket histogram per slice, for percentiles with a stated relative
 * error. record: O(1) (one logarithm); window/total: O(sliceCount × buckets).
 */
export class WindowedHistogram extends WindowedStats {
  readonly buckets: LogBuckets;
  private readonly sliceBuckets: Uint32Array;
  private readonly allTimeBuckets: Float64Array;

  constructor(clock: SliceClock, buckets: LogBuckets, overThreshold?: number) {
    super(clock, overThreshold);
    this.buckets = buckets;
    this.sliceBuckets = new Uint32Array(clock.sliceCount * buckets.count);
    this.allTimeBuckets = new Float64Array(buckets.count);
  }

  override record(value: number): number {
    const slice = super.record(value);
    this.sliceBuckets[slice * this.buckets.count + this.buckets.index(value)]!++;
    return slice;
  }

  windowDistribution(): Distribution {
    return distributionFrom(this.window(), this.merge(true), this.buckets);
  }

  /**
   * Each slice of the window, oldest first, as a distribution (null when empty): percentiles
   * over time. O(sliceCount × buckets), no copy of the bucket counts.
   */
  sliceDistributions(): { start: number; distribution: Distribution | null }[] {
    const n = this.buckets.count;
    return this.slices().map(({ start, summary }) => {
      if (summary === null) return { start, distribution: null };
      const s = this.slotOf(Math.round(start / this.clock.sliceMs));
      return { start, distribution: distributionFrom(summary, this.sliceBuckets.subarray(s * n, (s + 1) * n), this.buckets) };
    });
  }

  /** Bucket counts over the window, for merging several series into one distribution. */
  windowBuckets(): Float64Array {
    return this.merge(true);
  }

  /** All-time bucket counts, for exporting a Prometheus histogram. */
  totalBuckets(): Float64Array {
    return this.merge(false);
  }

  protected override retire(slice: number): void {
    const n = this.buckets.count;
    const offset = slice * n;
    for (let i = 0; i < n; i++) {
      const count = this.sliceBuckets[offset + i]!;
      if (count !== 0) {
        this.allTimeBuckets[i]! += count;
        this.sliceBuckets[offset + i] = 0;
      }
    }
    super.retire(slice);
  }

  private merge(windowOnly: boolean): Float64Array {
    const n = this.buckets.count;
    const merged = windowOnly ? new Float64Array(n) : Float64Array.from(this.allTimeBuckets);
    for (let s = 0; s < this.clock.sliceCount; s++) {
      if (this.epochs[s]! < 0 || (windowOnly && !this.inWindow(s))) continue;
      const offset = s * n;
      for (let i = 0; i < n; i++) merged[i]! += this.sliceBuckets[offset + i]!;
    }
    return merged;
  }
}

/** A distribution from a summary and bucket counts; quantiles walk the buckets (O(buckets)). */
export function distributionFrom(summary: Summary, counts: ArrayLike<number>, buckets: LogBuckets): Distribution {
  return {
    ...summary,
    quantile(q: number): number {
      if (summary.count === 0) return Number.NaN;
      const rank = Math.min(summary.count - 1, Math.max(0, Math.floor(q * (summary.count - 1))));
      let seen = 0;
      for (let i = 0; i < counts.length; i++) {
        seen += counts[i]!;
        if (seen > rank) return Math.min(summary.max, Math.max(summary.min, buckets.representative(i)));
      }
      return summary.max;
    },
  };
}

/** A plain count per slice (hits, misses, bytes): record O(1), window/total O(sliceCount). */
export class WindowedCounter {
  private readonly stats: WindowedStats;

  constructor(clock: SliceClock) {
    this.stats = new WindowedStats(clock);
  }

  add(amount = 1): void {
    this.stats.record(amount);
  }

  window(): number {
    return this.stats.window().sum;
  }

  total(): number {
    return this.stats.total().sum;
  }

  /** The count of each slice of the window, oldest first. O(sliceCount). */
  slices(): number[] {
    return this.stats.slices().map(({ summary }) => summary?.sum ?? 0);
  }
}
