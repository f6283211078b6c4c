import { afterAll, beforeAll } from "bun:test";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { leaseStoreContract, redisLeaseSubject, type LeaseStoreUnderTest } from "../support/lease-store-contract.ts";
import { waitFor } from "../support/poll.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";

let redis: RedisServer;
let t: TestApp;
let subject: LeaseStoreUnderTest;
beforeAll(async () => {
  redis = await startRedis();
  t = await buildTestApp({ redisUrl: redis.url, instanceId: "lease-store-contract" });
  await waitFor(() => t.cache.redisStatus() === "connected", { what: "connected to Redis" });
  subject = await redisLeaseSubject(t.cache);
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

leaseStoreContract("Redis standalone", () => subject);
