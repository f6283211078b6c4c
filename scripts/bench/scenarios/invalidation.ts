import { createClient } from "redis";
import { freePort, rawRedis, SERVER_CORE, sidecarCommand, spawnPinned, startRedis, waitForHttp, type Scenario, verdict } from "../harness.ts";

const TOTAL = 200_000;
const MATCHING = 100_000;

/** 200,000 cache-shaped keys, half of them for the "summarize" operation. */
async function populate(url: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  await client.flushAll();
  const value = Buffer.alloc(120, 7);
  for (let start = 0; start < TOTAL; start += 5000) {
    const writes: Promise<unknown>[] = [];
    for (let i = start; i < start + 5000; i++) {
      const operation = i < MATCHING ? "summarize" : "translate";
      writes.push(client.set(`ai_cache:op:${operation}|txt:${i.toString(16).padStart(32, "0")}`, value));
    }
    await Promise.all(writes);
  }
  await client.close();
}

export const invalidation: Scenario = {
  id: "invalidation",
  title: "Invalidate 100,000 of 200,000 keys vs a raw SCAN + UNLINK loop",
  async run(settings) {
    const redis = await startRedis();
    const port = await freePort();
    const sidecar = spawnPinned(SERVER_CORE, sidecarCommand(), { PORT: String(port), LOG_LEVEL: "warn", REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: "5000" });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${url}/health`);
      const raw: number[] = [];
      const ours: number[] = [];
      for (let pair = 0; pair < settings.pairs; pair++) {
        await populate(redis.url);
        const result = await rawRedis<{ ms: number; removed: number }>("invalidate", redis.url, "ai_cache:*op:summarize|*");
        if (result.removed !== MATCHING) throw new Error(`raw loop removed ${result.removed}`);
        raw.push(result.ms);

        await populate(redis.url);
        const started = performance.now();
        const response = await fetch(`${url}/internal/cache/invalidate?pattern=${encodeURIComponent("op:summarize|*")}`, { method: "POST" });
        const body = (await response.json()) as { redis_keys_removed: number };
        ours.push(performance.now() - started);
        if (body.redis_keys_removed !== MATCHING) throw new Error(`sidecar removed ${body.redis_keys_removed}`);
      }
      const ratios = ours.map((o, i) => o / raw[i]!);
      return {
        id: this.id,
        title: this.title,
        baseline: { label: "raw SCAN MATCH COUNT 1000 + UNLINK per batch", unit: "ms", samples: raw },
        candidate: { label: "POST /internal/cache/invalidate (HTTP round trip included)", unit: "ms", samples: ours },
        ratioOf: "sidecar / raw (time)",
        ratios,
        target: "<= 1.5",
        met: verdict(ratios, 1.5, "<="),
        notes: ["same glob on both sides: ai_cache:*op:summarize|*; the sidecar overlaps each UNLINK with the next SCAN"],
      };
    } finally {
      await sidecar.stop();
      await redis.child.stop();
    }
  },
};
