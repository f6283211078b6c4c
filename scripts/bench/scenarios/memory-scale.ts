/**
 * memory-per-entry: what one memory-tier entry costs the process, against the answer it holds.
 * A memory-only sidecar is warmed and left idle, 100,000 distinct 1 KB answers are stored over
 * keep-alive HTTP, and the growth of its resident set (after it has been idle again) is divided
 * by the entries and by the answer's own JSON size. 1.0 would mean the tier holds answers for
 * free; the key, the tier's bookkeeping, the JS heap and the allocator all add to it.
 */
import { llmResponse } from "../corpus.ts";
import { median, rssBytes, SERVER_CORE, type Scenario, type Settings, verdict } from "../harness.ts";
import { MemoryTier } from "../../../src/engine/memory-tier.ts";
import { startSidecar } from "./http.ts";

const ENTRIES = 100_000;
const IN_FLIGHT = 32;
const WARMUP_REQUESTS = 2_000;
/**
 * After a burst of stores, the idle process hands freed memory back in steps, the last one
 * 10 to 15 s later: readings go on until they have been flat for a while.
 */
const SETTLE = { minMs: 15_000, maxMs: 45_000, flatReadings: 8, flatBytes: 1024 ** 2 };
/** Runs (fresh sidecars); the figure moves by a few percent between runs, so two say enough. */
const RUNS = 2;
const SIDECAR_ENV = { CACHE_MEMORY_MAX_ENTRIES: "200000", CACHE_MEMORY_MAX_BYTES: "2GB" };

/** Entry `i`: a distinct request text (so a distinct key) and a distinct slice of prose as the answer. */
function entryRequest(i: number) {
  return { operation: "summarize", text: `Report ${i}: summarise the attached quarterly report for the board.`, options: { max_length: 200 } };
}

const JSON_HEADERS = { "content-type": "application/json" };

