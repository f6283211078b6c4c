import { Type as t } from "@sinclair/typebox";
import { Elysia } from "elysia";
import { documented } from "../docs/operation.ts";
import { renderPrometheus, type PrometheusSource } from "./service.ts";

const TEXT_FORMAT = { "content-type": "text/plain; version=0.0.4; charset=utf-8" } as const;

/** `GET /metrics` for Prometheus scrapers; open, like the reference's optional-auth reads. */
export const prometheusController = (source: PrometheusSource) =>
  new Elysia({ name: "prometheus" }).get("/metrics", () => new Response(renderPrometheus(source), { headers: TEXT_FORMAT }), {
    response: { 200: t.String({ description: "Prometheus text exposition format 0.0.4" }) },
    detail: documented({
      operationId: "getPrometheusMetrics",
      tags: ["Operations"],
      summary: "Prometheus metrics of this sidecar (label instance_id)",
      responses: {
        200: {
          description: "Prometheus text exposition format 0.0.4",
          contentType: "text/plain",
          example: '# HELP ai_cache_hits_total Lookups answered from the cache.\n# TYPE ai_cache_hits_total counter\nai_cache_hits_total{instance_id="app-7f9c"} 1000\n',
        },
      },
    }),
  });
