/**
 * data-plane-nginx: the data plane's memory hit (POST /cache/lookup) against nginx proxy_cache
 * serving the same POST from its cache, the natural peer for "a cache answering a hit". nginx
 * caches in front of a sidecar that answers the hit; that sidecar is stopped before nginx is
 * measured, so every measured request is answered from nginx's cache (a miss would be a 502).
 */
import { llmResponse } from "../corpus.ts";
import { CLIENT_CORE, cpuNote, measureHttp, median, SERVER_CORE, type MeasuredHttp, type Scenario, type Settings, verdict, type WrkResult } from "../harness.ts";
import { startNginx } from "../servers/nginx.ts";
import { alternate, LOOKUP_BODY, startSidecar, storeEntry } from "./http.ts";

const PATH = "/cache/lookup";

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

async function lookup(url: string): Promise<Answer> {
  const response = await fetch(`${url}${PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body: LOOKUP_BODY, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** The hit answer's age_seconds moves with time; the rest must be byte for byte the same. */
const withoutAge = (body: string): string => body.replace(/"age_seconds":[\d.e+-]+/, "");

function expectHit(answer: Answer, header: string, name: string): void {
  if (answer.status !== 200 || answer.headers.get(header) !== "HIT") throw new Error(`${name}: answered ${answer.status} with ${header}: ${answer.headers.get(header)}, expected 200 HIT: ${answer.body.slice(0, 300)}`);
}

/** A fresh sidecar holding the entry; the caller stops it. */
async function sidecarWithEntry(response: unknown) {
  const sidecar = await startSidecar({});
  try {
    await storeEntry(sidecar.url, response);
    const hit = await lookup(sidecar.url);
    expectHit(hit, "x-cache", "sidecar");
    if ((JSON.parse(hit.body) as { tier?: string }).tier !== "memory") throw new Error(`sidecar: the hit came from ${hit.body.slice(0, 200)}, not the memory tier`);
    return { ...sidecar, hitBody: hit.body };
  } catch (error) {
    await sidecar.child.stop();
    throw error;
  }
}

/**
 * nginx in front of a sidecar: primed (MISS, then HIT with the sidecar's bytes), the sidecar
 * stopped, a HIT again without it, then measured; a request reaching for the upstream would
 * answer 502 and fail the run.
 */
async function measureNginx(response: unknown, settings: Settings): Promise<MeasuredHttp & { answerBytes: number }> {
  const upstream = await sidecarWithEntry(response);
  let upstreamRunning = true;
  try {
    const nginx = await startNginx(new URL(upstream.url).host, "/cache/");
    try {
      const first = await lookup(nginx.url);
      if (first.status !== 200 || first.headers.get("x-cache-status") !== "MISS") throw new Error(`nginx: the first lookup answered ${first.status} with X-Cache-Status ${first.headers.get("x-cache-status")}, expected 200 MISS`);
      const second = await lookup(nginx.url);
      expectHit(second, "x-cache-status", "nginx");
      if (second.body !== first.body || withoutAge(first.body) !== withoutAge(upstream.hitBody)) throw new Error("nginx: the cached body is not the sidecar's hit answer");
      await upstream.child.stop();
      upstreamRunning = false;
      expectHit(await lookup(nginx.url), "x-cache-status", "nginx without its upstream");
      const result = await measureHttp(`${nginx.url}${PATH}`, LOOKUP_BODY, settings, nginx.child.pid);
      expectHit(await lookup(nginx.url), "x-cache-status", "nginx after the run");
      return { ...result, answerBytes: Buffer.byteLength(second.body) };
    } finally {
      await nginx.child.stop();
    }
  } finally {
    if (upstreamRunning) await upstream.child.stop();
  }
}

async function measureSidecar(response: unknown, settings: Settings): Promise<MeasuredHttp & { answerBytes: number }> {
  const sidecar = await sidecarWithEntry(response);
  try {
    const result = await measureHttp(`${sidecar.url}${PATH}`, LOOKUP_BODY, settings, sidecar.child.pid);
    expectHit(await lookup(sidecar.url), "x-cache", "sidecar after the run");
    return { ...result, answerBytes: Buffer.byteLength(sidecar.hitBody) };
  } finally {
    await sidecar.child.stop();
  }
}

const ms = (value: number): string => (value >= 10 ? value.toFixed(1) : value.toFixed(3));

export const dataPlaneNginx: Scenario = {
  id: "data-plane-nginx",
  title: "Data-plane memory hit (POST /cache/lookup) vs nginx proxy_cache serving the same POST",
  async run(settings) {
    const response = llmResponse(1024, 1);
    const nginxRuns: (MeasuredHttp & { answerBytes: number })[] = [];
    const sidecarRuns: (MeasuredHttp & { answerBytes: number })[] = [];
    const { base, cand, ratios } = await alternate(
      settings,
      async () => {
        const run = await measureNginx(response, settings);
        nginxRuns.push(run);
        return run.requestsPerSecond;
      },
      async () => {
        const run = await measureSidecar(response, settings);
        sidecarRuns.push(run);
        return run.requestsPerSecond;
      },
    );
    const p = (runs: WrkResult[], field: "p50Ms" | "p99Ms") => runs.map((r) => r[field]);
    return {
      id: this.id,
      title: this.title,
      baseline: { label: "nginx 1-process proxy_cache hit", unit: "req/s", samples: base },
      candidate: { label: "POST /cache/lookup, memory hit", unit: "req/s", samples: cand },
      ratioOf: "sidecar / nginx",
      ratios,
      target: ">= 1.0",
      met: verdict(ratios, 1),
      notes: [
        `${sidecarRuns[0]?.answerBytes ?? 0} B hit answer (1 KB chat.completion as response), the same lookup body as memory-hit every request; wrk -t1 -c${settings.connections}, server on core ${SERVER_CORE}, wrk on core ${CLIENT_CORE}`,
        `wrk p50 / p99: nginx ${ms(median(p(nginxRuns, "p50Ms")))} / ${ms(median(p(nginxRuns, "p99Ms")))} ms, sidecar ${ms(median(p(sidecarRuns, "p50Ms")))} / ${ms(median(p(sidecarRuns, "p99Ms")))} ms`,
        cpuNote({ base: nginxRuns.flatMap((r) => (r.cpuMicrosPerRequest === null ? [] : [r.cpuMicrosPerRequest])), cand: sidecarRuns.flatMap((r) => (r.cpuMicrosPerRequest === null ? [] : [r.cpuMicrosPerRequest])) }, "nginx", "sidecar"),
        "nginx-light as in proxy-hit (one process, proxy_cache_methods POST, key $request_uri|$request_body) in front of a sidecar holding the entry; checked MISS then HIT with the sidecar's bytes, then the sidecar stopped and HIT again, so no measured request reached an upstream (one would have been a 502); sidecar: bun src/main.ts, memory tier only, LOG_LEVEL=warn",
      ],
      extra: { nginxP50Ms: p(nginxRuns, "p50Ms"), nginxP99Ms: p(nginxRuns, "p99Ms"), sidecarP50Ms: p(sidecarRuns, "p50Ms"), sidecarP99Ms: p(sidecarRuns, "p99Ms") },
    };
  },
};
