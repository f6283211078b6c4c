/**
 * Herds: 100 concurrent identical requests spread over 4 sidecars on one Redis, against a mock
 * LLM that takes 500 ms to answer. How many calls reach the LLM, and how long the callers wait,
 * with leases and without, for the data plane and for the proxy. Every process is started here
 * and stopped by PID; all traffic is on loopback.
 */
import { freePort, median, sidecarCommand, spawnPinned, startRedis, waitForHttp, type Child, type Scenario, type ScenarioResult } from "../harness.ts";
import { startMock, type MockProcess } from "./proxy.ts";

const SIDECARS = 4;
const HERD = 100;
const LLM_MS = 500;
const AUTHORIZATION = "Bearer sk-valid-herd";

interface Fleet {
  readonly urls: string[];
  stop(): Promise<void>;
}

/** Four sidecars on one Redis, their proxies pointed at the mock; both cores, no pinning. */
async function startFleet(redisUrl: string, mock: MockProcess, env: Record<string, string>): Promise<Fleet> {
  const children: Child[] = [];
  const urls: string[] = [];
  try {
    for (let i = 0; i < SIDECARS; i++) {
      const port = await freePort();
      children.push(
        spawnPinned("0,1", sidecarCommand(), {
          PORT: String(port),
          HOST: "127.0.0.1",
          LOG_LEVEL: "warn",
          INSTANCE_ID: `herd-${i}`,
          REDIS_URL: redisUrl,
          PROXY_OPENAI_URL: mock.openaiBaseUrl,
          PROXY_TENANT_SECRET: "herd-bench",
          ...env,
        }),
      );
      urls.push(`http://127.0.0.1:${port}`);
    }
    for (const url of urls) await waitForHttp(`${url}/ready`);
  } catch (error) {
    await Promise.all(children.map((child) => child.stop()));
    throw error;
  }
  return { urls, stop: async () => void (await Promise.all(children.map((child) => child.stop()))) };
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

interface HerdResult {
  readonly upstreamCalls: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Sends one herd and measures it; `ask` is one caller's whole exchange, checked. */
async function herd(mock: MockProcess, ask: (i: number) => Promise<void>): Promise<HerdResult> {
  const before = await mock.count();
  const latencies = await Promise.all(
    Array.from({ length: HERD }, async (_, i) => {
      const started = performance.now();
      await ask(i);
      return performance.now() - started;
    }),
  );
  return { upstreamCalls: (await mock.count()) - before, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

const post = async (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

/** The LLM call an app makes on a miss: the mock, 500 ms. */
async function callLlm(mock: MockProcess, prompt: string): Promise<unknown> {
  const response = await post(`${mock.openaiBaseUrl}/chat/completions`, { model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: prompt }] }, { authorization: AUTHORIZATION, "x-mock-latency-ms": String(LLM_MS) });
  if (response.status !== 200) throw new Error(`mock LLM answered ${response.status}`);
  return response.json();
}

/** A data-plane caller: lookup; on a miss (or a lease) call the LLM and store. */
async function dataPlaneCaller(fleet: Fleet, mock: MockProcess, prompt: string, i: number, coalesce: boolean): Promise<void> {
  const url = fleet.urls[i % SIDECARS]!;
  const parts = { operation: "herd", text: prompt };
  const answer = (await (await post(`${url}/cache/lookup`, coalesce ? { ...parts, coalesce: { wait_ms: 5000 } } : parts)).json()) as { hit: boolean; lease?: { token: string }; pending?: boolean };
  if (answer.hit) return;
  const response = await callLlm(mock, prompt);
  const stored = await post(`${url}/cache/store`, { ...parts, response, ...(answer.lease ? { lease_token: answer.lease.token } : {}) });
  if (stored.status !== 201) throw new Error(`store answered ${stored.status}`);
}

async function proxyCaller(fleet: Fleet, prompt: string, i: number): Promise<void> {
  const response = await post(`${fleet.urls[i % SIDECARS]}/v1/chat/completions`, { model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: prompt }] }, { authorization: AUTHORIZATION, "x-mock-latency-ms": String(LLM_MS) });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`proxy answered ${response.status}`);
}

