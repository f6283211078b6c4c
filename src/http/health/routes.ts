import { Type as t, type Static } from "@sinclair/typebox";
import { Elysia } from "elysia";
import type { ResponseCache } from "../../engine/service.ts";
import { documented } from "../docs/operation.ts";
import { RedisHealthSchema } from "../management/model.ts";
import { livenessBody } from "./liveness.ts";

// Plain TypeBox, not Elysia's `t`: its Integer and Number also accept numeric strings, which the
// document would then show as string-or-number.
export const HealthResponse = t.Object({ status: t.Literal("ok"), version: t.String(), uptime_seconds: t.Number() }, { $id: "HealthResponse" });

export const ReadyResponse = t.Object(
  {
    status: t.Union([t.Literal("ready"), t.Literal("degraded")], {
      description: "degraded: Redis is configured but unreachable, refuses writes, or coherence is lost; the memory tier still serves",
    }),
    tiers: t.Object({
      memory: t.Object({ status: t.Union([t.Literal("up"), t.Literal("disabled")]), entries: t.Integer() }),
      redis: t.Object({
        status: RedisHealthSchema,
        writes: t.Optional(t.Union([t.Literal("ok"), t.Literal("failing")], { description: "failing: Redis refuses writes; new entries live in memory only" })),
        coherence: t.Optional(
          t.Union([t.Literal("listening"), t.Literal("lost")], { description: "lost: other sidecars' changes may be missed; memory copies live at most half the bound" }),
        ),
      }),
    }),
  },
  { $id: "ReadyResponse" },
);

const HEALTH_EXAMPLE = { status: "ok", version: "0.1.0", uptime_seconds: 3600.25 } satisfies Static<typeof HealthResponse>;
const READY_EXAMPLE = {
  status: "ready",
  tiers: { memory: { status: "up", entries: 412 }, redis: { status: "connected", writes: "ok", coherence: "listening" } },
} satisfies Static<typeof ReadyResponse>;

/**
 * Liveness and readiness. Readiness stays 200 while Redis is down: the sidecar still answers
 * from its memory tier, and failing readiness would take the whole app pod out of service.
 */
export const healthController = (cache: ResponseCache, version: string, startedAt: number) =>
  new Elysia({ name: "health" })
    .get("/health", () => livenessBody(version, startedAt), {
      response: { 200: HealthResponse },
      detail: documented({
        operationId: "getHealth",
        tags: ["Operations"],
        summary: "Liveness: 200 while the process serves",
        responses: { 200: { description: "The process serves", example: HEALTH_EXAMPLE } },
      }),
    })
    .get(
      "/ready",
      () => {
        const redis = cache.redisStatus();
        const writes = cache.redis.configured ? cache.redis.writes.state : undefined;
        const coherence = cache.coherence.stats?.state;
        const healthy = redis === "disabled" || (redis === "connected" && writes !== "failing" && coherence !== "lost");
        return {
          status: healthy ? ("ready" as const) : ("degraded" as const),
          tiers: {
            memory: { status: cache.memory.enabled ? ("up" as const) : ("disabled" as const), entries: cache.memory.size },
            redis: { status: redis, ...(writes === undefined ? {} : { writes }), ...(coherence === undefined ? {} : { coherence }) },
          },
        };
      },
      {
        response: { 200: ReadyResponse },
        detail: documented({
          operationId: "getReadiness",
          tags: ["Operations"],
          summary: "Readiness with the state of each cache tier",
          description: "Stays 200 (`degraded`) while Redis is down, because the memory tier still serves.",
          responses: { 200: { description: "Ready, or degraded while the memory tier serves alone", example: READY_EXAMPLE } },
        }),
      },
    );
