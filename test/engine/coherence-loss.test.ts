import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { within } from "../support/sidecar.ts";

/**
 * A sidecar that cannot hear other sidecars' announcements (its subscriber killed, or unable
 * to reconnect) must not serve a memory copy past the documented bound, and must resync when it
 * hears again. The bound is short here (400 ms) so the tests run fast; the deadlines polled are
 * many times longer, so a busy machine cannot fail them, while the old behaviour (stale until
 * the entry's TTL, an hour) fails every one.
 */
const BOUND_MS = 400;
const DEADLINE_MS = 10_000;
const request = (text: string) => ({ operation: "summarize", text });

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis(["--requirepass", "first-password"]);
});
afterAll(async () => {
  await redis.stop();
});

async function pair(): Promise<{ reader: TestApp; writer: TestApp; close(): Promise<void> }> {
  const url = redis.url.replace("redis://", "redis://:first-password@");
  const reader = await buildTestApp({ redisUrl: url, instanceId: "reader", coherenceBoundMs: BOUND_MS });
  const writer = await buildTestApp({ redisUrl: url, instanceId: "writer", coherenceBoundMs: BOUND_MS });
  return { reader, writer, close: async () => void (await Promise.all([reader.close(), writer.close()])) };
}

const lookup = async (app: TestApp, text: string) => (await app.request("/cache/lookup", { method: "POST", json: request(text) })).json();
const store = async (app: TestApp, text: string, response: unknown) => (await app.request("/cache/store", { method: "POST", json: { ...request(text), response } })).json();
const readyOf = async (app: TestApp) => (await app.request("/ready")).json();

/** Stores v1 via the writer and waits until the reader holds it in memory. */
async function readerHolds(reader: TestApp, writer: TestApp, text: string): Promise<void> {
  await store(writer, text, "v1");
  await within(DEADLINE_MS, async () => (await lookup(reader, text)).tier === "memory");
}

async function admin() {
  return redis.client();
}

describe("a sidecar whose pub/sub connection is lost", () => {
  test("killed subscriber: another sidecar's overwrite is served within the bound, and the sidecar resyncs", async () => {
    const { reader, writer, close } = await pair();
    try {
      await readerHolds(reader, writer, "killed");
      await (await admin()).sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
      const written = await store(writer, "killed", "v2");
      expect(written.tiers).toEqual(["memory", "redis"]);
      await within(DEADLINE_MS, async () => (await lookup(reader, "killed")).response === "v2");
      await within(DEADLINE_MS, async () => reader.cache.coherence.stats?.state === "listening" && reader.cache.coherence.stats.resyncs >= 1);
      expect(reader.logger.lines.some((line) => line.includes("coherence regained"))).toBe(true);
      // Listening again: copies live their full TTL once more.
      await within(DEADLINE_MS, async () => (await lookup(reader, "killed")).tier === "memory");
      expect(reader.cache.memory.get((await lookup(reader, "killed")).key)!.expiresAt - Date.now()).toBeGreaterThan(BOUND_MS * 10);
    } finally {
      await close();
    }
  });

  test("a subscriber that cannot reconnect (maxclients): copies expire within the bound, /ready says so, and it recovers", async () => {
    const { reader, writer, close } = await pair();
    const redisAdmin = await admin();
    const maxclients = (await redisAdmin.configGet("maxclients")).maxclients!;
    try {
      await readerHolds(reader, writer, "deaf");
      // Connections already open stay; every new one (the subscribers reconnecting) is refused.
      await redisAdmin.configSet("maxclients", "1");
      await redisAdmin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
      await store(writer, "deaf", "v2");
      await within(DEADLINE_MS, async () => (await lookup(reader, "deaf")).response === "v2");
      const ready = await readyOf(reader);
      expect(ready.status).toBe("degraded");
      expect(ready.tiers.redis.coherence).toBe("lost");
      // While deaf, nothing it copies into memory outlives half the bound.
      const { key } = await lookup(reader, "deaf");
      const held = reader.cache.memory.get(key);
      if (held !== undefined) expect(held.expiresAt - Date.now()).toBeLessThanOrEqual(BOUND_MS / 2);

      await redisAdmin.configSet("maxclients", maxclients);
      await within(DEADLINE_MS, async () => (await readyOf(reader)).status === "ready");
      expect((await readyOf(reader)).tiers.redis.coherence).toBe("listening");
      expect((await (await reader.request("/internal/cache/status")).json()).redis.coherence).toMatchObject({ state: "listening" });
    } finally {
      await redisAdmin.configSet("maxclients", maxclients);
      await close();
    }
  });

  test("a refused password on the subscriber's reconnect is retried; fixing the password brings everything back", async () => {
    const { reader, writer, close } = await pair();
    const redisAdmin = await admin();
    try {
      await readerHolds(reader, writer, "refused");
      await redisAdmin.configSet("requirepass", "second-password");
      // Every connection of both sidecars must reconnect, and every reconnection is refused.
      await redisAdmin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
      await redisAdmin.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
      await within(DEADLINE_MS, async () => reader.cache.redis?.state === "error");
      const status = await (await reader.request("/internal/cache/status")).json();
      expect(status.redis.status).toBe("error");
      expect(status.redis.last_error).toMatch(/WRONGPASS|password/i);
      expect((await readyOf(reader)).status).toBe("degraded");

      await redisAdmin.configSet("requirepass", "first-password");
      await within(DEADLINE_MS, async () => reader.cache.redisStatus() === "connected" && reader.cache.coherence.stats?.state === "listening");
      await within(DEADLINE_MS, async () => writer.cache.redisStatus() === "connected" && writer.cache.coherence.stats?.state === "listening");
      expect((await store(reader, "refused", "v3")).tiers).toEqual(["memory", "redis"]);
      // Announcements flow again: the writer's copy is replaced.
      await within(DEADLINE_MS, async () => (await lookup(writer, "refused")).response === "v3");
    } finally {
      await redisAdmin.configSet("requirepass", "first-password").catch(() => {});
      await close();
    }
  }, 30_000);
});
