import type { OperationTraffic } from "../../monitor/by-operation.ts";
import type { PerformanceMonitor, TimeSeries } from "../../monitor/monitor.ts";
import { round } from "../../monitor/round.ts";
import type { ManagementService } from "../management/service.ts";
import type { ProxyMetrics } from "../proxy/metrics.ts";
import type { DashboardData, DashboardOperation, DashboardProxyEndpoint, DashboardProxyModel, DashboardSeries, DashboardTokenSavings } from "./model.ts";

/** Dollars per million input and output tokens, by model (MODEL_PRICES). */
export type ModelPrices = Readonly<Record<string, { readonly input: number; readonly output: number }>>;

export interface DashboardServiceOptions {
  readonly management: ManagementService;
  readonly monitor: PerformanceMonitor;
  /** Data-plane lookups answered with another caller's value after waiting on its lease. */
  readonly collapsedLookups: () => number;
  /** Absent when the proxy is off. */
  readonly proxy?: ProxyMetrics;
  readonly prices: ModelPrices;
  readonly instanceId: string;
  readonly version: string;
}

const TOP = 10;

/**
 * Everything the dashboard shows, in one answer, read from what the monitor, the management
 * service and the proxy's counters already keep: nothing is stored here, so memory stays as
 * bounded as theirs. Cost per call: the monitor's time series (O(slices × buckets), well under
 * a millisecond), one status read (a Redis INFO per node when Redis is up), and O(models) work.
 */
export class DashboardService {
  constructor(private readonly options: DashboardServiceOptions) {}

  async data(): Promise<DashboardData> {
    const { management, monitor, proxy } = this.options;
    const status = await management.status();
    const timeSeries = monitor.timeSeries();
    const window = monitor.hitsInWindow();
    const { misses } = monitor.lookups();
    const savings = this.tokenSavings();
    const proxySection = proxy === undefined ? null : proxyTraffic(proxy);
    const invalidations = monitor.invalidations;
    const minutes = invalidations.perMinute();
    return {
      timestamp: new Date(timeSeries.takenAt).toISOString(),
      instance_id: this.options.instanceId,
      version: this.options.version,
      monitoring: monitor.enabled,
      window: { retention_hours: timeSeries.retentionHours, slice_seconds: timeSeries.sliceMs / 1000 },
      lookups: { memory_hits: window.memory, redis_hits: window.redis, misses, hit_rate: hitRate(window.memory + window.redis, misses) },
      series: series(timeSeries),
      memory: status.memory,
      redis: status.redis,
      redis_errors: monitor.redisErrors,
      operations: monitor.byOperation.top(TOP).map(operationRow),
      proxy: proxySection,
      savings: {
        upstream_calls_avoided: monitor.hitsByTier.memory + monitor.hitsByTier.redis + this.options.collapsedLookups() + (proxySection?.collapsed ?? 0),
        input_tokens: savings.reduce((sum, row) => sum + row.input_tokens, 0),
        output_tokens: savings.reduce((sum, row) => sum + row.output_tokens, 0),
        dollars: Object.keys(this.options.prices).length === 0 ? null : savings.reduce((sum, row) => sum + (row.dollars ?? 0), 0),
        by_model: savings,
      },
      invalidations: {
        time: minutes.map(({ start }) => start / 1000),
        count: minutes.map(({ count }) => count),
        last_hour: invalidations.lastHour(),
        total: invalidations.total,
        alert_level: invalidations.alertLevel(),
        recommendations: management.recommendations().details ?? [],
      },
    };
  }

  private tokenSavings(): DashboardTokenSavings[] {
    const saved = this.options.proxy?.savedSeries() ?? [];
    return saved
      .map(({ model, input, output }) => {
        const price = Object.hasOwn(this.options.prices, model) ? this.options.prices[model] : undefined;
        // Unrounded: a few cached answers are worth fractions of a cent.
        const dollars = price === undefined ? null : (input * price.input + output * price.output) / 1e6;
        return { model, input_tokens: input, output_tokens: output, dollars };
      })
      .sort((a, b) => b.input_tokens + b.output_tokens - (a.input_tokens + a.output_tokens));
  }
}

