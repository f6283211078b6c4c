/**
 * The caching proxy (/v1/*) against its natural references, each measured in the same run,
 * alternating, on loopback, with every server started here and stopped by PID:
 *
 *   proxy-hit          memory-tier hits under wrk vs nginx proxy_cache serving the same cached POST
 *   proxy-miss         what a miss adds over calling the upstream directly (closed loop, p50/p99)
 *   proxy-stream-ttfb  first byte of a replayed streamed hit vs the upstream's own stream
 *
 * The upstream is the test suite's mock LLM (scripts/bench/servers/mock-llm.ts) with no latency.
 */
import { rmSync } from "node:fs";
import type { LatencyResult } from "../clients/closed-loop.ts";
import { startNginx } from "../servers/nginx.ts";
import {
  BUN,
  CLIENT_CORE,
  cpuNote,
  cpuSamples,
  cpuSeconds,
  freePort,
  median,
  ROOT,
  SERVER_CORE,
  sidecarCommand,
  spawnPinned,
  waitForHttp,
  WORK_DIR,
  type Child,
  type Scenario,
  type Settings,
  type WrkResult,
  type WrkRun,
  verdict,
  wrkScript,
} from "../harness.ts";

/** The mock LLM accepts any OpenAI key starting with sk-valid. */
const AUTHORIZATION = "Bearer sk-valid-bench";
const HEADERS: Record<string, string> = { "content-type": "application/json", authorization: AUTHORIZATION };
const PATH = "/v1/chat/completions";

/** A chat completion request at temperature 0; n = 4 makes the mock's answer about 1.2 KB. */
function chatRequest(question: string, stream = false): string {
  return JSON.stringify({
    model: "gpt-4o-mini",
    temperature: 0,
    n: stream ? 1 : 4,
    ...(stream ? { stream: true } : {}),
    messages: [
      { role: "system", content: "You are a concise assistant for board reports." },
      { role: "user", content: question },
    ],
  });
}
const HIT_BODY = chatRequest("Summarise the attached quarterly report for the board in three sentences.");
/** `{{i}}` is replaced by the client with a counter: every request is a different key. */
const MISS_BODY = chatRequest("Question {{i}}: summarise the attached quarterly report for the board in three sentences.");
const STREAM_BODY = chatRequest("Summarise the attached quarterly report for the board in three sentences.", true);

const MISS_REQUESTS = 2000;
const MISS_WARMUP = 200;
const MISS_CONCURRENCIES = [1, 4];
const TTFB_REQUESTS = 2000;
const TTFB_WARMUP = 200;
const CLIENT_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

export interface MockProcess {
  readonly url: string;
  readonly openaiBaseUrl: string;
  readonly child: Child;
  /** Requests the mock has received so far. */
  count(): Promise<number>;
}

