import { describe, expect, spyOn, test } from "bun:test";
import { ApiKeyVerifier } from "../../src/http/auth/verifier.ts";
import { ADDITIONAL_KEY, PRIMARY_KEY } from "../support/app.ts";
import { waitFor } from "../support/poll.ts";
import { freePort, startRedis } from "../support/redis.ts";

describe("API keys", () => {
  test("every configured key is compared, whichever matches, so timing reveals nothing", () => {
    const keys = ["first-key", "second-key", "third-key"];
    const verifier = new ApiKeyVerifier(keys);
    const compare = spyOn(ApiKeyVerifier, "digestsEqual");
    for (const presented of ["first-key", "third-key", "no-such-key", "f", "first-key-but-longer"]) {
      compare.mockClear();
      verifier.matches(presented);
      expect(compare).toHaveBeenCalledTimes(keys.length);
      // Digests of equal length are compared, whatever the key lengths.
      for (const [a, b] of compare.mock.calls) expect([a.length, b.length]).toEqual([32, 32]);
    }
    compare.mockRestore();
  });

  test("keys and passwords never appear in logs or error bodies, from start-up to shutdown, on any route, at debug level", async () => {
    // The service as deployed: its start-up line (the configuration), every request, the shutdown.
    const redisPassword = "redis-secret-password-7";
    const redis = await startRedis(["--requirepass", redisPassword]);
    const port = await freePort();
    const child = Bun.spawn([process.execPath, "src/main.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        PORT: String(port),
        LOG_LEVEL: "debug",
        API_KEY: PRIMARY_KEY,
        ADDITIONAL_API_KEYS: ADDITIONAL_KEY,
        REDIS_URL: redis.url.replace("redis://", `redis://:${redisPassword}@`),
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const base = `http://127.0.0.1:${port}`;
    const wrong = "wrong-secret-candidate-42";
    const bodies: string[] = [];
    let requests = 0;
    try {
      await waitFor(async () => (await (await fetch(`${base}/ready`)).json()).tiers.redis.status === "connected", { what: "service connected to Redis" });
      for (const path of ["/cache/lookup", "/cache/store", "/internal/cache/invalidate", "/internal/cache/status", "/internal/cache/metrics", "/metrics", "/nope"]) {
        for (const headers of <Record<string, string>[]>[{ authorization: `Bearer ${wrong}` }, { "x-api-key": wrong }, { authorization: `Bearer ${PRIMARY_KEY}` }, { "x-api-key": ADDITIONAL_KEY }]) {
          const method = path.startsWith("/cache") || path.endsWith("invalidate") ? "POST" : "GET";
          const response = await fetch(`${base}${path}`, {
            method,
            headers: { ...headers, "content-type": "application/json" },
            // A key inside the prompt itself must not leak either (keys hash the text).
            body: method === "POST" ? JSON.stringify({ operation: "x", text: PRIMARY_KEY, response: ADDITIONAL_KEY }) : undefined,
          });
          bodies.push(await response.text());
          requests++;
        }
      }
      // Stores with the right key reached Redis, so the password was used.
      expect(bodies.filter((body) => body.includes('"tiers":["memory","redis"]')).length).toBeGreaterThanOrEqual(2);
    } finally {
      child.kill("SIGTERM");
      await redis.stop();
    }
    expect(await child.exited).toBe(0);
    const logs = `${await new Response(child.stdout).text()}${await new Response(child.stderr).text()}`;
    const lines = logs.trim().split("\n").map((line) => JSON.parse(line) as { msg: string });
    // The start-up line does name Redis, with its credentials masked.
    const started = lines.find((line) => line.msg === "ai-response-cache started") as { config?: { redis?: string } } | undefined;
    expect(started?.config?.redis).toMatch(new RegExp(`^redis://:?\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}$`));
    expect(lines.filter((line) => line.msg === "request").length).toBeGreaterThanOrEqual(requests);
    expect(lines.at(-1)!.msg).toBe("stopped");
    const everything = `${logs}\n${bodies.join("\n")}`;
    for (const secret of [PRIMARY_KEY, ADDITIONAL_KEY, wrong, redisPassword]) expect(everything).not.toContain(secret);
  }, 60_000);
});