function result(id: string, title: string, without: HerdResult[], withLeases: HerdResult[], notes: string[]): ScenarioResult {
  const calls = (results: HerdResult[]) => results.map((r) => r.upstreamCalls);
  const ratios = without.map((w, i) => withLeases[i]!.upstreamCalls / w.upstreamCalls);
  const p = (results: HerdResult[], key: "p50Ms" | "p99Ms") => median(results.map((r) => r[key])).toFixed(0);
  return {
    id,
    title,
    baseline: { label: "without leases: LLM calls per herd", unit: "calls", samples: calls(without) },
    candidate: { label: "with leases: LLM calls per herd", unit: "calls", samples: calls(withLeases) },
    ratioOf: "with / without (LLM calls)",
    ratios,
    target: "1 LLM call per herd",
    met: withLeases.every((r) => r.upstreamCalls === 1),
    notes: [
      `${HERD} concurrent identical requests over ${SIDECARS} sidecar processes on one Redis; mock LLM answers in ${LLM_MS} ms; each herd a new prompt`,
      `caller latency p50/p99 without leases ${p(without, "p50Ms")}/${p(without, "p99Ms")} ms, with leases ${p(withLeases, "p50Ms")}/${p(withLeases, "p99Ms")} ms`,
      ...notes,
    ],
    extra: { without, withLeases },
  };
}

async function withInfrastructure<T>(body: (redisUrl: string, mock: MockProcess) => Promise<T>): Promise<T> {
  const redis = await startRedis();
  let mock: MockProcess | null = null;
  try {
    mock = await startMock("1");
    return await body(redis.url, mock);
  } finally {
    await mock?.child.stop();
    await redis.child.stop();
  }
}

export const herdDataPlane: Scenario = {
  id: "herd-data-plane",
  title: "Herd on the data plane: 100 identical misses over 4 sidecars, with and without coalesce",
  async run(settings) {
    return withInfrastructure(async (redisUrl, mock) => {
      const fleet = await startFleet(redisUrl, mock, {});
      try {
        const without: HerdResult[] = [];
        const withLeases: HerdResult[] = [];
        for (let pair = 0; pair < settings.pairs; pair++) {
          const nonce = crypto.randomUUID();
          without.push(await herd(mock, (i) => dataPlaneCaller(fleet, mock, `plain ${nonce}`, i, false)));
          withLeases.push(await herd(mock, (i) => dataPlaneCaller(fleet, mock, `leased ${nonce}`, i, true)));
        }
        return result(this.id, this.title, without, withLeases, ["without: lookup, then on a miss the LLM call and a store (every caller that missed pays); with: coalesce {wait_ms: 5000}, the lease holder calls and stores under its token"]);
      } finally {
        await fleet.stop();
      }
    });
  },
};

export const herdProxy: Scenario = {
  id: "herd-proxy",
  title: "Herd through the proxy: 100 identical POST /v1/chat/completions over 4 sidecars, with and without leases",
  async run(settings) {
    return withInfrastructure(async (redisUrl, mock) => {
      const without: HerdResult[] = [];
      const withLeases: HerdResult[] = [];
      const alone = await startFleet(redisUrl, mock, { PROXY_COALESCE_WAIT_MS: "0", CACHE_KEY_PREFIX: "alone" });
      try {
        for (let pair = 0; pair < settings.pairs; pair++) {
          const prompt = `alone ${crypto.randomUUID()}`;
          without.push(await herd(mock, (i) => proxyCaller(alone, prompt, i)));
        }
      } finally {
        await alone.stop();
      }
      const fleet = await startFleet(redisUrl, mock, {});
      try {
        for (let pair = 0; pair < settings.pairs; pair++) {
          const prompt = `leased ${crypto.randomUUID()}`;
          withLeases.push(await herd(mock, (i) => proxyCaller(fleet, prompt, i)));
        }
      } finally {
        await fleet.stop();
      }
      return result(this.id, this.title, without, withLeases, ["without: PROXY_COALESCE_WAIT_MS=0, so each sidecar still merges its own identical requests (one call per sidecar); with: the default, one call for the fleet"]);
    });
  },
};
