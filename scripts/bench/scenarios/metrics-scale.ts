import type { App } from "../../../src/http/app.ts";
import { loadConfig } from "../../../src/config/load.ts";
import { createLogger } from "../../../src/logging/logger.ts";
import { composeSidecar } from "../../../src/compose.ts";
import { median, type Scenario } from "../harness.ts";

const SMALL = 1_000;
const LARGE = 10_000_000;

/** Median latency of GET /internal/cache/metrics over `calls` in-process requests, in ms. */
async function metricsLatency(app: App, calls: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = Bun.nanoseconds();
    const response = await app.handle(new Request("http://localhost/internal/cache/metrics"));
    await response.arrayBuffer();
    times.push((Bun.nanoseconds() - started) / 1e6);
  }
  return median(times);
}

function heapBytes(): number {
  Bun.gc(true);
  return process.memoryUsage().heapUsed;
}

export const metricsScale: Scenario = {
  id: "metrics-scale",
  title: "GET /internal/cache/metrics after 1 thousand vs 10 million recorded operations",
  async run(settings) {
    const small: number[] = [];
    const large: number[] = [];
    const memory: [number, number][] = [];
    for (let pair = 0; pair < settings.pairs; pair++) {
      const logger = createLogger("error");
      const config = loadConfig({ LOG_LEVEL: "error" });
      const { app, monitor } = await composeSidecar(config, logger, { version: "bench" });
      const record = (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          monitor.recordKeyGeneration(800 + (i % 3000), 100 + (i % 900));
          monitor.recordOperation(i % 4 === 3 ? "set" : "get", 3000 + ((i * 7919) % 400_000), i % 4 === 3 ? undefined : i % 5 === 0 ? null : "memory");
          if (i % 50 === 0) monitor.recordCompression(4000, 1300 + (i % 500), 30_000);
        }
      };
      record(0, SMALL);
      await metricsLatency(app, 20);
      const heapSmall = heapBytes();
      small.push(await metricsLatency(app, 200));
      record(SMALL, LARGE);
      const heapLarge = heapBytes();
      large.push(await metricsLatency(app, 200));
      memory.push([heapSmall, heapLarge]);
    }
    const ratios = large.map((l, i) => l / small[i]!);
    const growth = memory.map(([a, b]) => (b - a) / 1024 / 1024);
    return {
      id: this.id,
      title: this.title,
      baseline: { label: `after ${SMALL.toLocaleString("en")} operations`, unit: "ms", samples: small },
      candidate: { label: `after ${LARGE.toLocaleString("en")} operations`, unit: "ms", samples: large },
      ratioOf: "latency after 10M / after 1k",
      ratios,
      target: "same latency (ratio ~1), flat memory",
      met: median(ratios) < 1.25 && median(growth) < 2,
      notes: [
        `heap growth from 1k to 10M operations: ${growth.map((g) => `${g.toFixed(2)} MB`).join(", ")} (GC'd heap, whole process)`,
        "in-process requests through the real app (app.handle), so HTTP transport is left out on both sides",
      ],
      extra: { heapGrowthMb: growth },
    };
  },
};
