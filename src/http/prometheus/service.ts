import type { ResponseCache } from "../../engine/service.ts";
import { REDIS_HEALTH_STATES } from "../../engine/redis/shared-tier.ts";
import type { PerformanceMonitor } from "../../monitor/monitor.ts";
import type { WindowedHistogram } from "../../monitor/windowed.ts";
import { UPSTREAM_BOUNDS, type ProxyMetrics } from "../proxy/metrics.ts";
import { HTTP_BOUNDS, type HttpMetrics } from "./http-metrics.ts";

/** Bucket bounds (seconds) of the exported duration histograms: 10 µs to 1 s. */
export const DURATION_BOUNDS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export interface PrometheusSource {
  readonly cache: ResponseCache;
  readonly monitor: PerformanceMonitor;
  readonly instanceId: string;
  readonly version: string;
  /** The caching proxy's counters; absent when the proxy is off. */
  readonly proxy?: ProxyMetrics;
  /** Requests by route template and status; absent for apps served without serve.ts. */
  readonly http?: HttpMetrics;
  /** Epoch milliseconds the process started (process_start_time_seconds). */
  readonly startedAt?: number;
}

/** When this module loaded: the start time of apps built without one (tests). */
const PROCESS_STARTED_AT = Date.now() - performance.now();

const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/**
 * Renders the monitor's all-time series as Prometheus text (exposition format 0.0.4). Every
 * series carries `instance_id`, so the sidecars of many pods aggregate with `sum by`.
 * Histogram buckets come from the monitor's log buckets: a bucket is counted under the first
 * bound at or above its representative value, so a bound is exact to within 1%.
 */
