import { round } from "./round.ts";

export interface InvalidationEvent {
  readonly timestamp: number;
  readonly pattern: string;
  readonly keysInvalidated: number;
  readonly durationSeconds: number;
  readonly invalidationType: string;
  readonly operationContext: string;
}

export interface InvalidationThresholds {
  readonly warningPerHour: number;
  readonly criticalPerHour: number;
}

export const DEFAULT_INVALIDATION_THRESHOLDS: InvalidationThresholds = { warningPerHour: 50, criticalPerHour: 100 };

/** How many recent events feed pattern statistics, as in the reference. */
const RECENT_EVENTS = 50;
const MOST_COMMON_PATTERNS = 10;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

export type AlertLevel = "normal" | "warning" | "critical";

/** What the log knows of invalidations; `activity` is null until the first one. */
export interface InvalidationSummary {
  /** All-time counts. */
  readonly total: number;
  readonly totalKeys: number;
  readonly thresholds: InvalidationThresholds;
  readonly activity: InvalidationActivity | null;
}

export interface InvalidationActivity {
  readonly lastHour: number;
  readonly last24Hours: number;
  /** All-time invalidations per hour since start, counting at least one hour. */
  readonly averagePerHour: number;
  readonly alertLevel: AlertLevel;
  /** Top 10 patterns of the last 50 invalidations with their counts, inserted most frequent first (a record still lists integer-like keys first). */
  readonly mostCommonPatterns: Readonly<Record<string, number>>;
  /** All-time invalidations per invalidation type. */
  readonly types: Readonly<Record<string, number>>;
  readonly meanKeys: number;
  readonly meanDurationSeconds: number;
  readonly maxDurationSeconds: number;
}

/** One of the reference's rules that the recorded invalidations trip. */
export interface Finding {
  readonly severity: "info" | "warning" | "critical";
  readonly issue: string;
  readonly message: string;
  readonly suggestions: readonly string[];
}

/**
 * Invalidation history in fixed memory: per-minute counts for the last hour, per-hour counts
 * for the last day, the last 50 events for pattern statistics, and all-time totals.
 */
export class InvalidationLog {
  private readonly thresholds: InvalidationThresholds;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly minuteCounts = new Float64Array(60);
  private readonly minuteEpochs = new Float64Array(60).fill(-1);
  private readonly hourCounts = new Float64Array(24);
  private readonly hourEpochs = new Float64Array(24).fill(-1);
  private readonly recent: (InvalidationEvent | undefined)[] = new Array(RECENT_EVENTS);
  private recentNext = 0;
  private readonly types = new Map<string, number>();
  private count = 0;
  private keys = 0;
  private durationSum = 0;
  private durationMax = 0;

  constructor(thresholds: InvalidationThresholds = DEFAULT_INVALIDATION_THRESHOLDS, now: () => number = Date.now) {
    this.thresholds = thresholds;
    this.now = now;
    this.startedAt = now();
  }

  get total(): number {
    return this.count;
  }

  get totalKeys(): number {
    return this.keys;
  }

  /** O(1). */
  record(event: Omit<InvalidationEvent, "timestamp">): void {
    const timestamp = this.now();
    bump(this.minuteCounts, this.minuteEpochs, Math.floor(timestamp / MINUTE_MS));
    bump(this.hourCounts, this.hourEpochs, Math.floor(timestamp / HOUR_MS));
    this.recent[this.recentNext] = { ...event, timestamp };
    this.recentNext = (this.recentNext + 1) % RECENT_EVENTS;
    this.types.set(event.invalidationType, (this.types.get(event.invalidationType) ?? 0) + 1);
    this.count++;
    this.keys += event.keysInvalidated;
    this.durationSum += event.durationSeconds;
    if (event.durationSeconds > this.durationMax) this.durationMax = event.durationSeconds;
  }

  lastHour(): number {
    return sumSince(this.minuteCounts, this.minuteEpochs, Math.floor(this.now() / MINUTE_MS) - 59);
  }

  /** Invalidations in each minute of the last hour, oldest first; `start` in ms since the epoch. O(60). */
  perMinute(): { start: number; count: number }[] {
    const newest = Math.floor(this.now() / MINUTE_MS);
    const out: { start: number; count: number }[] = [];
    for (let minute = newest - 59; minute <= newest; minute++) {
      const slot = minute % 60;
      out.push({ start: minute * MINUTE_MS, count: this.minuteEpochs[slot] === minute ? this.minuteCounts[slot]! : 0 });
    }
    return out;
  }

