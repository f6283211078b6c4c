import { llmResponse } from "../corpus.ts";
import {
  BUN,
  CLIENT_CORE,
  cpuNote,
  cpuSamples,
  freePort,
  measureHttp,
  median,
  SERVER_CORE,
  sidecarCommand,
  spawnPinned,
  startRedis,
  waitForHttp,
  type Child,
  type Scenario,
  type Settings,
  verdict,
} from "../harness.ts";

export const REQUEST = { operation: "summarize", text: "Summarise the attached quarterly report for the board.", options: { max_length: 200 } };
export const LOOKUP_BODY = JSON.stringify(REQUEST);

export async function startSidecar(env: Record<string, string>): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const child = spawnPinned(SERVER_CORE, sidecarCommand(), { PORT: String(port), LOG_LEVEL: "warn", ...env });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`);
  return { url, child };
}

const keepCpu = (samples: number[] | undefined, micros: number | null): void => {
  if (samples !== undefined && micros !== null) samples.push(micros);
};

/** Starts a sidecar, prepares it, and measures lookups against it; always stops it. */
async function measureSidecar(env: Record<string, string>, settings: Settings, prepare?: (url: string) => Promise<void>, cpu?: number[]): Promise<number> {
  const { url, child } = await startSidecar(env);
  try {
    await prepare?.(url);
    const result = await measureHttp(`${url}/cache/lookup`, LOOKUP_BODY, settings, child.pid);
    keepCpu(cpu, result.cpuMicrosPerRequest);
    return result.requestsPerSecond;
  } finally {
    await child.stop();
  }
}

/** Starts a baseline server (scripts/bench/servers/), measures lookups against it; always stops it. */
async function measureBaseline(script: string, env: Record<string, string>, settings: Settings, cpu?: number[]): Promise<number> {
  const port = await freePort();
  const child = spawnPinned(SERVER_CORE, [BUN, `scripts/bench/servers/${script}`], { PORT: String(port), ...env });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`);
    const result = await measureHttp(`http://127.0.0.1:${port}/cache/lookup`, LOOKUP_BODY, settings, child.pid);
    keepCpu(cpu, result.cpuMicrosPerRequest);
    return result.requestsPerSecond;
  } finally {
    await child.stop();
  }
}

export async function storeEntry(url: string, response: unknown): Promise<string> {
  const answer = await fetch(`${url}/cache/store`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...REQUEST, response }) });
  const body = (await answer.json()) as { key: string };
  return body.key;
}

/** Runs `pairs` alternating (baseline, candidate) measurements; each side starts fresh servers. */
export async function alternate(settings: Settings, baseline: () => Promise<number>, candidate: () => Promise<number>) {
  const base: number[] = [];
  const cand: number[] = [];
  for (let i = 0; i < settings.pairs; i++) {
    base.push(await baseline());
    cand.push(await candidate());
  }
  return { base, cand, ratios: cand.map((c, i) => c / base[i]!) };
}

export const memoryHit: Scenario = {
  id: "memory-hit",
  title: "Memory-tier hit over HTTP vs bare Bun.serve",
  async run(settings) {
    const response = llmResponse(1024, 1);
    let answer = "";
    const cpu = cpuSamples();
    const { base, cand, ratios } = await alternate(
      settings,
      () => measureBaseline("bare.ts", { BODY: answer || "{}" }, settings, cpu.base),
      () =>
        measureSidecar(
          {},
          settings,
          async (url) => {
            await storeEntry(url, response);
            answer = await (await fetch(`${url}/cache/lookup`, { method: "POST", headers: { "content-type": "application/json" }, body: LOOKUP_BODY })).text();
          },
          cpu.cand,
        ),
    );
    return {
      id: this.id,
      title: this.title,
      baseline: { label: "bare Bun.serve, same answer body", unit: "req/s", samples: base },
      candidate: { label: "POST /cache/lookup, memory hit", unit: "req/s", samples: cand },
      ratioOf: "sidecar / bare",
      ratios,
      target: ">= 0.9",
      met: verdict(ratios, 0.9),
      notes: [
        `1 KB chat.completion response; wrk -t1 -c${settings.connections}, server on core ${SERVER_CORE}, wrk on core ${CLIENT_CORE}; LOG_LEVEL=warn (no access log) on the sidecar`,
        "the first baseline run answers a placeholder body; later runs answer the sidecar's exact hit body",
        cpuNote(cpu, "bare", "sidecar"),
      ],
    };
  },
};

export const redisHit: Scenario = {
  id: "redis-hit",
  title: "Redis-tier hit over HTTP vs a bare Bun.serve making one node-redis GET",
  async run(settings) {
    const redis = await startRedis();
    try {
      const response = llmResponse(1024, 2);
      // Store once through a sidecar so the key holds exactly what the sidecar writes.
      const writer = await startSidecar({ REDIS_URL: redis.url });
      const key = await storeEntry(writer.url, response);
      await writer.child.stop();
      const cpu = cpuSamples();
      const { base, cand, ratios } = await alternate(
        settings,
        () => measureBaseline("redis-get.ts", { REDIS_URL: redis.url, KEY: key }, settings, cpu.base),
        () => measureSidecar({ REDIS_URL: redis.url, CACHE_MEMORY_MAX_ENTRIES: "0" }, settings, undefined, cpu.cand),
      );
      return {
        id: this.id,
        title: this.title,
        baseline: { label: "bare Bun.serve, JSON parse + one node-redis GET", unit: "req/s", samples: base },
        candidate: { label: "POST /cache/lookup, Redis hit (memory tier off)", unit: "req/s", samples: cand },
        ratioOf: "sidecar / bare + GET",
        ratios,
        target: ">= 0.8",
        met: verdict(ratios, 0.8),
        notes: [
          "value stored zstd-compressed by the sidecar (1 KB JSON); the sidecar also checks the body, keys it (memoised by body), decompresses, checks freshness and answers; the baseline answers the raw bytes it read",
          `both servers on core ${SERVER_CORE}; redis-server shares core ${CLIENT_CORE} with wrk`,
          cpuNote(cpu, "bare + GET", "sidecar"),
        ],
      };
    } finally {
      await redis.child.stop();
    }
  },
};

export const monitorCost: Scenario = {
  id: "monitor-cost",
  title: "Monitor cost: memory-hit throughput with monitoring on vs off",
  async run(settings) {
    const response = llmResponse(1024, 3);
    const measure = (enabled: boolean) =>
      measureSidecar({ MONITORING_ENABLED: String(enabled) }, settings, async (url) => {
        await storeEntry(url, response);
      });
    // The effect is a few percent: more pairs than the other scenarios, so that noise can be told from it.
    const { base, cand, ratios } = await alternate({ ...settings, pairs: Math.max(settings.pairs, 6) }, () => measure(false), () => measure(true));
    const costs = ratios.map((r) => 1 - r);
    const cost = median(costs);
    return {
      id: this.id,
      title: this.title,
      baseline: { label: "MONITORING_ENABLED=false", unit: "req/s", samples: base },
      candidate: { label: "MONITORING_ENABLED=true", unit: "req/s", samples: cand },
      ratioOf: "on / off",
      ratios,
      target: "cost < 3%",
      met: verdict(ratios, 0.97),
      notes: [`median cost ${(cost * 100).toFixed(1)}% (per pair: ${costs.map((c) => `${(c * 100).toFixed(1)}%`).join(", ")}); noise between runs on this shared 2-core machine is of the same order`],
    };
  },
};
