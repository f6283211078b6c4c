import { Elysia } from "elysia";
import { AccessControl, ApiKeyVerifier, authPlugin } from "./auth/plugin.ts";
import type { ScopedKey } from "../engine/access.ts";
import { cacheController } from "./cache/routes.ts";
import { hotLookup } from "./cache/hot-lookup.ts";
import type { HOT_ROUTES, HotPath } from "./hot-paths.ts";
import { lookupHandler, type LookupHandler } from "./cache/lookup.ts";
import { dashboardController } from "./dashboard/routes.ts";
import { DashboardService, type ModelPrices } from "./dashboard/service.ts";
import type { ResponseCache } from "../engine/service.ts";
import { docsController } from "./docs/routes.ts";
import { BodyBudget, readJsonBody, type BodyLimits } from "./body.ts";
import { errorHandling } from "./errors.ts";
import { healthController } from "./health/routes.ts";
import type { Logger } from "../logging/logger.ts";
import { managementController } from "./management/routes.ts";
import { ManagementService } from "./management/service.ts";
import type { PerformanceMonitor } from "../monitor/monitor.ts";
import type { ProxyMetrics } from "./proxy/metrics.ts";
import type { HttpMetrics } from "./prometheus/http-metrics.ts";
import { prometheusController } from "./prometheus/routes.ts";

export interface AppDependencies {
  readonly cache: ResponseCache;
  /** The monitor the management endpoints read; null makes /internal/cache/metrics answer 500. */
  readonly monitor: PerformanceMonitor | null;
  readonly logger: Logger;
  readonly apiKeys: readonly string[];
  /** Keys limited to some scopes, and maybe to one namespace (SCOPED_API_KEYS). */
  readonly scopedApiKeys?: readonly ScopedKey[];
  readonly maxBodyBytes: number;
  /** Bounds the body bytes held at once (MAX_INFLIGHT_BODY_BYTES); unset (apps built directly by tests), bodies are bounded one by one only. */
  readonly bodyBudget?: BodyBudget;
  /** The caching proxy's counters, exported on /metrics when the proxy is on. */
  readonly proxyMetrics?: ProxyMetrics;
  /** Dollars per million tokens by model (MODEL_PRICES), for the dashboard's savings; unset: none. */
  readonly modelPrices?: ModelPrices;
  /** Requests by route and status, recorded by the server (serve.ts), exported on /metrics. */
  readonly httpMetrics?: HttpMetrics;
  readonly instanceId: string;
  readonly version: string;
  readonly startedAt?: number;
}

/** What the app's routes and the hot routes share: one key check, one body limit. */
interface HttpShared {
  readonly limits: BodyLimits;
  readonly access: AccessControl;
  readonly lookup: LookupHandler;
}

function sharedOf(deps: AppDependencies): HttpShared {
  const access = new AccessControl(new ApiKeyVerifier(deps.apiKeys, deps.scopedApiKeys));
  return {
    limits: { maxBodyBytes: deps.maxBodyBytes, budget: deps.bodyBudget ?? new BodyBudget(Number.POSITIVE_INFINITY) },
    access,
    lookup: lookupHandler(deps.cache, access),
  };
}

/** The feature routes: served by the app, and described by its OpenAPI document. */
function featureRoutes(deps: AppDependencies, { limits, access, lookup }: HttpShared) {
  // Every route that takes a body declares `auth`: the auth plugin reads bodies once the key is checked.
  const auth = authPlugin(access, (request, contentType) => readJsonBody(request, contentType, limits));
  const management = new ManagementService({ cache: deps.cache, monitor: deps.monitor, logger: deps.logger });
  return new Elysia({ name: "features" })
    .use(healthController(deps.cache, deps.version, deps.startedAt ?? Date.now()))
    .use(cacheController(deps.cache, auth, access, lookup))
    .use(managementController(management, auth, access))
    .use(
      dashboardController(
        new DashboardService({
          management,
          monitor: deps.cache.monitor,
          collapsedLookups: () => deps.cache.collapsedLookups,
          proxy: deps.proxyMetrics,
          prices: deps.modelPrices ?? {},
          instanceId: deps.instanceId,
          version: deps.version,
        }),
        auth,
      ),
    )
    .use(
      prometheusController({
        cache: deps.cache,
        monitor: deps.cache.monitor,
        instanceId: deps.instanceId,
        version: deps.version,
        proxy: deps.proxyMetrics,
        http: deps.httpMetrics,
        startedAt: deps.startedAt,
      }),
    );
}

/**
 * Builds the whole HTTP application from its dependencies. Nothing here reads the environment
 * or listens on a port, so tests build it in-process and call `app.handle(request)`.
 */
export function createApp(deps: AppDependencies, shared: HttpShared = sharedOf(deps)) {
  return new Elysia({ name: "ai-response-cache" })
    .use(errorHandling(deps.logger))
    .use(docsController(deps.version, () => featureRoutes(deps, shared)))
    .use(featureRoutes(deps, shared));
}

export type App = ReturnType<typeof createApp>;

/** A route answered by the server's own route table, ahead of the app: path, then method. */
export type HotRoutes = Readonly<Record<string, Readonly<Record<string, (request: Request) => Promise<Response>>>>>;

/**
 * The app, and the hot routes served in front of it with the same key check, body limits and
 * error answers. The app still routes and documents them (in-process callers, the OpenAPI
 * document); the server sends their requests straight to the hot handlers.
 */
export function createHttp(deps: AppDependencies): { app: App; hot: HotRoutes } {
  const shared = sharedOf(deps);
  const hot: Record<HotPath, Record<(typeof HOT_ROUTES)[HotPath][number], (request: Request) => Promise<Response>>> = {
    "/cache/lookup": { POST: hotLookup({ lookup: shared.lookup, access: shared.access, limits: shared.limits, logger: deps.logger }) },
  };
  return { app: createApp(deps, shared), hot };
}