/** Starts the mock LLM in its own process on `core` and reads the URLs it prints. */
export async function startMock(core: string): Promise<MockProcess> {
  const child = Bun.spawn(["taskset", "-c", core, BUN, "scripts/bench/servers/mock-llm.ts"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
    stdout: "pipe",
    stderr: "inherit",
    cwd: ROOT,
  });
  const stop = async (): Promise<void> => {
    child.kill("SIGTERM");
    const exited = await Promise.race([child.exited, Bun.sleep(5000).then(() => null)]);
    if (exited === null) {
      child.kill("SIGKILL");
      await child.exited;
    }
  };
  const handle: Child = { pid: child.pid, process: child, stop };
  try {
    const reader = child.stdout.getReader();
    let text = "";
    const deadline = Date.now() + 15_000;
    while (!text.includes("\n")) {
      const chunk = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => null)]);
      if (chunk === null || chunk.done) throw new Error("the mock LLM did not start");
      text += new TextDecoder().decode(chunk.value);
    }
    reader.releaseLock();
    const info = JSON.parse(text.slice(0, text.indexOf("\n"))) as { url: string; openaiBaseUrl: string; control: string };
    return {
      url: info.url,
      openaiBaseUrl: info.openaiBaseUrl,
      child: handle,
      async count() {
        const body = (await (await fetch(`${info.control}/count`)).json()) as { count: number };
        return body.count;
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The sidecar as `bun src/main.ts`, memory tier only, proxying /v1/* to the mock. */
async function startProxySidecar(mock: MockProcess): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const child = spawnPinned(SERVER_CORE, sidecarCommand(), { PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn", PROXY_OPENAI_URL: mock.openaiBaseUrl });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health`);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { url, child };
}

/** nginx's proxy_cache in front of the mock, caching /v1/ (the shared config: ../servers/nginx.ts). */
function startNginxProxy(mock: MockProcess): Promise<{ url: string; child: Child }> {
  return startNginx(new URL(mock.url).host, "/v1/");
}

/** Runs `use` with a fresh mock and a fresh server in front of it, then stops both by PID. */
async function withServers<T>(start: (mock: MockProcess) => Promise<{ url: string; child: Child }>, use: (url: string, mock: MockProcess, pid: number) => Promise<T>): Promise<T> {
  const mock = await startMock(SERVER_CORE);
  try {
    const server = await start(mock);
    try {
      return await use(server.url, mock, server.child.pid);
    } finally {
      await server.child.stop();
    }
  } finally {
    await mock.child.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Load and checks
// ---------------------------------------------------------------------------------------------

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!match) return Number.NaN;
  const n = Number(match[1]);
  return match[2] === "us" ? n / 1000 : match[2] === "s" ? n * 1000 : n;
}

/** wrk (pinned to the client core) sending the same POST with the given headers. */
async function wrkPost(url: string, body: string, headers: Record<string, string>, seconds: number, connections: number): Promise<WrkRun> {
  const lua = [`wrk.method = "POST"`, ...Object.entries(headers).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`), `wrk.body = ${JSON.stringify(body)}`, ""].join("\n");
  const script = `${WORK_DIR}/request-${Bun.hash(lua).toString(16)}.lua`;
  await Bun.write(script, lua);
  const run = await wrkScript(url, script, seconds, connections);
  if (run.socketErrors !== null) throw new Error(`wrk saw socket errors against ${url}: ${run.socketErrors}`);
  return run;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

async function post(url: string, body: string): Promise<Answer> {
  const response = await fetch(url, { method: "POST", headers: HEADERS, body, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/**
 * Sends the request twice: the first must be a 200 miss, the second a 200 hit with the same
 * bytes. `cacheHeader` names the header saying so (X-Cache on the sidecar, X-Cache-Status on nginx).
 */
async function primeAndCheck(url: string, body: string, cacheHeader: string, name: string): Promise<Answer> {
  const first = await post(url, body);
  if (first.status !== 200) throw new Error(`${name}: the first request answered ${first.status}: ${first.body.slice(0, 300)}`);
  if (first.headers.get(cacheHeader) !== "MISS") throw new Error(`${name}: the first request answered ${cacheHeader}: ${first.headers.get(cacheHeader)}, expected MISS`);
  const second = await post(url, body);
  if (second.status !== 200 || second.headers.get(cacheHeader) !== "HIT") throw new Error(`${name}: the second request answered ${second.status} with ${cacheHeader}: ${second.headers.get(cacheHeader)}, expected 200 HIT`);
  if (second.body !== first.body) throw new Error(`${name}: the hit's body differs from the upstream's answer`);
  return second;
}

/** Warm-up and measured wrk runs; the upstream must not be called during either. */
async function measureHits(url: string, mock: MockProcess, settings: Settings, name: string, pid: number): Promise<WrkResult & { cpuMicrosPerRequest: number }> {
  const before = await mock.count();
  await wrkPost(`${url}${PATH}`, HIT_BODY, HEADERS, settings.warmupSeconds, settings.connections);
  const cpuBefore = cpuSeconds(pid);
  const result = await wrkPost(`${url}${PATH}`, HIT_BODY, HEADERS, settings.seconds, settings.connections);
  const cpuMicrosPerRequest = ((cpuSeconds(pid) - cpuBefore) * 1e6) / result.requests;
  const after = await mock.count();
  if (result.non2xx > 0) throw new Error(`${name} answered ${result.non2xx} non-2xx responses under load`);
  if (after !== before) throw new Error(`${name} called the upstream ${after - before} times during the measurement: not every request was a hit`);
  return { ...result, cpuMicrosPerRequest };
}

/** Runs the closed-loop client pinned to the client core. */
async function closedLoop(plan: {
  url: string;
  body: string;
  mode: "total" | "first-byte";
  warmup: number;
  count: number;
  concurrencies: number[];
  expect?: Record<string, string>;
  bodyEndsWith?: string;
}): Promise<LatencyResult[]> {
  const run = Bun.spawn(["taskset", "-c", CLIENT_CORE, BUN, "scripts/bench/clients/closed-loop.ts", JSON.stringify({ ...plan, headers: HEADERS, timeoutMs: CLIENT_TIMEOUT_MS })], {
    stdout: "pipe",
    stderr: "inherit",
    cwd: ROOT,
  });
  const output = await new Response(run.stdout).text();
  if ((await run.exited) !== 0) throw new Error(`the closed-loop client failed against ${plan.url}`);
  return (JSON.parse(output.trim().split("\n").at(-1)!) as { results: LatencyResult[] }).results;
}

const ms = (value: number): string => (value >= 10 ? value.toFixed(1) : value.toFixed(3));

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

export const proxyHit: Scenario = {
  id: "proxy-hit",
  title: "Proxy memory-tier hit (POST /v1/chat/completions) vs nginx proxy_cache",
  async run(settings) {
    const base: number[] = [];
    const cand: number[] = [];
    const baseP99: number[] = [];
    const candP99: number[] = [];
    let answerBytes = 0;
    const cpu = cpuSamples();
    for (let i = 0; i < settings.pairs; i++) {
      const nginx = await withServers(startNginxProxy, async (url, mock, pid) => {
        await primeAndCheck(`${url}${PATH}`, HIT_BODY, "x-cache-status", "nginx");
        return measureHits(url, mock, settings, "nginx", pid);
      });
      cpu.base.push(nginx.cpuMicrosPerRequest);
      base.push(nginx.requestsPerSecond);
      baseP99.push(nginx.p99Ms);
      const sidecar = await withServers(startProxySidecar, async (url, mock, pid) => {
        const hit = await primeAndCheck(`${url}${PATH}`, HIT_BODY, "x-cache", "sidecar");
        answerBytes = Buffer.byteLength(hit.body);
        return measureHits(url, mock, settings, "sidecar", pid);
      });
      cpu.cand.push(sidecar.cpuMicrosPerRequest);
      cand.push(sidecar.requestsPerSecond);
      candP99.push(sidecar.p99Ms);
    }
    const ratios = cand.map((c, i) => c / base[i]!);
    return {
      id: this.id,
      title: this.title,
      baseline: { label: "nginx 1-worker proxy_cache hit", unit: "req/s", samples: base },
      candidate: { label: "sidecar proxy, memory hit", unit: "req/s", samples: cand },
      ratioOf: "sidecar / nginx",
      ratios,
      target: ">= 1.0",
      met: verdict(ratios, 1),
      notes: [
        `${answerBytes} B chat.completion answer (mock LLM, n=4, temperature 0), same POST body every request; wrk -t1 -c${settings.connections}, server on core ${SERVER_CORE}, wrk on core ${CLIENT_CORE}`,
        "nginx-light: one process (master_process off), proxy_cache_methods POST, key $request_uri|$request_body, open_file_cache, sendfile, keepalive_requests 1e6; sidecar: bun src/main.ts, memory tier only, LOG_LEVEL=warn",
        `checked before each run: 200, MISS then HIT with the upstream's bytes; the mock's call count did not move during warm-up and measurement; wrk p99 nginx ${ms(median(baseP99))} ms, sidecar ${ms(median(candP99))} ms`,
        cpuNote(cpu, "nginx", "sidecar"),
      ],
      extra: { nginxP99Ms: baseP99, sidecarP99Ms: candP99, answerBytes },
    };
  },
};

export const proxyMiss: Scenario = {
  id: "proxy-miss",
  title: "Proxy miss latency (unique bodies, closed loop) vs calling the upstream directly",
  async run(settings) {
    const base: LatencyResult[][] = [];
    const cand: LatencyResult[][] = [];
    const requestsPerSide = (MISS_WARMUP + MISS_REQUESTS) * MISS_CONCURRENCIES.length;
    const plan = { body: MISS_BODY, mode: "total" as const, warmup: MISS_WARMUP, count: MISS_REQUESTS, concurrencies: MISS_CONCURRENCIES };
    for (let i = 0; i < settings.pairs; i++) {
      const mock = await startMock(SERVER_CORE);
      try {
        const before = await mock.count();
        base.push(await closedLoop({ ...plan, url: `${mock.openaiBaseUrl}/chat/completions` }));
        if ((await mock.count()) - before !== requestsPerSide) throw new Error("the mock did not receive every direct request");
      } finally {
        await mock.child.stop();
      }
      cand.push(
        await withServers(startProxySidecar, async (url, mock) => {
          const before = await mock.count();
          const results = await closedLoop({ ...plan, url: `${url}${PATH}`, expect: { "x-cache": "MISS" } });
          const forwarded = (await mock.count()) - before;
          if (forwarded !== requestsPerSide) throw new Error(`the sidecar forwarded ${forwarded} of ${requestsPerSide} unique requests`);
          return results;
        }),
      );
    }
    const at = (runs: LatencyResult[][], concurrency: number, field: "p50Ms" | "p99Ms"): number[] => runs.map((r) => r.find((x) => x.concurrency === concurrency)![field]);
    const notes: string[] = [];
    const extra: Record<string, unknown> = {};
    for (const c of MISS_CONCURRENCIES) {
      const b50 = at(base, c, "p50Ms");
      const c50 = at(cand, c, "p50Ms");
      const b99 = at(base, c, "p99Ms");
      const c99 = at(cand, c, "p99Ms");
      const added50 = median(c50.map((v, i) => v - b50[i]!));
      const added99 = median(c99.map((v, i) => v - b99[i]!));
      notes.push(
        `${c} connection${c > 1 ? "s" : ""}: direct p50 ${ms(median(b50))} ms / p99 ${ms(median(b99))} ms; through the sidecar p50 ${ms(median(c50))} ms / p99 ${ms(median(c99))} ms; added p50 ${ms(added50)} ms (ratio ${median(c50.map((v, i) => v / b50[i]!)).toFixed(2)}), added p99 ${ms(added99)} ms (ratio ${median(c99.map((v, i) => v / b99[i]!)).toFixed(2)})`,
      );
      extra[`c${c}`] = { directP50Ms: b50, directP99Ms: b99, sidecarP50Ms: c50, sidecarP99Ms: c99, addedP50Ms: added50, addedP99Ms: added99 };
    }
    notes.push(
      `${MISS_REQUESTS} measured requests per side per concurrency after ${MISS_WARMUP} warm-up, each with a unique message (so a miss, forwarded, judged and stored); the mock LLM (no latency) and the sidecar on core ${SERVER_CORE}, the Bun fetch client on core ${CLIENT_CORE}; every request checked 200 (and X-Cache: MISS), and the mock's count checked to grow by every request`,
    );
    const b50 = at(base, 1, "p50Ms");
    const c50 = at(cand, 1, "p50Ms");
    const added = median(c50.map((v, i) => v - b50[i]!));
    return {
      id: this.id,
      title: this.title,
      baseline: { label: "mock LLM directly, p50 at 1 connection", unit: "ms", samples: b50 },
      candidate: { label: "through the sidecar (miss), p50 at 1 connection", unit: "ms", samples: c50 },
      ratioOf: "sidecar / direct (p50 latency)",
      ratios: c50.map((v, i) => v / b50[i]!),
      target: "added p50 < 1 ms (proposed)",
      met: added < 1,
      notes,
      extra,
    };
  },
};

export const proxyStreamTtfb: Scenario = {
  id: "proxy-stream-ttfb",
  title: "Time to first byte of a replayed streamed hit vs the upstream's own stream",
  async run(settings) {
    // The stored bytes, as the sidecar replays them, for the bare Bun.serve floor.
    const bodyFile = `${WORK_DIR}/proxy-stream-body.txt`;
    const replayed = await withServers(startProxySidecar, async (url) => primeAndCheck(`${url}${PATH}`, STREAM_BODY, "x-cache", "sidecar (stream)"));
    if (!replayed.body.endsWith("data: [DONE]\n\n")) throw new Error("the replayed stream does not end with data: [DONE]");
    await Bun.write(bodyFile, replayed.body);
    const plan = { body: STREAM_BODY, mode: "first-byte" as const, warmup: TTFB_WARMUP, count: TTFB_REQUESTS, concurrencies: [1], bodyEndsWith: "data: [DONE]\n\n" };
    const direct: LatencyResult[] = [];
    const sidecar: LatencyResult[] = [];
    const bare: LatencyResult[] = [];
    try {
      for (let i = 0; i < settings.pairs; i++) {
        const mock = await startMock(SERVER_CORE);
        try {
          direct.push((await closedLoop({ ...plan, url: `${mock.openaiBaseUrl}/chat/completions` }))[0]!);
        } finally {
          await mock.child.stop();
        }
        sidecar.push(
          await withServers(startProxySidecar, async (url, mock) => {
            await primeAndCheck(`${url}${PATH}`, STREAM_BODY, "x-cache", "sidecar (stream)");
            const before = await mock.count();
            const result = (await closedLoop({ ...plan, url: `${url}${PATH}`, expect: { "x-cache": "HIT" } }))[0]!;
            if ((await mock.count()) !== before) throw new Error("the sidecar called the upstream while replaying a stored stream");
            return result;
          }),
        );
        const port = await freePort();
        const child = spawnPinned(SERVER_CORE, [BUN, "scripts/bench/servers/stored-stream.ts"], { PORT: String(port), BODY_FILE: bodyFile });
        try {
          await waitForHttp(`http://127.0.0.1:${port}/health`);
          bare.push((await closedLoop({ ...plan, url: `http://127.0.0.1:${port}${PATH}` }))[0]!);
        } finally {
          await child.stop();
        }
      }
    } finally {
      rmSync(bodyFile, { force: true });
    }
    const p = (runs: LatencyResult[], field: "p50Ms" | "p99Ms" | "totalP50Ms"): number[] => runs.map((r) => r[field]);
    const ratios = sidecar.map((s, i) => s.p50Ms / direct[i]!.p50Ms);
    const ofBare = median(sidecar.map((s, i) => s.p50Ms / bare[i]!.p50Ms));
    return {
      id: this.id,
      title: this.title,
      baseline: { label: "mock LLM streaming directly (chunk delay 0), p50 TTFB", unit: "ms", samples: p(direct, "p50Ms") },
      candidate: { label: "sidecar replaying the stored stream, p50 TTFB", unit: "ms", samples: p(sidecar, "p50Ms") },
      ratioOf: "sidecar / direct (p50 TTFB)",
      ratios,
      target: "<= 1.0 (proposed)",
      met: verdict(ratios, 1, "<="),
      notes: [
        `p50 / p99 time to first body byte: direct ${ms(median(p(direct, "p50Ms")))} / ${ms(median(p(direct, "p99Ms")))} ms; sidecar hit ${ms(median(p(sidecar, "p50Ms")))} / ${ms(median(p(sidecar, "p99Ms")))} ms; bare Bun.serve answering the stored bytes ${ms(median(p(bare, "p50Ms")))} / ${ms(median(p(bare, "p99Ms")))} ms (sidecar / bare p50 ${ofBare.toFixed(2)})`,
        `p50 to the end of the stream: direct ${ms(median(p(direct, "totalP50Ms")))} ms, sidecar ${ms(median(p(sidecar, "totalP50Ms")))} ms, bare ${ms(median(p(bare, "totalP50Ms")))} ms; ${Buffer.byteLength(replayed.body)} B stream of ${replayed.body.split("\n\n").length - 1} events`,
        `${TTFB_REQUESTS} measured requests per side per pair after ${TTFB_WARMUP} warm-up, 1 connection, closed loop (Bun fetch + performance.now() on core ${CLIENT_CORE}, servers on core ${SERVER_CORE}); every answer checked 200 and ending with data: [DONE], the sidecar's X-Cache: HIT with no upstream call`,
      ],
      extra: { directP99Ms: p(direct, "p99Ms"), sidecarP99Ms: p(sidecar, "p99Ms"), bareP50Ms: p(bare, "p50Ms"), bareP99Ms: p(bare, "p99Ms"), sidecarOverBare: ofBare },
    };
  },
};
