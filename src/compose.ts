import type { Server } from "bun";
import type { Config } from "./config/model.ts";
import { createHttp, type App, type HotRoutes } from "./http/app.ts";
import { pathOf } from "./http/path.ts";
import { ApiKeyVerifier } from "./http/auth/verifier.ts";
import { BodyBudget } from "./http/body.ts";
import { HttpMetrics } from "./http/prometheus/http-metrics.ts";
import { ProxyMetrics } from "./http/proxy/metrics.ts";
import { CachingProxy } from "./http/proxy/proxy.ts";
import { TenantKeys } from "./http/proxy/tenant.ts";
import { upstreamsOf } from "./http/proxy/upstreams.ts";
import { redisTarget } from "./config/redis-target.ts";
import { ALONE, Coherence } from "./engine/coherence.ts";
import { CacheKeyBuilder } from "./engine/key.ts";
import { PromotionGuard } from "./engine/promotion-guard.ts";
import { NO_REDIS, type SharedTier } from "./engine/redis/shared-tier.ts";
import { MemoryTier } from "./engine/memory-tier.ts";
import { ResponseCache } from "./engine/service.ts";
import type { Logger } from "./logging/logger.ts";
import { PerformanceMonitor } from "./monitor/monitor.ts";

/** One sidecar, wired from its configuration: the app to serve, and what it serves from. */
export interface Sidecar {
  readonly app: App;
  /** Routes served ahead of the app and the proxy (see createHttp); `fetch` sends their requests there too. */
  readonly hot: HotRoutes;
  /** The caching proxy (/v1, /anthropic, /upstreams/{name}), or null when PROXY_ENABLED=false. */
  readonly proxy: CachingProxy | null;
  /** Every request: the proxy's paths to the proxy, the rest to the app. */
  readonly fetch: (request: Request, server?: Server<undefined>) => Response | Promise<Response>;
  readonly cache: ResponseCache;
  readonly monitor: PerformanceMonitor;
  /** The HTTP series of /metrics: the server records every request here. */
  readonly httpMetrics: HttpMetrics;
  /** Connects Redis and joins coherence, each with a bounded wait; never throws. */
  start(): Promise<void>;
  /** Closes Redis and stops coherence; never throws. */
  close(): Promise<void>;
}

/**
 * The composition root, used by main.ts and by the tests alike: configuration in, a sidecar
 * out. Nothing here reads the environment or listens on a port.
 */
export async function composeSidecar(
  config: Config,
  logger: Logger,
  options: { version: string; startedAt?: number; /** Given when the server records requests before the app exists (main.ts). */ httpMetrics?: HttpMetrics },
): Promise<Sidecar> {
  const { cache, monitor } = await wireCache(config, logger);
  // One budget for every request body held at once, whichever route reads it.
  const bodyBudget = new BodyBudget(config.maxInflightBodyBytes);
  const proxyMetrics = new ProxyMetrics();
  const httpMetrics = options.httpMetrics ?? new HttpMetrics();
  const { app, hot } = createHttp({
    httpMetrics,
    cache,
    monitor,
    logger,
    apiKeys: config.apiKeys,
    scopedApiKeys: config.scopedApiKeys,
    maxBodyBytes: config.maxBodyBytes,
    bodyBudget,
    instanceId: config.instanceId,
    version: options.version,
    startedAt: options.startedAt,
    proxyMetrics: config.proxyEnabled ? proxyMetrics : undefined,
    modelPrices: config.modelPrices,
  });
  const proxy = config.proxyEnabled ? wireProxy(config, logger, cache, proxyMetrics, bodyBudget) : null;
  const rest: Sidecar["fetch"] =
    proxy === null ? (request) => app.fetch(request) : (request, server) => (proxy.ownsUrl(request.url) ? proxy.handle(request, server) : app.fetch(request));
  // A server passes `hot` to the runtime's router; this dispatch serves everyone else (in-process callers, tests).
  const fetch: Sidecar["fetch"] = (request, server) => {
    const methods = hot[pathOf(request.url)];
    // Own properties only: a method named like an Object member ("constructor") is no route.
    return methods !== undefined && Object.hasOwn(methods, request.method) ? methods[request.method]!(request) : rest(request, server);
  };
  return { app, hot, proxy, fetch, cache, monitor, httpMetrics, start: () => cache.start(), close: () => cache.close() };
}