/** Percent to 2 decimals, null without lookups. */
function hitRate(hits: number, misses: number): number | null {
  return hits + misses === 0 ? null : round((hits / (hits + misses)) * 100, 2);
}

function series({ slices, sliceMs, takenAt }: TimeSeries): DashboardSeries {
  const column = <T>(pick: (slice: TimeSeries["slices"][number]) => T): T[] => slices.map(pick);
  // The newest slice is still filling: its rate is over the part that has elapsed (at least a second).
  const seconds = (start: number) => Math.max(Math.min(sliceMs, takenAt - start), Math.min(sliceMs, 1000)) / 1000;
  return {
    time: column((slice) => slice.start / 1000),
    memory_hits: column((slice) => slice.memoryHits),
    redis_hits: column((slice) => slice.redisHits),
    misses: column((slice) => slice.misses),
    hit_rate: column((slice) => hitRate(slice.memoryHits + slice.redisHits, slice.misses)),
    requests_per_second: column((slice) => round(slice.operations / seconds(slice.start), 3)),
    lookup_p50: column((slice) => figures(slice.lookup?.p50)),
    lookup_p95: column((slice) => figures(slice.lookup?.p95)),
    lookup_p99: column((slice) => figures(slice.lookup?.p99)),
    store_p50: column((slice) => figures(slice.store?.p50)),
    store_p95: column((slice) => figures(slice.store?.p95)),
    store_p99: column((slice) => figures(slice.store?.p99)),
  };
}

/** Four significant figures: the percentiles are only within 1%, and 60 × 6 of them are sent every few seconds. */
function figures(seconds: number | undefined): number | null {
  return seconds === undefined ? null : Number(seconds.toPrecision(4));
}

function operationRow({ operation, memoryHits, redisHits, misses, stores }: OperationTraffic): DashboardOperation {
  const hits = memoryHits + redisHits;
  return { operation, lookups: hits + misses, memory_hits: memoryHits, redis_hits: redisHits, misses, hit_rate: hitRate(hits, misses), stores };
}

/** Requests by endpoint and by model, from the proxy's counters. O(series). */
function proxyTraffic(proxy: ProxyMetrics): NonNullable<DashboardData["proxy"]> {
  const endpoints = new Map<string, DashboardProxyEndpoint>();
  const models = new Map<string, DashboardProxyModel>();
  for (const { endpoint, model, outcome, count } of proxy.requestSeries()) {
    const byEndpoint = endpoints.get(endpoint) ?? { endpoint, requests: 0, hits: 0, misses: 0, bypass: 0, hit_rate: null };
    byEndpoint.requests += count;
    if (outcome === "hit") byEndpoint.hits += count;
    else if (outcome === "miss") byEndpoint.misses += count;
    else byEndpoint.bypass += count;
    endpoints.set(endpoint, byEndpoint);
    const byModel = models.get(model) ?? { model, requests: 0, hits: 0, hit_rate: null };
    byModel.requests += count;
    if (outcome === "hit") byModel.hits += count;
    models.set(model, byModel);
  }
  for (const row of endpoints.values()) row.hit_rate = hitRate(row.hits, row.requests - row.hits);
  for (const row of models.values()) row.hit_rate = hitRate(row.hits, row.requests - row.hits);
  // Busiest first; equal ones by name, so the order does not depend on arrival.
  const busiest = <T extends { requests: number }>(rows: Iterable<T>, name: (row: T) => string) =>
    [...rows].sort((a, b) => b.requests - a.requests || name(a).localeCompare(name(b)));
  return {
    endpoints: busiest(endpoints.values(), (row) => row.endpoint),
    models: busiest(models.values(), (row) => row.model).slice(0, TOP),
    collapsed: proxy.collapsedSeries().reduce((sum, { count }) => sum + count, 0),
    not_stored: proxy.notStoredSeries().reduce((sum, { count }) => sum + count, 0),
  };
}
