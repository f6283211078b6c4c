/**
 * hit-latency-scale: memory-tier hits with 1,000 vs 1,000,000 entries held. Two sidecars are
 * filled over HTTP (wrk whose Lua request() numbers every store), then measured one after the
 * other, alternating, with lookups spread over random stored keys, so that what O(1) leaves
 * out shows if it matters: CPU cache misses over a large tier (index buckets, slot arrays,
 * the entry's bytes) and a heap (the tier's buffers included) of hundreds of MB.
 */
import { CLIENT_CORE, cpuSeconds, median, rssBytes, SERVER_CORE, WORK_DIR, wrkScript, type Child, type Scenario, type Settings, verdict, type WrkRun } from "../harness.ts";
import { startSidecar } from "./http.ts";

const SMALL = 1_000;
const LARGE = 1_000_000;
/** Both sidecars get the same bounds, so only the entries held differ. */
const SIDECAR_ENV = { CACHE_MEMORY_MAX_ENTRIES: "1100000", CACHE_MEMORY_MAX_BYTES: "4GB" };
/** Connections of the filling wrk, which the bench ends once every entry is held. */
const FILL_CONNECTIONS = 64;
const FILL_LIMIT_SECONDS = 150;

/** Entry {{i}}: its lookup body, and its store body (lookup + a ~200 B chat.completion answer). */
const LOOKUP_TEMPLATE = '{"operation":"summarize","text":"Report {{i}}: summarise the attached quarterly report for the board.","options":{"max_length":200}}';
const ANSWER_TEMPLATE =
  '{"id":"chatcmpl-{{i}}","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Report {{i}} in short: revenue grew, costs held, the outlook is steady."},"finish_reason":"stop"}]}';
const STORE_TEMPLATE = `${LOOKUP_TEMPLATE.slice(0, -1)},"response":${ANSWER_TEMPLATE}}`;

/** A Lua expression building `template` with `{{i}}` replaced by the Lua variable i (ASCII only: JSON string escapes are Lua's then). */
function luaTemplate(template: string): string {
  if (!/^[\x20-\x7e]*$/.test(template)) throw new Error("a Lua template must be printable ASCII");
  return template
    .split("{{i}}")
    .map((part) => JSON.stringify(part))
    .join(" .. i .. ");
}

const LUA_HEADER = 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n';

/**
 * Stores entries 0, 1, ... count-1, then wraps round and overwrites them until the bench sees
 * them all held and ends wrk (a thread stopped by the script could drop stores still in flight).
 */
function fillScript(count: number): string {
  return `${LUA_HEADER}local count = ${count}
local sent = 0
request = function()
  local i = sent % count
  sent = sent + 1
  return wrk.format(nil, nil, nil, ${luaTemplate(STORE_TEMPLATE)})
end
`;
}

/**
 * Looks up a uniformly random stored entry each request (LuaJIT's math.random: a few ns). Every
 * body is made unique by a field the key ignores (a serial number), so the sidecar's memo of
 * bodies seen before (1,024 of them) cannot favour the 1k side, where every body would repeat.
 */
function lookupScript(count: number): string {
  return `${LUA_HEADER}local count = ${count}
local serial = 0
math.randomseed(${count})
request = function()
  local i = math.random(0, count - 1)
  serial = serial + 1
  return wrk.format(nil, nil, nil, ${luaTemplate(LOOKUP_TEMPLATE.slice(0, -1))} .. ',"bench_serial":' .. serial .. '}')
end
`;
}

async function writeScript(name: string, lua: string): Promise<string> {
  const path = `${WORK_DIR}/${name}.lua`;
  await Bun.write(path, lua);
  return path;
}

interface Status {
  memory: { entries?: number; evictions?: number };
  performance: { cache_hits?: number; cache_misses?: number };
}

async function status(url: string): Promise<Status> {
  return (await (await fetch(`${url}/internal/cache/status`)).json()) as Status;
}

interface Filled {
  readonly url: string;
  readonly child: Child;
  readonly entries: number;
  readonly storesPerSecond: number;
  readonly fillSocketErrors: string | null;
}