/** Runs `count` calls of `task(i)` with `inFlight` of them at a time (keep-alive connections of Bun's fetch). */
async function concurrently(count: number, inFlight: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Entry `i`'s store body, given its answer's JSON text. */
const storeBody = (i: number, json: string): string => `${JSON.stringify(entryRequest(i)).slice(0, -1)},"response":${json}}`;

async function store(url: string, i: number, payload: string): Promise<string> {
  const answer = await fetch(`${url}/cache/store`, { method: "POST", headers: JSON_HEADERS, body: payload });
  const body = (await answer.json()) as { key?: string; tiers?: string[] };
  if (!answer.ok || !body.tiers?.includes("memory") || body.key === undefined) throw new Error(`store ${i} answered ${answer.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body.key;
}

/** RSS readings once a second until at least SETTLE.minMs have passed and the last SETTLE.flatReadings differ by under SETTLE.flatBytes (or SETTLE.maxMs). */
async function settledRss(pid: number): Promise<number[]> {
  const started = Date.now();
  const readings: number[] = [];
  for (;;) {
    readings.push(rssBytes(pid));
    const recent = readings.slice(-SETTLE.flatReadings);
    const flat = recent.length === SETTLE.flatReadings && Math.max(...recent) - Math.min(...recent) < SETTLE.flatBytes;
    if ((flat && Date.now() - started >= SETTLE.minMs) || Date.now() - started >= SETTLE.maxMs) return readings;
    await Bun.sleep(1000);
  }
}

/** RSS readings every `everyMs` for `count` readings, after `settleMs` of idleness. */
async function idleRss(pid: number, settleMs: number, count: number, everyMs: number): Promise<number[]> {
  await Bun.sleep(settleMs);
  const readings: number[] = [];
  for (let i = 0; i < count; i++) {
    readings.push(rssBytes(pid));
    if (i < count - 1) await Bun.sleep(everyMs);
  }
  return readings;
}

interface MemoryStatus {
  readonly entries?: number;
  readonly bytes?: number;
}

async function memoryStatus(url: string): Promise<MemoryStatus> {
  return ((await (await fetch(`${url}/internal/cache/status`)).json()) as { memory: MemoryStatus }).memory;
}

interface Run {
  readonly perEntryBytes: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly rssAfterReadings: number[];
  readonly tierBytes: number;
  readonly fillSeconds: number;
  readonly keys: string[];
}

/** The answers' JSON texts, made once (making them takes seconds): entry i answers answers[i]. */
function makeAnswers(): string[] {
  return Array.from({ length: ENTRIES }, (_, i) => JSON.stringify(llmResponse(1024, i)));
}

async function measureOnce(answers: string[]): Promise<Run> {
  const { url, child } = await startSidecar(SIDECAR_ENV);
  try {
    // Warm-up through the same paths (store, overwrite, lookup) while the tier holds one entry.
    const first = storeBody(0, answers[0]!);
    await concurrently(WARMUP_REQUESTS, IN_FLIGHT, async () => void (await store(url, 0, first)));
    await concurrently(WARMUP_REQUESTS, IN_FLIGHT, async () => {
      const answer = await fetch(`${url}/cache/lookup`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(entryRequest(0)) });
      await answer.arrayBuffer();
    });
    const before = Math.min(...(await idleRss(child.pid, 3000, 5, 500)));

    const keys: string[] = new Array(ENTRIES);
    const started = performance.now();
    await concurrently(ENTRIES, IN_FLIGHT, async (i) => {
      keys[i] = await store(url, i, storeBody(i, answers[i]!));
    });
    const fillSeconds = (performance.now() - started) / 1000;
    const readings = await settledRss(child.pid);
    const after = Math.min(...readings.slice(-SETTLE.flatReadings));

    const status = await memoryStatus(url);
    if (status.entries !== ENTRIES) throw new Error(`the memory tier holds ${status.entries} entries, expected ${ENTRIES}`);
    for (const i of [0, 1, ENTRIES / 2, ENTRIES - 1]) {
      const entry = (await (await fetch(`${url}/cache/entries/${encodeURIComponent(keys[i]!)}`)).json()) as { response?: unknown; tier?: string };
      if (entry.tier !== "memory" || JSON.stringify(entry.response) !== answers[i]) throw new Error(`entry ${i} is not held as stored: ${JSON.stringify(entry).slice(0, 200)}`);
    }
    const perEntryBytes = (after - before) / (ENTRIES - 1);
    return { perEntryBytes, rssBefore: before, rssAfter: after, rssAfterReadings: readings, tierBytes: status.bytes ?? 0, fillSeconds, keys };
  } finally {
    await child.stop();
  }
}

/**
 * The floor, for the notes: what the same keys and answers cost in a MemoryTier in this
 * process, as the heap's growth, its buffers included (the tier's UTF-8 segments, slot arrays
 * and index; no HTTP, no garbage).
 */
function tierFloorBytes(keys: string[], answers: string[]): number {
  const tier = new MemoryTier({ maxEntries: ENTRIES * 2, maxBytes: 4 * 1024 ** 3 });
  Bun.gc(true);
  const before = process.memoryUsage().heapUsed;
  const expiresAt = Date.now() + 3_600_000;
  // Fresh strings, as the sidecar makes them: the key text copied, the answer parsed and re-serialised.
  for (let i = 0; i < ENTRIES; i++) tier.set(Buffer.from(keys[i]!).toString(), JSON.stringify(JSON.parse(answers[i]!)), expiresAt);
  Bun.gc(true);
  const grown = process.memoryUsage().heapUsed - before;
  if (tier.size !== ENTRIES) throw new Error(`the in-process tier holds ${tier.size} entries`);
  return grown / ENTRIES;
}

const mb = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MB`;

export const memoryPerEntry: Scenario = {
  id: "memory-per-entry",
  title: "Resident memory per memory-tier entry vs the answer's own size (100,000 entries of 1 KB)",
  async run(settings: Settings) {
    const answers = makeAnswers();
    const answerBytes = answers.reduce((sum, json) => sum + Buffer.byteLength(json), 0) / ENTRIES;
    // Held as UTF-8 by the tier; as strings, JavaScriptCore would keep these as UTF-16.
    const wideAnswers = answers.filter((json) => /[^\u0000-\u00ff]/.test(json)).length;
    const runs: Run[] = [];
    for (let i = 0; i < Math.min(settings.pairs, RUNS); i++) runs.push(await measureOnce(answers));
    const ratios = runs.map((r) => r.perEntryBytes / answerBytes);
    const floor = tierFloorBytes(runs.at(-1)!.keys, answers);
    const last = runs.at(-1)!;
    return {
      id: this.id,
      title: this.title,
      baseline: { label: "the answer's JSON", unit: "B", samples: runs.map(() => answerBytes) },
      candidate: { label: "RSS growth per entry", unit: "B", samples: runs.map((r) => r.perEntryBytes) },
      ratioOf: "RSS per entry / answer bytes",
      ratios,
      target: "<= 1.5",
      met: verdict(ratios, 1.5, "<="),
      notes: [
        `a fresh memory-only sidecar per run (bun src/main.ts, CACHE_MEMORY_MAX_ENTRIES=${SIDECAR_ENV.CACHE_MEMORY_MAX_ENTRIES}, CACHE_MEMORY_MAX_BYTES=${SIDECAR_ENV.CACHE_MEMORY_MAX_BYTES}, LOG_LEVEL=warn) on core ${SERVER_CORE}, warmed with ${WARMUP_REQUESTS} stores and lookups of one entry; RSS before: the least of 5 readings after 3 s idle; after: the least of the last ${SETTLE.flatReadings} readings, 1 s apart, once flat (within 1 MB) after at least ${SETTLE.minMs / 1000} s idle (no GC can be requested from outside)`,
        `${ENTRIES.toLocaleString("en")} stores of distinct texts, ${IN_FLIGHT} in flight over keep-alive fetch, in ${median(runs.map((r) => r.fillSeconds)).toFixed(1)} s; each checked stored in memory, then GET /internal/cache/status counted ${ENTRIES} entries and GET /cache/entries/:key gave back 4 of them as stored`,
        `RSS ${mb(last.rssBefore)} before, ${mb(last.rssAfter)} after (read each second after the stores: ${last.rssAfterReadings.map((r) => (r / 1024 ** 2).toFixed(0)).join(" ")} MB); the tier's own count (keys and values as UTF-8 plus 96 B each) is ${mb(last.tierBytes)}, ${(last.tierBytes / ENTRIES).toFixed(0)} B per entry; ${wideAnswers} of ${ENTRIES} answers have a character above U+00FF (2 bytes a character as a string, 2-3 bytes only for those characters in the tier's UTF-8)`,
        `where it goes: the same keys and answers in a MemoryTier in the bench process grow the heap by ${floor.toFixed(0)} B per entry (${(floor / answerBytes).toFixed(2)} of the answer: the ${((keys) => (keys.reduce((sum, key) => sum + key.length, 0) / keys.length).toFixed(0))(runs.at(-1)!.keys)}-byte key and the answer as UTF-8 in the tier's segments, a chunk header, slot arrays and index, none of it objects of the collected heap); the rest of the RSS growth is memory the allocator keeps after the 100,000 requests' garbage is collected`,
      ],
      extra: { runs: runs.map(({ keys, ...run }) => run), answerBytes, tierFloorBytes: floor, wideAnswers },
    };
  },
};
