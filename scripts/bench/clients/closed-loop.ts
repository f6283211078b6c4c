/**
 * A closed-loop HTTP client for the proxy latency scenarios: `concurrency` workers, each sending
 * its next POST as soon as the previous answer has been read, with Bun's fetch and
 * performance.now(). Every answer must be a 200 (and carry `expect` headers when given).
 *
 *   bun scripts/bench/clients/closed-loop.ts '<plan as JSON>'
 *
 * `body` may hold `{{i}}`, replaced by a counter unique to each request of the run (warm-up
 * included), so every request can be a different cache key. Mode "total" times each request to
 * the end of its body; mode "first-byte" times it to the first body chunk (and reads the rest).
 * Prints one JSON line: per concurrency, p50/p99/mean in ms of the measured requests.
 */

interface Plan {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly mode: "total" | "first-byte";
  readonly warmup: number;
  readonly count: number;
  readonly concurrencies: number[];
  /** Response headers every answer must carry, e.g. {"x-cache": "MISS"}. */
  readonly expect?: Record<string, string>;
  /** A suffix every body must end with (e.g. the stream's last event). */
  readonly bodyEndsWith?: string;
  /** Whole run, all concurrencies: exits 1 past this. */
  readonly timeoutMs: number;
}

export interface LatencyResult {
  readonly concurrency: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Also measured in "first-byte" mode: the whole answer. */
  readonly totalP50Ms: number;
}

const plan = JSON.parse(process.argv[2] ?? "{}") as Plan;
const deadline = setTimeout(() => {
  console.error(`closed-loop: gave up after ${plan.timeoutMs} ms`);
  process.exit(1);
}, plan.timeoutMs);

const [head, tail] = plan.body.includes("{{i}}") ? plan.body.split("{{i}}") : [plan.body, null];
let serial = 0;
const bodyFor = (): string => (tail === null || tail === undefined ? head! : `${head}${serial++}${tail}`);
const decoder = new TextDecoder();

/** One request: milliseconds to the first body chunk and to the end of the body. */
async function once(): Promise<{ first: number; total: number }> {
  const body = bodyFor();
  const started = performance.now();
  const response = await fetch(plan.url, { method: "POST", headers: plan.headers, body, signal: AbortSignal.timeout(10_000) });
  let first = Number.NaN;
  let tailText = "";
  const reader = response.body?.getReader();
  if (reader !== undefined) {
    for (;;) {
      const chunk = await reader.read();
      if (Number.isNaN(first)) first = performance.now() - started;
      if (chunk.done) break;
      if (plan.bodyEndsWith !== undefined) tailText = (tailText + decoder.decode(chunk.value)).slice(-plan.bodyEndsWith.length);
    }
  }
  const total = performance.now() - started;
  if (response.status !== 200) throw new Error(`${plan.url} answered ${response.status}`);
  for (const [name, value] of Object.entries(plan.expect ?? {})) {
    if (response.headers.get(name) !== value) throw new Error(`${plan.url} answered ${name}: ${response.headers.get(name)}, expected ${value}`);
  }
  if (plan.bodyEndsWith !== undefined && tailText !== plan.bodyEndsWith) throw new Error(`${plan.url} answered a body not ending with ${JSON.stringify(plan.bodyEndsWith)}`);
  return { first, total };
}

async function run(concurrency: number, requests: number): Promise<{ first: number[]; total: number[] }> {
  const first: number[] = [];
  const total: number[] = [];
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < requests) {
      issued++;
      const timing = await once();
      first.push(timing.first);
      total.push(timing.total);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { first, total };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const results: LatencyResult[] = [];
for (const concurrency of plan.concurrencies) {
  await run(concurrency, plan.warmup);
  const measured = await run(concurrency, plan.count);
  const timings = (plan.mode === "first-byte" ? measured.first : measured.total).sort((a, b) => a - b);
  const totals = measured.total.sort((a, b) => a - b);
  results.push({
    concurrency,
    requests: timings.length,
    p50Ms: percentile(timings, 0.5),
    p99Ms: percentile(timings, 0.99),
    meanMs: timings.reduce((sum, t) => sum + t, 0) / timings.length,
    totalP50Ms: percentile(totals, 0.5),
  });
}
clearTimeout(deadline);
console.log(JSON.stringify({ results }));