export function renderPrometheus({ cache, monitor, instanceId, version, proxy, http, startedAt }: PrometheusSource): string {
  const id = `instance_id="${escapeLabel(instanceId)}"`;
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };

  metric("ai_cache_info", "gauge", "Build information.");
  lines.push(`ai_cache_info{${id},version="${escapeLabel(version)}"} 1`);

  const series = monitor.exportSeries();
  metric("ai_cache_operation_duration_seconds", "histogram", "Duration of cache operations by type.");
  for (const { type, histogram } of series.operations) histogramLines(lines, "ai_cache_operation_duration_seconds", `${id},operation="${type}"`, histogram);
  metric("ai_cache_key_generation_duration_seconds", "histogram", "Duration of cache key generation.");
  histogramLines(lines, "ai_cache_key_generation_duration_seconds", id, series.keyGeneration);

  metric("ai_cache_hits_total", "counter", "Lookups answered from the cache, by tier.");
  lines.push(`ai_cache_hits_total{${id},tier="memory"} ${monitor.hitsByTier.memory}`, `ai_cache_hits_total{${id},tier="redis"} ${monitor.hitsByTier.redis}`);
  metric("ai_cache_misses_total", "counter", "Lookups the cache could not answer.");
  lines.push(`ai_cache_misses_total{${id}} ${monitor.missCount}`);
  metric("ai_cache_redis_errors_total", "counter", "Redis calls that failed or timed out (the memory tier answered).");
  lines.push(`ai_cache_redis_errors_total{${id}} ${monitor.redisErrors}`);

  metric("ai_cache_compressions_total", "counter", "Values compressed before being written to Redis.");
  lines.push(`ai_cache_compressions_total{${id}} ${series.compression.count}`);
  metric("ai_cache_compression_input_bytes_total", "counter", "Bytes given to the compressor.");
  lines.push(`ai_cache_compression_input_bytes_total{${id}} ${series.compression.bytesIn}`);
  metric("ai_cache_compression_saved_bytes_total", "counter", "Bytes saved by compression.");
  lines.push(`ai_cache_compression_saved_bytes_total{${id}} ${series.compression.bytesSaved}`);

  metric("ai_cache_invalidations_total", "counter", "Invalidations by pattern, namespace or tag (soft purges included, dry runs not).");
  lines.push(`ai_cache_invalidations_total{${id}} ${monitor.invalidations.total}`);
  metric("ai_cache_invalidated_keys_total", "counter", "Keys removed by invalidations.");
  lines.push(`ai_cache_invalidated_keys_total{${id}} ${monitor.invalidations.totalKeys}`);

  const memory = cache.memory;
  metric("ai_cache_memory_tier_entries", "gauge", "Entries in the memory tier.");
  lines.push(`ai_cache_memory_tier_entries{${id}} ${memory.size}`);
  metric("ai_cache_memory_tier_max_entries", "gauge", "Entry bound of the memory tier.");
  lines.push(`ai_cache_memory_tier_max_entries{${id}} ${memory.maxEntries}`);
  metric("ai_cache_memory_tier_bytes", "gauge", "Bytes held by the memory tier.");
  lines.push(`ai_cache_memory_tier_bytes{${id}} ${memory.bytes}`);
  metric("ai_cache_memory_tier_max_bytes", "gauge", "Byte bound of the memory tier.");
  lines.push(`ai_cache_memory_tier_max_bytes{${id}} ${memory.maxBytes}`);
  metric("ai_cache_memory_tier_evictions_total", "counter", "Entries evicted to respect the bounds.");
  lines.push(`ai_cache_memory_tier_evictions_total{${id}} ${memory.evictions}`);

  metric("ai_cache_coalesce_waiting", "gauge", "Coalesced lookups waiting for another caller's answer on this sidecar.");
  lines.push(`ai_cache_coalesce_waiting{${id}} ${cache.coalescer.waiting}`);
  metric("ai_cache_coalesce_outcomes_total", "counter", "How coalesced lookups that missed ended: lease (this caller computes), value (collapsed onto another's answer), pending (wait over), alone (hit-for-miss).");
  for (const [outcome, count] of Object.entries(cache.coalescer.outcomes)) lines.push(`ai_cache_coalesce_outcomes_total{${id},outcome="${outcome}"} ${count}`);

  const coherence = cache.coherence.stats;
  if (coherence) {
    metric("ai_cache_coherence_messages_total", "counter", "Coherence announcements sent to and received from other sidecars.");
    lines.push(`ai_cache_coherence_messages_total{${id},direction="sent"} ${coherence.published}`, `ai_cache_coherence_messages_total{${id},direction="received"} ${coherence.received}`);
    metric("ai_cache_coherence_listening", "gauge", "1 while this sidecar hears other sidecars' announcements, 0 while they may be missed.");
    lines.push(`ai_cache_coherence_listening{${id}} ${coherence.state === "listening" ? 1 : 0}`);
    metric("ai_cache_coherence_resyncs_total", "counter", "Times the memory tier was emptied after coherence came back.");
    lines.push(`ai_cache_coherence_resyncs_total{${id}} ${coherence.resyncs}`);
  }
  const health = cache.redisStatus();
  // Only where Redis is configured: an alert on ai_cache_redis_up == 0 must not fire on memory-only sidecars.
  if (health !== "disabled") {
    metric("ai_cache_redis_up", "gauge", "1 when Redis is connected, 0 when it is configured but not reachable.");
    lines.push(`ai_cache_redis_up{${id}} ${health === "connected" ? 1 : 0}`);
  }
  metric("ai_cache_redis_state", "gauge", "1 for Redis's current state: disabled (not configured), connected, unavailable or error.");
  for (const state of REDIS_HEALTH_STATES) lines.push(`ai_cache_redis_state{${id},state="${state}"} ${health === state ? 1 : 0}`);
  if (proxy) proxyLines(lines, id, proxy, metric);
  if (http) httpLines(lines, id, http, metric);
  // The standard process series (as client libraries name them), read at scrape time.
  const cpu = process.cpuUsage();
  metric("process_cpu_seconds_total", "counter", "User and system CPU time spent by the sidecar, in seconds.");
  lines.push(`process_cpu_seconds_total{${id}} ${(cpu.user + cpu.system) / 1e6}`);
  metric("process_resident_memory_bytes", "gauge", "Resident set size of the sidecar.");
  lines.push(`process_resident_memory_bytes{${id}} ${process.memoryUsage.rss()}`);
  metric("process_start_time_seconds", "gauge", "Start time of the sidecar since the Unix epoch, in seconds.");
  lines.push(`process_start_time_seconds{${id}} ${Math.floor((startedAt ?? PROCESS_STARTED_AT) / 1000)}`);
  return `${lines.join("\n")}\n`;
}