async function startFilled(entries: number): Promise<Filled> {
  const sidecar = await startSidecar(SIDECAR_ENV);
  try {
    const started = performance.now();
    const filledUp = async () => (await status(sidecar.url)).memory.entries === entries;
    const run = await wrkScript(`${sidecar.url}/cache/store`, await writeScript(`fill-${entries}`, fillScript(entries)), FILL_LIMIT_SECONDS, FILL_CONNECTIONS, filledUp);
    const seconds = (performance.now() - started) / 1000;
    // Socket errors (timeouts while the process collects a growing heap) are survivable: what counts is that every entry is held.
    if (run.non2xx > 0) throw new Error(`filling ${entries} entries: ${run.non2xx} non-2xx answers`);
    const { memory } = await status(sidecar.url);
    if (memory.entries !== entries || memory.evictions !== 0) throw new Error(`after filling, the tier holds ${memory.entries} entries (${memory.evictions} evicted), expected ${entries}`);
    return { ...sidecar, entries, storesPerSecond: run.requests / seconds, fillSocketErrors: run.socketErrors };
  } catch (error) {
    await sidecar.child.stop();
    throw error;
  }
}

type LookupRun = WrkRun & { readonly cpuMicrosPerRequest: number };

/** Warm-up and measured run of random lookups, with the server's CPU per request; every one must have been a memory hit. */
async function measureLookups(filled: Filled, script: string, settings: Settings): Promise<LookupRun> {
  const before = (await status(filled.url)).performance;
  const warm = await wrkScript(`${filled.url}/cache/lookup`, script, settings.warmupSeconds, settings.connections);
  const cpuBefore = cpuSeconds(filled.child.pid);
  const run = await wrkScript(`${filled.url}/cache/lookup`, script, settings.seconds, settings.connections);
  const cpuMicrosPerRequest = ((cpuSeconds(filled.child.pid) - cpuBefore) * 1e6) / Math.max(1, run.requests);
  const after = (await status(filled.url)).performance;
  for (const r of [warm, run]) if (r.non2xx > 0) throw new Error(`lookups over ${filled.entries} entries: ${r.non2xx} non-2xx answers`);
  const misses = (after.cache_misses ?? 0) - (before.cache_misses ?? 0);
  const hits = (after.cache_hits ?? 0) - (before.cache_hits ?? 0);
  if (misses !== 0 || hits < warm.requests + run.requests) throw new Error(`lookups over ${filled.entries} entries: ${hits} hits and ${misses} misses for ${warm.requests + run.requests} requests`);
  return { ...run, cpuMicrosPerRequest };
}

/**
 * Waits (up to `maxMs`) until none of `pids` used more than 5% of a core over the last second:
 * a process that has just been filled or measured goes on collecting its heap for a while, on
 * the core the next measurement runs on.
 */
async function waitIdle(pids: number[], maxMs = 15_000): Promise<number> {
  const started = Date.now();
  let before = pids.map(cpuSeconds);
  for (;;) {
    await Bun.sleep(1000);
    const now = pids.map(cpuSeconds);
    const busy = now.some((cpu, i) => cpu - before[i]! > 0.05);
    if (!busy || Date.now() - started >= maxMs) return Date.now() - started;
    before = now;
  }
}

const ms = (value: number): string => (value >= 10 ? value.toFixed(1) : value.toFixed(3));

