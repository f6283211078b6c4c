import { Elysia } from "elysia";
import type { AccessControl, authPlugin } from "../auth/plugin.ts";
import { documented } from "../docs/operation.ts";
import { ErrorResponse, errorResponse } from "../error-model.ts";
import {
  CachePerformanceResponse,
  CacheStatusResponse,
  INVALIDATE_EXAMPLE,
  INVALIDATION_STATS_EXAMPLE,
  InvalidateQuery,
  InvalidateResponse,
  InvalidationStatsResponse,
  PERFORMANCE_EXAMPLE,
  RECOMMENDATIONS_EXAMPLE,
  RecommendationsResponse,
  STATUS_EXAMPLE,
} from "./model.ts";
import type { ManagementService } from "./service.ts";

const tags = ["Cache management"];

/** The five documented endpoints under /internal/cache, with the reference's auth modes. */
export const managementController = (management: ManagementService, auth: ReturnType<typeof authPlugin>, access: AccessControl) =>
  new Elysia({ name: "cache-management", prefix: "/internal/cache" })
    .use(auth)
    .get("/status", () => management.status(), {
      auth: "optional",
      scope: "read",
      response: { 200: CacheStatusResponse, 401: ErrorResponse, 403: ErrorResponse },
      detail: documented({
        operationId: "getCacheStatus",
        tags,
        summary: "Cache status: Redis, memory tier and performance",
        description: "Never fails: on an internal error it answers 200 with `error`.",
        responses: { 200: { description: "Each tier's state and the hit rate", example: STATUS_EXAMPLE } },
      }),
    })
    .post(
      "/invalidate",
      ({ query: { pattern = "", operation_context = "api_endpoint", tag, namespace, dry_run, soft }, request }) =>
        management.invalidate(pattern, operation_context, {
          tag,
          namespace: access.namespaceFor(request, namespace),
          dryRun: dry_run === "true",
          soft: soft === "true",
        }),
      {
        auth: "required",
        scope: "invalidate",
        query: InvalidateQuery,
        response: { 200: InvalidateResponse, 401: ErrorResponse, 403: ErrorResponse, 422: ErrorResponse },
        detail: documented({
          operationId: "invalidateCache",
          tags,
          summary: "Invalidate cache entries matching a glob pattern, a tag or a namespace",
          description:
            "Removes keys matching `{prefix}:*{pattern}*` from both tiers (SCAN + UNLINK on Redis). An empty pattern removes every cache key; keys outside the prefix are never touched. `tag=` removes the entries stored with that tag (read from the shared tag index, never a scan), on every sidecar; `namespace=` holds it to one namespace; `dry_run=true` counts what would go and removes nothing; `soft=true` marks entries stale instead of removing them. Needs the invalidate scope.",
          responses: { 200: { description: "What was removed from each tier", example: INVALIDATE_EXAMPLE } },
        }),
      },
    )
    .get("/invalidation-stats", () => management.invalidationStats(), {
      auth: "optional",
      scope: "read",
      response: { 200: InvalidationStatsResponse, 401: ErrorResponse, 403: ErrorResponse },
      detail: documented({
        operationId: "getInvalidationStats",
        tags,
        summary: "Invalidation frequency, patterns and efficiency",
        description: "`{}` when statistics are unavailable.",
        responses: { 200: { description: "Frequency, patterns and efficiency of the recorded invalidations", example: INVALIDATION_STATS_EXAMPLE } },
      }),
    })
    .get("/invalidation-recommendations", () => management.recommendations(), {
      auth: "optional",
      scope: "read",
      response: { 200: RecommendationsResponse, 401: ErrorResponse, 403: ErrorResponse },
      detail: documented({
        operationId: "getInvalidationRecommendations",
        tags,
        summary: "Recommendations from the recorded invalidations",
        responses: { 200: { description: "One sentence per finding, and the findings in detail", example: RECOMMENDATIONS_EXAMPLE } },
      }),
    })
    .get(
      "/metrics",
      () => {
        const outcome = management.metrics();
        if (outcome.kind === "ok") return outcome.body;
        if (outcome.kind === "disabled") {
          return errorResponse(503, "monitoring_disabled", "performance monitoring is disabled by configuration (MONITORING_ENABLED=false)");
        }
        return errorResponse(500, "metrics_unavailable", `performance metrics could not be computed: ${outcome.detail}`);
      },
      {
        auth: "optional",
        scope: "read",
        response: { 200: CachePerformanceResponse, 401: ErrorResponse, 403: ErrorResponse, 500: ErrorResponse, 503: ErrorResponse },
        detail: documented({
          operationId: "getCachePerformanceMetrics",
          tags,
          summary: "Performance metrics over the retention window",
          description: "Durations are in seconds and `cache_hit_rate` is a percentage. 500 when the monitor is unavailable; 503 when monitoring is disabled.",
          responses: {
            200: { description: "Hit rate, key generation, operations, compression, memory and invalidation statistics", example: PERFORMANCE_EXAMPLE },
            500: { description: "The monitor failed", example: { error: "metrics_unavailable", detail: "performance metrics could not be computed: monitor unavailable" } },
            503: { description: "Monitoring is disabled", example: { error: "monitoring_disabled", detail: "performance monitoring is disabled by configuration (MONITORING_ENABLED=false)" } },
          },
        }),
      },
    );
