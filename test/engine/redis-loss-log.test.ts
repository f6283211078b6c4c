import { afterAll, expect, test } from "bun:test";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { createMemoryLogger } from "../support/logger.ts";
import { waitFor } from "../support/poll.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";

let t: TestApp | undefined;
let redis: RedisServer | undefined;
afterAll(async () => {
  await t?.close();
  await redis?.stop(true);
});

test("losing Redis is one warning, not one per connection", async () => {
  redis = await startRedis();
  const logger = createMemoryLogger("debug");
  t = await buildTestApp({ redisUrl: redis.url }, logger);
  await waitFor(() => t!.cache.coherence.stats?.state === "listening", { what: "coherence listening" });
  const before = logger.lines.length;
  await redis.stop(true);
  // The coherence line, whatever its level, is written last (after its short wait).
  await waitFor(() => logger.records().slice(before).some((record) => String(record.msg).startsWith("coherence lost")), { what: "the coherence-lost line" });
  const loud = logger.records().slice(before).filter((record) => record.level === "warn" || record.level === "error");
  expect(loud.map((record) => record.msg)).toEqual(["redis connection lost; serving from the memory tier"]);
});
