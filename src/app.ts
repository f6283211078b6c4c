import { Elysia } from "elysia";
import { ApiKeyVerifier, authPlugin } from "./auth/index.ts";
import { cacheController } from "./cache/index.ts";
import type { ResponseCache } from "./cache/service.ts";
import { docsController } from "./docs/index.ts";
import { errorHandling, readJsonBody } from "./errors/index.ts";
import { healthController } from "./health/index.ts";
import type { Logger } from "./logging/logger.ts";
import { managementController } from "./management/index.ts";
import { ManagementService } from "./management/service.ts";
import type { PerformanceMonitor } from "./monitor/monitor.ts";
import { prometheusController } from "./prometheus/index.ts";

export interface AppDependencies {
  readonly cache: ResponseCache;
  /** The monitor the management endpoints read; null makes /internal/cache/metrics answer 500. */
  readonly monitor: PerformanceMonitor | null;
  readonly logger: Logger;
  readonly apiKeys: readonly string[];
  readonly maxBodyBytes: number;
  readonly instanceId: string;
  readonly version: string;
  readonly startedAt?: number;
}

/** The feature routes: served by the app, and described by its OpenAPI document. */
function featureRoutes(deps: AppDependencies) {
  const auth = authPlugin(new ApiKeyVerifier(deps.apiKeys));
  const management = new ManagementService({ cache: deps.cache, monitor: deps.monitor, logger: deps.logger });
  return new Elysia({ name: "features" })
    .use(healthController(deps.cache, deps.version, deps.startedAt ?? Date.now()))
    .use(cacheController(deps.cache, auth))
    .use(managementController(management, auth))
    .use(prometheusController({ cache: deps.cache, monitor: deps.cache.monitor, instanceId: deps.instanceId, version: deps.version }));
}

/**
 * Builds the whole HTTP application from its dependencies. Nothing here reads the environment
 * or listens on a port, so tests build it in-process and call `app.handle(request)`.
 */
export function createApp(deps: AppDependencies) {
  return new Elysia({ name: "ai-response-cache" })
    .use(errorHandling(deps.logger))
    .onParse({ as: "global" }, ({ request, contentType }) => readJsonBody(request, contentType, deps.maxBodyBytes))
    .use(docsController(deps.version, () => featureRoutes(deps)))
    .use(featureRoutes(deps));
}

export type App = ReturnType<typeof createApp>;
