import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { redactUrl } from "../../src/engine/redis/target.ts";
import { buildTestApp } from "../support/app.ts";
import { freePort, startRedis, type RedisServer } from "../support/redis.ts";
import { within } from "../support/sidecar.ts";

const DEADLINE_MS = 10_000;
const storeBody = (text: string) => ({ operation: "summarize", text, response: { text } });

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe("writes Redis refuses are reported", () => {
  test("out of memory (maxmemory + noeviction): status, /ready and one rate-limited warning say so; recovery clears it", async () => {
    const app = await buildTestApp({ redisUrl: redis.url });
    const admin = await redis.client();
    try {
      await admin.configSet({ "maxmemory-policy": "noeviction", maxmemory: "1" });
      for (let i = 0; i < 5; i++) {
        const stored = await (await app.request("/cache/store", { method: "POST", json: storeBody(`oom ${i}`) })).json();
        expect(stored.tiers).toEqual(["memory"]);
      }
      const status = (await (await app.request("/internal/cache/status")).json()).redis;
      expect(status).toMatchObject({ status: "connected", writes: "failing", write_failures: 5 });
      expect(status.last_write_error).toMatch(/OOM/);
      const ready = await (await app.request("/ready")).json();
      expect(ready).toMatchObject({ status: "degraded", tiers: { redis: { status: "connected", writes: "failing" } } });
      const warnings = app.logger.records().filter((record) => record.level === "warn" && String(record.msg).includes("refused a write"));
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0]!.error)).toMatch(/OOM/);

      await admin.configSet({ maxmemory: "0" });
      expect((await (await app.request("/cache/store", { method: "POST", json: storeBody("after") })).json()).tiers).toEqual(["memory", "redis"]);
      expect((await (await app.request("/internal/cache/status")).json()).redis.writes).toBe("ok");
      expect((await (await app.request("/ready")).json()).status).toBe("ready");
    } finally {
      await admin.configSet({ maxmemory: "0" });
      await app.close();
    }
  });

  test("a read-only replica as REDIS_URL: stores stay in memory and status names the refusal; reads still work", async () => {
    // The primary would wait 5 s before its first diskless sync to a replica.
    await (await redis.client()).configSet("repl-diskless-sync-delay", "0");
    const replica = await startRedis(["--replicaof", "127.0.0.1", String(redis.port)]);
    const primary = await buildTestApp({ redisUrl: redis.url });
    const app = await buildTestApp({ redisUrl: replica.url });
    try {
      await (await primary.request("/cache/store", { method: "POST", json: storeBody("replicated") })).json();
      await within(DEADLINE_MS, async () => (await (await app.request("/cache/lookup", { method: "POST", json: { operation: "summarize", text: "replicated" } })).json()).hit === true);
      const stored = await (await app.request("/cache/store", { method: "POST", json: storeBody("on a replica") })).json();
      expect(stored.tiers).toEqual(["memory"]);
      const status = (await (await app.request("/internal/cache/status")).json()).redis;
      expect(status).toMatchObject({ writes: "failing", write_failures: 1 });
      expect(status.last_write_error).toMatch(/READONLY/);
    } finally {
      await app.close();
      await primary.close();
      await replica.stop();
    }
  });
});