function wireProxy(config: Config, logger: Logger, cache: ResponseCache, metrics: ProxyMetrics, bodyBudget: BodyBudget): CachingProxy {
  let secret = config.proxyTenantSecret;
  if (secret === null) {
    secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
    if (redisTarget(config) !== null) {
      logger.warn("PROXY_TENANT_SECRET is not set: proxy entries in Redis are keyed with a secret of this process alone, so other sidecars and later restarts will not find them");
    }
  }
  return new CachingProxy({
    cache,
    logger,
    metrics,
    upstreams: upstreamsOf(config),
    verifier: new ApiKeyVerifier(config.apiKeys, config.scopedApiKeys),
    tenants: new TenantKeys(secret, config.proxyShareAcrossCredentials),
    sampledRequests: config.proxySampledRequests,
    ignoreFields: config.proxyKeyIgnoreFields,
    timeoutMs: config.proxyTimeoutMs,
    idleTimeoutMs: config.proxyIdleTimeoutMs,
    coalesceWaitMs: config.proxyCoalesceWaitMs,
    staleIfErrorSeconds: config.proxyStaleIfErrorSeconds,
    bodyLimits: { maxBodyBytes: config.maxBodyBytes, budget: bodyBudget },
    maxResponseBytes: config.maxResponseBytes,
  });
}

/**
 * Wires the cache and its monitor. Redis is created but not connected. The Redis client is
 * loaded only when Redis is configured: importing it costs a memory-only sidecar about 15 ms
 * of start-up.
 */
async function wireCache(config: Config, logger: Logger): Promise<{ cache: ResponseCache; monitor: PerformanceMonitor }> {
  const monitor = new PerformanceMonitor({ enabled: config.monitoringEnabled, retentionHours: config.monitorRetentionHours });
  const target = redisTarget(config);
  const redis: SharedTier =
    target === null
      ? NO_REDIS
      : new (await import("./engine/redis/tier.ts")).RedisTier({
          target,
          commandTimeoutMs: config.redisCommandTimeoutMs,
          connectTimeoutMs: config.redisConnectTimeoutMs,
          tlsCa: config.redisTlsCa,
          clientName: `ai-response-cache:${config.instanceId}`.replace(/[^\x21-\x7e]/g, "_"),
          logger,
        });
  const keys = new CacheKeyBuilder(config.keyPrefix);
  const memory = new MemoryTier({ maxEntries: config.memoryMaxEntries, maxBytes: config.memoryMaxBytes });
  const guard = new PromotionGuard();
  const coherence =
    redis.configured && config.coherence ? new Coherence({ memory, keys, redis, guard, logger, boundMs: config.coherenceBoundMs }) : ALONE;
  const cache = new ResponseCache({
    keys,
    memory,
    redis,
    coherence,
    guard,
    startTimeoutMs: config.redisConnectTimeoutMs,
    monitor,
    logger,
    ttl: { defaultSeconds: config.defaultTtlSeconds, perOperation: config.operationTtls },
    leases: { defaultTtlMs: config.leaseTtlMs, hitForMissMs: config.hitForMissSeconds * 1000 },
    stale: { defaultSeconds: config.staleSeconds, perOperation: config.operationStaleSeconds },
    mode: config.cacheMode,
    compression: { thresholdBytes: config.compressionThresholdBytes, codec: "zstd", level: config.compressionLevel },
    limits: { maxTextBytes: config.maxTextBytes, maxResponseBytes: config.maxResponseBytes },
  });
  return { cache, monitor };
}

