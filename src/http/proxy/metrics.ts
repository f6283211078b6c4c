import type { Endpoint, Usage } from "./verdict.ts";

/** stale: a stale entry answered (stale-while-revalidate, or stale-if-error after an upstream failure). */
export type ProxyOutcome = "hit" | "miss" | "bypass" | "stale";

/** Upstream latency buckets (seconds): LLM answers take from tens of milliseconds to minutes. */
export const UPSTREAM_BOUNDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * Distinct model labels kept: the model is named by callers, so an unbounded label would let
 * them grow the metrics without limit. Later models are counted as "other".
 */
const MAX_MODELS = 64;

export interface UpstreamLatency {
  readonly endpoint: Endpoint;
  /** Cumulative counts per UPSTREAM_BOUNDS entry. */
  readonly cumulative: readonly number[];
  readonly count: number;
  readonly sum: number;
}

/**
 * What the proxy did, for Prometheus: requests by endpoint, model and outcome; upstream
 * latency by endpoint; tokens served from the cache by model (what the cache saved); answers
 * not stored by reason; requests that joined another's upstream call. Constant memory:
 * endpoints are a fixed set and models are bounded. Each record is O(1) map work.
 */
export class ProxyMetrics {
  private readonly requests = new Map<string, number>();
  private readonly savedTokens = new Map<string, { input: number; output: number }>();
  private readonly notStored = new Map<string, number>();
  private readonly collapsed = new Map<Endpoint, number>();
  private readonly latency = new Map<Endpoint, { counts: number[]; count: number; sum: number }>();
  private readonly models = new Set<string>();

  /** A model label within the bound. */
  model(name: string | null): string {
    if (name === null || name === "") return "unknown";
    if (this.models.has(name)) return name;
    if (this.models.size >= MAX_MODELS) return "other";
    this.models.add(name);
    return name;
  }

  recordRequest(endpoint: Endpoint, model: string | null, outcome: ProxyOutcome): void {
    const key = `${endpoint}\u0000${this.model(model)}\u0000${outcome}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  recordUpstreamSeconds(endpoint: Endpoint, seconds: number): void {
    let series = this.latency.get(endpoint);
    if (series === undefined) {
      series = { counts: new Array<number>(UPSTREAM_BOUNDS.length).fill(0), count: 0, sum: 0 };
      this.latency.set(endpoint, series);
    }
    series.count++;
    series.sum += seconds;
    const bucket = UPSTREAM_BOUNDS.findIndex((bound) => seconds <= bound);
    if (bucket >= 0) series.counts[bucket]!++;
  }

  /** A hit served `usage` tokens the upstream would have charged again. */
  recordSaved(model: string | null, usage: Usage | null): void {
    const label = this.model(model);
    if (usage === null) return;
    const saved = this.savedTokens.get(label) ?? { input: 0, output: 0 };
    saved.input += usage.inputTokens;
    saved.output += usage.outputTokens;
    this.savedTokens.set(label, saved);
  }

  recordNotStored(endpoint: Endpoint, detail: string): void {
    const key = `${endpoint}\u0000${detail}`;
    this.notStored.set(key, (this.notStored.get(key) ?? 0) + 1);
  }

  recordCollapsed(endpoint: Endpoint): void {
    this.collapsed.set(endpoint, (this.collapsed.get(endpoint) ?? 0) + 1);
  }

  requestSeries(): { endpoint: string; model: string; outcome: string; count: number }[] {
    return [...this.requests].map(([key, count]) => {
      const [endpoint = "", model = "", outcome = ""] = key.split("\u0000");
      return { endpoint, model, outcome, count };
    });
  }

  savedSeries(): { model: string; input: number; output: number }[] {
    return [...this.savedTokens].map(([model, saved]) => ({ model, ...saved }));
  }

  notStoredSeries(): { endpoint: string; detail: string; count: number }[] {
    return [...this.notStored].map(([key, count]) => {
      const [endpoint = "", detail = ""] = key.split("\u0000");
      return { endpoint, detail, count };
    });
  }

  collapsedSeries(): { endpoint: Endpoint; count: number }[] {
    return [...this.collapsed].map(([endpoint, count]) => ({ endpoint, count }));
  }

  latencySeries(): UpstreamLatency[] {
    return [...this.latency].map(([endpoint, series]) => {
      let running = 0;
      const cumulative = series.counts.map((count) => (running += count));
      return { endpoint, cumulative, count: series.count, sum: series.sum };
    });
  }
}
