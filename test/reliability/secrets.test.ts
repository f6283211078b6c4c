import { describe, expect, spyOn, test } from "bun:test";
import { ApiKeyVerifier } from "../../src/auth/verifier.ts";
import { serve } from "../../src/server/serve.ts";
import { ADDITIONAL_KEY, buildTestApp, PRIMARY_KEY } from "../support/app.ts";
import { createMemoryLogger } from "../support/logger.ts";

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

  test("keys never appear in logs or error bodies, on any route, at debug level", async () => {
    const logger = createMemoryLogger("debug");
    const t = await buildTestApp({ apiKeys: [PRIMARY_KEY, ADDITIONAL_KEY], logLevel: "debug" }, logger);
    const running = serve(t.app.fetch, { host: "127.0.0.1", port: 0, maxBodyBytes: 4096, shutdownTimeoutMs: 1000, logger });
    const wrong = "wrong-secret-candidate-42";
    const bodies: string[] = [];
    try {
      for (const path of ["/cache/lookup", "/cache/store", "/internal/cache/invalidate", "/internal/cache/status", "/internal/cache/metrics", "/nope"]) {
        for (const headers of <Record<string, string>[]>[{ authorization: `Bearer ${wrong}` }, { "x-api-key": wrong }, { authorization: `Bearer ${PRIMARY_KEY}` }, { "x-api-key": ADDITIONAL_KEY }]) {
          const method = path.startsWith("/cache") || path.endsWith("invalidate") ? "POST" : "GET";
          const response = await fetch(`${running.url}${path}`, {
            method,
            headers: { ...headers, "content-type": "application/json" },
            body: method === "POST" ? JSON.stringify({ operation: "x", text: PRIMARY_KEY }) : undefined,
          });
          bodies.push(await response.text());
        }
      }
    } finally {
      await running.shutdown();
      await t.close();
    }
    const everything = `${logger.lines.join("\n")}\n${bodies.join("\n")}`;
    expect(logger.lines.length).toBeGreaterThan(20);
    for (const secret of [PRIMARY_KEY, ADDITIONAL_KEY, wrong]) expect(everything).not.toContain(secret);
  });
});