export const hitLatencyScale: Scenario = {
  id: "hit-latency-scale",
  title: "Memory-tier hit latency with 1 million entries vs 1 thousand, random keys",
  async run(settings) {
    const smallScript = await writeScript(`lookup-${SMALL}`, lookupScript(SMALL));
    const largeScript = await writeScript(`lookup-${LARGE}`, lookupScript(LARGE));
    const small = await startFilled(SMALL);
    try {
      const large = await startFilled(LARGE);
      try {
        const smallRuns: LookupRun[] = [];
        const largeRuns: LookupRun[] = [];
        // Both processes stay up, filled, on the server core; only the measured one is busy.
        const pids = [small.child.pid, large.child.pid];
        const rss = pids.map(rssBytes);
        const idleWaits: number[] = [await waitIdle(pids, 30_000)];
        for (let i = 0; i < settings.pairs; i++) {
          smallRuns.push(await measureLookups(small, smallScript, settings));
          idleWaits.push(await waitIdle(pids));
          largeRuns.push(await measureLookups(large, largeScript, settings));
          idleWaits.push(await waitIdle(pids));
        }
        // Tells locality from heap size: the large process, looking up only 1,000 of its keys.
        const largeFewKeys = await measureLookups(large, smallScript, settings);
        const field = (runs: LookupRun[], name: "p50Ms" | "p99Ms" | "requestsPerSecond" | "cpuMicrosPerRequest") => runs.map((r) => r[name]);
        const cpuRatios = largeRuns.map((r, i) => r.cpuMicrosPerRequest / smallRuns[i]!.cpuMicrosPerRequest);
        const ratios = largeRuns.map((r, i) => r.p50Ms / smallRuns[i]!.p50Ms);
        const p99Ratios = largeRuns.map((r, i) => r.p99Ms / smallRuns[i]!.p99Ms);
        const rpsRatios = largeRuns.map((r, i) => r.requestsPerSecond / smallRuns[i]!.requestsPerSecond);
        const range = (values: number[]) => `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
        const p99Met = verdict(p99Ratios, 1.1, "<=");
        const socketErrors = [
          ...[small, large].filter((f) => f.fillSocketErrors !== null).map((f) => `filling ${f.entries.toLocaleString("en")}: ${f.fillSocketErrors}`),
          ...smallRuns.flatMap((r, i) => [r, largeRuns[i]!].map((run, j) => (run.socketErrors === null ? null : `run ${i + 1} at ${j === 0 ? "1k" : "1M"}: ${run.socketErrors}`))).filter((e) => e !== null),
        ];
        return {
          id: this.id,
          title: this.title,
          baseline: { label: `${SMALL.toLocaleString("en")} entries, wrk p50`, unit: "ms", samples: field(smallRuns, "p50Ms") },
          candidate: { label: `${LARGE.toLocaleString("en")} entries, wrk p50`, unit: "ms", samples: field(largeRuns, "p50Ms") },
          ratioOf: "p50 at 1M / at 1k",
          ratios,
          target: "<= 1.1 (the same latency)",
          met: verdict(ratios, 1.1, "<="),
          notes: [
            `p99 at 1M / at 1k ${range(p99Ratios)} (${p99Met === "inconclusive" ? "inconclusive" : p99Met ? "met" : "not met"}): p99 ${ms(median(field(smallRuns, "p99Ms")))} ms at 1k, ${ms(median(field(largeRuns, "p99Ms")))} ms at 1M; req/s ${(median(field(smallRuns, "requestsPerSecond")) / 1000).toFixed(1)}k at 1k, ${(median(field(largeRuns, "requestsPerSecond")) / 1000).toFixed(1)}k at 1M (ratio ${range(rpsRatios)})`,
            `server CPU per request (the figure a shared machine moves least): ${median(field(smallRuns, "cpuMicrosPerRequest")).toFixed(1)} µs at 1k, ${median(field(largeRuns, "cpuMicrosPerRequest")).toFixed(1)} µs at 1M (ratio ${range(cpuRatios)}); the 1M process over 1,000 keys ${largeFewKeys.cpuMicrosPerRequest.toFixed(1)} µs`,
            `the 1M process looking up only its first 1,000 keys: p50 ${ms(largeFewKeys.p50Ms)} ms, p99 ${ms(largeFewKeys.p99Ms)} ms, ${(largeFewKeys.requestsPerSecond / 1000).toFixed(1)}k req/s (one run after the pairs): close to the same process over all its keys means most of the cost is the heap's size, not the spread of the keys`,
            `each lookup picks a uniformly random stored entry (wrk Lua request(), -t1 -c${settings.connections}, core ${CLIENT_CORE}); every request checked a memory hit by the sidecar's hit/miss counts; answers are ~200 B chat.completion documents at both sizes (not 1 KB, so that a million fit and fill quickly)`,
            `both sidecars (bun src/main.ts, CACHE_MEMORY_MAX_ENTRIES=${SIDECAR_ENV.CACHE_MEMORY_MAX_ENTRIES}, CACHE_MEMORY_MAX_BYTES=${SIDECAR_ENV.CACHE_MEMORY_MAX_BYTES}, LOG_LEVEL=warn) filled over HTTP by wrk (1M stores at ${(large.storesPerSecond / 1000).toFixed(1)}k/s) and kept up on core ${SERVER_CORE} (RSS ${rss.map((r) => `${(r / 1024 ** 2).toFixed(0)} MB`).join(" and ")} once filled), measured alternately, each run once both had been idle for a second (waited ${(idleWaits[0]! / 1000).toFixed(0)} s after filling, then ${idleWaits.slice(1).map((w) => (w / 1000).toFixed(0)).join(", ")} s after each run)`,
            ...(socketErrors.length > 0 ? [`wrk socket errors (a timeout is a request unanswered for 2 s, left out of the latencies): ${socketErrors.join("; ")}`] : []),
          ],
          extra: { largeFewKeys, p99Ratios, cpuRatios, smallCpuMicros: field(smallRuns, "cpuMicrosPerRequest"), largeCpuMicros: field(largeRuns, "cpuMicrosPerRequest"), rpsRatios, smallP99Ms: field(smallRuns, "p99Ms"), largeP99Ms: field(largeRuns, "p99Ms"), smallRps: field(smallRuns, "requestsPerSecond"), largeRps: field(largeRuns, "requestsPerSecond") },
        };
      } finally {
        await large.child.stop();
      }
    } finally {
      await small.child.stop();
    }
  },
};