describe("shutdown always exits 0", () => {
  async function runAndTerminate(redisUrl: string, waitFor: (output: string) => boolean): Promise<{ code: number; stderr: string; stdout: string }> {
    const port = await freePort();
    const child = Bun.spawn([process.execPath, "src/main.ts"], {
      env: { PATH: process.env.PATH ?? "", PORT: String(port), REDIS_URL: redisUrl, LOG_LEVEL: "info" },
      stdout: "pipe",
      stderr: "pipe",
    });
    let stdout = "";
    const reader = (async () => {
      for await (const chunk of child.stdout) stdout += new TextDecoder().decode(chunk);
    })();
    await within(DEADLINE_MS, async () => waitFor(stdout));
    child.kill("SIGTERM");
    const code = await child.exited;
    await reader;
    return { code, stderr: await new Response(child.stderr).text(), stdout };
  }

  test("when Redis refused the password at start", async () => {
    const secured = await startRedis(["--requirepass", "right"]);
    try {
      const url = secured.url.replace("redis://", "redis://:wrong@");
      const { code, stderr, stdout } = await runAndTerminate(url, (out) => out.includes("ai-response-cache started") && out.includes("refused our credentials"));
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(stdout).toContain('"msg":"stopped"');
      expect(stdout).not.toContain("wrong@");
    } finally {
      await secured.stop();
    }
  });

  test("when Redis refused the password at run time", async () => {
    const secured = await startRedis(["--requirepass", "right"]);
    const admin = await secured.client();
    try {
      const url = secured.url.replace("redis://", "redis://:right@");
      const port = await freePort();
      const child = Bun.spawn([process.execPath, "src/main.ts"], {
        env: { PATH: process.env.PATH ?? "", PORT: String(port), REDIS_URL: url, LOG_LEVEL: "warn" },
        stdout: "ignore",
        stderr: "pipe",
      });
      await within(DEADLINE_MS, async () => (await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.json(), () => null))?.status === "ready");
      await admin.configSet("requirepass", "changed");
      await admin.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
      await admin.sendCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
      await within(DEADLINE_MS, async () => (await (await fetch(`http://127.0.0.1:${port}/ready`)).json()).tiers.redis.status === "error");
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      expect(await new Response(child.stderr).text()).not.toMatch(/\n\s+at |Error:/);
    } finally {
      await admin.configSet("requirepass", "right").catch(() => {});
      await secured.stop();
    }
  });
});

describe("credentials in Redis URLs are masked everywhere they are shown", () => {
  test("a password in the user-name slot, a user with a password, and a password alone", () => {
    expect(redactUrl("redis://S3cr3t@cache:6379")).toBe("redis://***@cache:6379");
    expect(redactUrl("redis://app:S3cr3t@cache:6379/2")).toBe("redis://app:***@cache:6379/2");
    expect(redactUrl("rediss://:S3cr3t@cache:6380")).toBe("rediss://:***@cache:6380");
    expect(redactUrl("redis://cache:6379")).toBe("redis://cache:6379");
    // Not a URL at all: nothing of it is echoed, it may be a secret.
    expect(redactUrl("S3cr3t not a url")).toBe("(invalid)");
  });

  test("status (open when no key is set) and the start-up log never show it", async () => {
    const url = redis.url.replace("redis://", "redis://S3cr3t@");
    const { code, stdout } = await (async () => {
      const port = await freePort();
      const child = Bun.spawn([process.execPath, "src/main.ts"], {
        env: { PATH: process.env.PATH ?? "", PORT: String(port), REDIS_URL: url, LOG_LEVEL: "info" },
        stdout: "pipe",
        stderr: "ignore",
      });
      await within(DEADLINE_MS, async () => (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0)) === 200);
      const status = await (await fetch(`http://127.0.0.1:${port}/internal/cache/status`)).text();
      expect(status).not.toContain("S3cr3t");
      expect(JSON.parse(status).redis.url).toContain("***@");
      child.kill("SIGTERM");
      return { code: await child.exited, stdout: await new Response(child.stdout).text() };
    })();
    expect(code).toBe(0);
    expect(stdout).toContain("ai-response-cache started");
    expect(stdout).not.toContain("S3cr3t");
  });

  test("the logger masks credentials in any URL it is handed", async () => {
    const app = await buildTestApp();
    app.logger.warn("x", { where: "redis://user:hunter2@host:1", error: new Error("connect to rediss://hunter2@h failed") });
    expect(app.logger.lines.join("")).not.toContain("hunter2");
    expect(app.logger.lines.join("")).toContain("redis://***@host:1");
  });
});
