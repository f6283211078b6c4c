/** Request duration buckets (seconds): a memory hit takes tens of microseconds, a proxied LLM call minutes. */
export const HTTP_BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Paths served as themselves. Anything else is a template below, or `unmatched`: labels stay bounded whatever clients send. */
const EXACT_ROUTES = [
  "/cache/lookup",
  "/cache/store",
  "/internal/cache/status",
  "/internal/cache/invalidate",
  "/internal/cache/invalidation-stats",
  "/internal/cache/invalidation-recommendations",
  "/internal/cache/metrics",
  "/health",
  "/ready",
  "/metrics",
  "/docs",
  "/docs/json",
  "/docs/scalar.js",
];
const PREFIX_ROUTES: readonly (readonly [prefix: string, template: string])[] = [
  ["/cache/entries/", "/cache/entries/{key}"],
  ["/v1/", "/v1/*"],
  ["/anthropic/", "/anthropic/*"],
  ["/upstreams/", "/upstreams/*"],
];
const EXACT = new Set(EXACT_ROUTES);
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);

/** The route template of a path: one Map look-up, else a few prefix comparisons; no regex, no allocation. */
export function routeTemplate(path: string): string {
  if (EXACT.has(path)) return path;
  for (const [prefix, template] of PREFIX_ROUTES) if (path.startsWith(prefix)) return template;
  if (path === "/docs/") return "/docs";
  return "unmatched";
}

interface Series {
  readonly statuses: Map<number, number>;
  /** Per-bucket counts (not cumulative); the last slot is above every bound. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

export interface HttpSeries {
  readonly route: string;
  readonly method: string;
  readonly statuses: readonly (readonly [status: number, count: number])[];
  /** Cumulative counts per HTTP_BOUNDS entry. */
  readonly cumulative: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/**
 * Requests by route template, method and status, and their duration (to the response's
 * headers), for /metrics. Constant memory: templates, methods and statuses are bounded sets.
 * A record is two Map look-ups, one more for the status, and a scan of 19 bounds: no
 * allocation once a series exists.
 */
export class HttpMetrics {
  private readonly series = new Map<string, Map<string, Series>>();

  record(method: string, path: string, status: number, seconds: number): void {
    const route = routeTemplate(path);
    const verb = METHODS.has(method) ? method : "OTHER";
    let byMethod = this.series.get(route);
    if (byMethod === undefined) this.series.set(route, (byMethod = new Map()));
    let series = byMethod.get(verb);
    if (series === undefined) byMethod.set(verb, (series = { statuses: new Map(), buckets: new Float64Array(HTTP_BOUNDS.length + 1), sum: 0, count: 0 }));
    series.statuses.set(status, (series.statuses.get(status) ?? 0) + 1);
    let bucket = 0;
    while (bucket < HTTP_BOUNDS.length && seconds > HTTP_BOUNDS[bucket]!) bucket++;
    series.buckets[bucket]!++;
    series.sum += seconds;
    series.count++;
  }

  snapshot(): HttpSeries[] {
    const out: HttpSeries[] = [];
    for (const [route, byMethod] of this.series) {
      for (const [method, series] of byMethod) {
        let running = 0;
        const cumulative = HTTP_BOUNDS.map((_, i) => (running += series.buckets[i]!));
        out.push({ route, method, statuses: [...series.statuses], cumulative, sum: series.sum, count: series.count });
      }
    }
    return out;
  }
}