/** The caching proxy: what it answered, how long upstreams took, and what the cache saved. */
function proxyLines(lines: string[], id: string, proxy: ProxyMetrics, metric: (name: string, type: string, help: string) => void): void {
  metric("ai_cache_proxy_requests_total", "counter", "Proxy requests to cacheable endpoints by endpoint, model and result (hit, miss, bypass).");
  for (const { endpoint, model, outcome, count } of proxy.requestSeries()) {
    lines.push(`ai_cache_proxy_requests_total{${id},endpoint="${endpoint}",model="${escapeLabel(model)}",result="${outcome}"} ${count}`);
  }
  metric("ai_cache_proxy_collapsed_total", "counter", "Proxy requests that waited for another identical request's upstream call instead of making their own.");
  for (const { endpoint, count } of proxy.collapsedSeries()) lines.push(`ai_cache_proxy_collapsed_total{${id},endpoint="${endpoint}"} ${count}`);
  metric("ai_cache_proxy_not_stored_total", "counter", "Upstream answers not stored, by endpoint and reason (the Cache-Status detail).");
  for (const { endpoint, detail, count } of proxy.notStoredSeries()) lines.push(`ai_cache_proxy_not_stored_total{${id},endpoint="${endpoint}",reason="${escapeLabel(detail)}"} ${count}`);
  metric("ai_cache_proxy_upstream_duration_seconds", "histogram", "Duration of upstream calls made for cacheable requests, headers to last byte.");
  for (const series of proxy.latencySeries()) {
    fixedHistogramLines(lines, "ai_cache_proxy_upstream_duration_seconds", `${id},endpoint="${series.endpoint}"`, UPSTREAM_BOUNDS, series);
  }
  metric("ai_cache_proxy_tokens_saved_total", "counter", "Tokens served from the cache instead of being paid for again, by model and kind (input, output), from the stored usage.");
  for (const { model, input, output } of proxy.savedSeries()) {
    const labels = `${id},model="${escapeLabel(model)}"`;
    lines.push(`ai_cache_proxy_tokens_saved_total{${labels},kind="input"} ${input}`, `ai_cache_proxy_tokens_saved_total{${labels},kind="output"} ${output}`);
  }
}

/** Requests by route template, method and status, and their duration. */
function httpLines(lines: string[], id: string, http: HttpMetrics, metric: (name: string, type: string, help: string) => void): void {
  const series = http.snapshot();
  metric("ai_cache_http_requests_total", "counter", "HTTP requests answered, by route template, method and status.");
  for (const { route, method, statuses } of series) {
    for (const [status, count] of statuses) lines.push(`ai_cache_http_requests_total{${id},route="${route}",method="${method}",status="${status}"} ${count}`);
  }
  metric("ai_cache_http_request_duration_seconds", "histogram", "Time from a request's arrival to its response headers, by route template and method.");
  for (const one of series) fixedHistogramLines(lines, "ai_cache_http_request_duration_seconds", `${id},route="${one.route}",method="${one.method}"`, HTTP_BOUNDS, one);
}

/** A histogram with fixed bounds and cumulative counts, in the exposition format. */
function fixedHistogramLines(lines: string[], name: string, labels: string, bounds: readonly number[], series: { cumulative: readonly number[]; sum: number; count: number }): void {
  bounds.forEach((bound, i) => lines.push(`${name}_bucket{${labels},le="${bound}"} ${series.cumulative[i]}`));
  lines.push(`${name}_bucket{${labels},le="+Inf"} ${series.count}`, `${name}_sum{${labels}} ${series.sum}`, `${name}_count{${labels}} ${series.count}`);
}

function histogramLines(lines: string[], name: string, labels: string, histogram: WindowedHistogram): void {
  const counts = histogram.totalBuckets();
  const total = histogram.total();
  const cumulative = new Float64Array(DURATION_BOUNDS.length);
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    const value = histogram.buckets.representative(i);
    for (let b = 0; b < DURATION_BOUNDS.length; b++) {
      if (value <= DURATION_BOUNDS[b]!) {
        cumulative[b]! += counts[i]!;
        break;
      }
    }
  }
  let running = 0;
  for (let b = 0; b < DURATION_BOUNDS.length; b++) {
    running += cumulative[b]!;
    lines.push(`${name}_bucket{${labels},le="${DURATION_BOUNDS[b]}"} ${running}`);
  }
  lines.push(`${name}_bucket{${labels},le="+Inf"} ${total.count}`, `${name}_sum{${labels}} ${total.sum}`, `${name}_count{${labels}} ${total.count}`);
}
