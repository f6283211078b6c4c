import { describe, expect, test } from "bun:test";
import { buildTestApp } from "../support/app.ts";
import { startRedis } from "../support/redis.ts";
import { within } from "../support/sidecar.ts";

/** Redis's state as /ready, status, invalidation and /metrics each say it. */
async function statesOf(app: Awaited<ReturnType<typeof buildTestApp>>) {
  const ready = await (await app.request("/ready")).json();
  const status = await (await app.request("/internal/cache/status")).json();
  const invalidation = await (await app.request("/internal/cache/invalidate?pattern=nothing", { method: "POST" })).json();
  const metrics = await (await app.request("/metrics")).text();
  return { ready: ready.tiers.redis.status, status: status.redis.status, configured: status.redis.configured, invalidation: invalidation.redis, metrics };
}

describe("one vocabulary for Redis's state", () => {
  test("memory only: every endpoint says disabled, and ai_cache_redis_up is not exported (its alert must not fire)", async () => {
    const app = await buildTestApp();
    const states = await statesOf(app);
    expect(states).toMatchObject({ ready: "disabled", status: "disabled", configured: false, invalidation: "disabled" });
    expect(states.metrics).not.toContain("ai_cache_redis_up");
    expect(states.metrics).toContain('ai_cache_redis_state{instance_id="test",state="disabled"} 1');
    expect(states.metrics).toContain('ai_cache_redis_state{instance_id="test",state="connected"} 0');
  });

  test("connected, then unavailable: the same words everywhere, and the metrics follow", async () => {
    const server = await startRedis();
    const app = await buildTestApp({ redisUrl: server.url });
    try {
      let states = await statesOf(app);
      expect(states).toMatchObject({ ready: "connected", status: "connected", configured: true, invalidation: "ok" });
      expect(states.metrics).toContain('ai_cache_redis_up{instance_id="test"} 1');
      expect(states.metrics).toContain('ai_cache_redis_state{instance_id="test",state="connected"} 1');
      expect(states.metrics).toContain('ai_cache_coherence_listening{instance_id="test"} 1');
      await server.stop(true);
      // The loss is noticed when the connection reports it, not at the kill itself.
      await within(10_000, async () => app.cache.redisStatus() === "unavailable");
      states = await statesOf(app);
      expect(states).toMatchObject({ ready: "unavailable", status: "unavailable", configured: true, invalidation: "unavailable" });
      expect(states.metrics).toContain('ai_cache_redis_up{instance_id="test"} 0');
      expect(states.metrics).toContain('ai_cache_redis_state{instance_id="test",state="unavailable"} 1');
    } finally {
      await app.close();
    }
  });
});