  last24Hours(): number {
    return sumSince(this.hourCounts, this.hourEpochs, Math.floor(this.now() / HOUR_MS) - 23);
  }

  alertLevel(perHour = this.lastHour()): AlertLevel {
    if (perHour >= this.thresholds.criticalPerHour) return "critical";
    if (perHour >= this.thresholds.warningPerHour) return "warning";
    return "normal";
  }

  /** Patterns of the last 50 events, most frequent first (top 10). */
  mostCommonPatterns(): Record<string, number> {
    const counts = new Map<string, number>();
    for (const event of this.recent) if (event) counts.set(event.pattern, (counts.get(event.pattern) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, MOST_COMMON_PATTERNS);
    return Object.fromEntries(top);
  }

  summary(): InvalidationSummary {
    const counts = { total: this.count, totalKeys: this.keys, thresholds: this.thresholds };
    if (this.count === 0) return { ...counts, activity: null };
    const lastHour = this.lastHour();
    return {
      ...counts,
      activity: {
        lastHour,
        last24Hours: this.last24Hours(),
        averagePerHour: this.count / Math.max((this.now() - this.startedAt) / HOUR_MS, 1),
        alertLevel: this.alertLevel(lastHour),
        mostCommonPatterns: this.mostCommonPatterns(),
        types: Object.fromEntries(this.types),
        meanKeys: this.keys / this.count,
        meanDurationSeconds: this.durationSum / this.count,
        maxDurationSeconds: this.durationMax,
      },
    };
  }

  /** The reference's four rules over the recorded invalidations. */
  findings(): Finding[] {
    if (this.count === 0) return [];
    const found: Finding[] = [];
    const lastHour = this.lastHour();
    const level = this.alertLevel(lastHour);
    if (level !== "normal") {
      found.push({
        severity: level,
        issue: "High invalidation frequency",
        message: `${lastHour} invalidations in the last hour (warning at ${this.thresholds.warningPerHour}, critical at ${this.thresholds.criticalPerHour})`,
        suggestions: [
          "Review what triggers invalidations and remove unnecessary ones",
          "Use more specific patterns instead of broad wildcards",
          "Use longer TTLs where data changes rarely",
          "Warm the cache after planned invalidations",
        ],
      });
    }
    const recentEvents = this.recent.filter((event): event is InvalidationEvent => event !== undefined);
    const patterns = this.mostCommonPatterns();
    const [topPattern, topCount] = Object.entries(patterns)[0] ?? ["", 0];
    if (recentEvents.length > 1 && topCount > recentEvents.length / 2) {
      found.push({
        severity: "info",
        issue: "Dominant invalidation pattern",
        message: `Pattern '${topPattern}' accounts for ${topCount} of the last ${recentEvents.length} invalidations`,
        suggestions: [
          `Check whether data matched by '${topPattern}' should be cached at all, or with a shorter TTL`,
          "Batch invalidations of this pattern during low-traffic periods",
        ],
      });
    }
    const avgKeys = this.keys / this.count;
    if (avgKeys < 1) {
      found.push({
        severity: "info",
        issue: "Low invalidation efficiency",
        message: `Invalidations remove ${round(avgKeys, 2)} keys on average: many patterns match nothing`,
        suggestions: ["Check that patterns match the key layout ai_cache:op:{operation}|txt:...", "Drop invalidations that never find keys"],
      });
    } else if (avgKeys > 100) {
      found.push({
        severity: "warning",
        issue: "High invalidation impact",
        message: `Invalidations remove ${round(avgKeys, 1)} keys on average: patterns may be too broad`,
        suggestions: ["Use more specific patterns, e.g. by operation", "Prefer deleting single entries where the key is known"],
      });
    }
    return found;
  }
}

function bump(counts: Float64Array, epochs: Float64Array, epoch: number): void {
  const slot = epoch % counts.length;
  if (epochs[slot] !== epoch) {
    epochs[slot] = epoch;
    counts[slot] = 0;
  }
  counts[slot]!++;
}

function sumSince(counts: Float64Array, epochs: Float64Array, oldestEpoch: number): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) if (epochs[i]! >= oldestEpoch) sum += counts[i]!;
  return sum;
}
