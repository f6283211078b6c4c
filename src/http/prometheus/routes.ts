import { Elysia, t } from "elysia";
import { renderPrometheus, type PrometheusSource } from "./service.ts";

const TEXT_FORMAT = { "content-type": "text/plain; version=0.0.4; charset=utf-8" } as const;

/** `GET /metrics` for Prometheus scrapers; open, like the reference's optional-auth reads. */
export const prometheusController = (source: PrometheusSource) =>
  new Elysia({ name: "prometheus" }).get("/metrics", () => new Response(renderPrometheus(source), { headers: TEXT_FORMAT }), {
    response: { 200: t.String({ description: "Prometheus text exposition format 0.0.4" }) },
    detail: { tags: ["Operations"], summary: "Prometheus metrics of this sidecar (label instance_id)" },
  });
