import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { buildTestApp } from "../support/app.ts";
import { waitFor } from "../support/poll.ts";
import { freePort, startRedis, type RedisServer } from "../support/redis.ts";

let dir: string;
let redis: RedisServer;
let tlsPort: number;

function openssl(...args: string[]): void {
  const result = Bun.spawnSync(["openssl", ...args], { cwd: dir, stdout: "ignore", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString()}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redis-tls-"));
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca", "-keyout", "ca.key", "-out", "ca.crt");
  writeFileSync(join(dir, "san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "san.cnf", "-out", "server.crt");
  tlsPort = await freePort();
  redis = await startRedis([
    "--tls-port", String(tlsPort),
    "--tls-cert-file", join(dir, "server.crt"),
    "--tls-key-file", join(dir, "server.key"),
    "--tls-ca-cert-file", join(dir, "ca.crt"),
    "--tls-auth-clients", "no",
    "--requirepass", "tls-password",
  ]);
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("Redis connection security", () => {
  test("rediss:// with a password and a private CA: connected, entries round-trip", async () => {
    const config = loadConfig({ REDIS_URL: `rediss://:tls-password@127.0.0.1:${tlsPort}`, REDIS_TLS_CA_FILE: join(dir, "ca.crt") });
    const t = await buildTestApp({ redisUrl: config.redisUrl, redisTlsCa: config.redisTlsCa });
    try {
      // A TLS handshake may outlast the start-up wait on a loaded machine; the service serves meanwhile.
      await waitFor(() => t.cache.redisStatus() === "connected", { what: "connected over TLS" });
      const stored = await (await t.request("/cache/store", { method: "POST", json: { operation: "qa", text: "over tls", response: "secure" } })).json();
      expect(stored.tiers).toEqual(["memory", "redis"]);
      t.cache.memory.clear();
      expect(await (await t.request("/cache/lookup", { method: "POST", json: { operation: "qa", text: "over tls" } })).json()).toMatchObject({ tier: "redis", response: "secure" });
      expect((await (await t.request("/internal/cache/status")).json()).redis.url).toBe(`rediss://:***@127.0.0.1:${tlsPort}`);
    } finally {
      await t.close();
    }
  });

  test("rediss:// to a server whose CA is not trusted: a clear error and memory-only service", async () => {
    const t = await buildTestApp({ redisUrl: `rediss://:tls-password@127.0.0.1:${tlsPort}`, redisConnectTimeoutMs: 500 });
    try {
      await waitFor(() => t.cache.redisStatus() === "error", { what: "the certificate refusal reported" });
      const status = await (await t.request("/internal/cache/status")).json();
      expect(status.redis.last_error).toMatch(/certificate/i);
      expect((await t.request("/cache/store", { method: "POST", json: { operation: "qa", text: "x", response: 1 } })).status).toBe(201);
    } finally {
      await t.close();
    }
  });

  test("a CA file that cannot be read is a configuration error naming the variable", () => {
    expect(() => loadConfig({ REDIS_TLS_CA_FILE: join(dir, "missing.crt") })).toThrow(/REDIS_TLS_CA_FILE: cannot read/);
    expect(() => loadConfig({ REDIS_TLS_CA_FILE: join(dir, "san.cnf") })).toThrow(/holds no PEM certificate/);
  });
});
