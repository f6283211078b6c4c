import { describe, expect, test } from "bun:test";
import { RedisUnavailableError } from "../../src/engine/errors.ts";
import { NO_REDIS } from "../../src/engine/redis/shared-tier.ts";

/** The shared tier of a memory-only sidecar. Real Redis tiers: support/redis-tier-contract.ts. */
describe("NO_REDIS, the shared tier when no Redis is configured", () => {
  test("says it is not configured and never available", () => {
    expect(NO_REDIS).toMatchObject({ configured: false, kind: "none", health: "disabled", state: "disabled", available: false, url: "disabled", lastError: null });
    expect(NO_REDIS.writes).toEqual({ state: "ok", failures: 0, lastError: null });
  });

  test("reads find nothing and removals remove nothing; starting and closing do nothing", async () => {
    await NO_REDIS.start();
    expect(await NO_REDIS.get("k")).toBeNull();
    expect(await NO_REDIS.getWithTtl("k")).toBeNull();
    expect(await NO_REDIS.delete("k")).toBe(false);
    expect(await NO_REDIS.deleteMatching("*")).toBe(0);
    expect(await NO_REDIS.nodes()).toEqual([]);
    await NO_REDIS.close();
  });

  test("writes, publishing and subscribing reject with RedisUnavailableError, as the failure rule says", async () => {
    await expect(NO_REDIS.set("k", Buffer.from("v"), 1000)).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(NO_REDIS.publish("c", "m")).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(NO_REDIS.subscribe([{ channel: "c", listener: () => {} }], () => {})).rejects.toBeInstanceOf(RedisUnavailableError);
  });
});
