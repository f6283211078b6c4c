import { Elysia } from "elysia";
import type { AccessControl, authPlugin } from "../auth/plugin.ts";
import { ErrorResponse, errorResponse } from "../error-model.ts";
import {
  CachePerformanceResponse,
  CacheStatusResponse,
  InvalidateQuery,
  InvalidateResponse,
  InvalidationStatsResponse,
  RecommendationsResponse,
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
      detail: { tags, summary: "Cache status: Redis, memory tier and performance", description: "Never fails: on an internal error it answers 200 with `error`." },
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
        detail: {
          tags,
          summary: "Invalidate cache entries matching a glob pattern, a tag or a namespace",
          description:
            "Removes keys matching `{prefix}:*{pattern}*` from both tiers (SCAN + UNLINK on Redis). An empty pattern removes every cache key; keys outside the prefix are never touched. `tag=` removes the entries stored with that tag (read from the shared tag index, never a scan), on every sidecar; `namespace=` holds it to one namespace; `dry_run=true` counts what would go and removes nothing; `soft=true` marks entries stale instead of removing them. Needs the invalidate scope.",
        },
      },
    )
    .get("/invalidation-stats", () => management.invalidationStats(), {
      auth: "optional",
      scope: "read",
      response: { 200: InvalidationStatsResponse, 401: ErrorResponse, 403: ErrorResponse },
      detail: { tags, summary: "Invalidation frequency, patterns and efficiency", description: "`{}` when statistics are unavailable." },
    })
    .get("/invalidation-recommendations", () => management.recommendations(), {
      auth: "optional",
      scope: "read",
      response: { 200: RecommendationsResponse, 401: ErrorResponse, 403: ErrorResponse },
      detail: { tags, summary: "Recommendations from the recorded invalidations" },
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
        detail: { tags, summary: "Performance metrics over the retention window", description: "500 when the monitor is unavailable; 503 when monitoring is disabled." },
      },
    );
