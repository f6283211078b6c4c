/**
 * The benchmark suite: each scenario measured against a baseline in the same run, alternating,
 * reported as ratios. Loopback only; it starts and stops its own servers and redis-server.
 *
 *   npm run bench                         all scenarios
 *   npm run bench -- memory-hit binary    some of them
 *   npm run bench -- --seconds 3 --pairs 3 --write   (--write also updates BENCHMARKS.md)
 */
import { cpus, totalmem } from "node:os";
import pkg from "../package.json" with { type: "json" };
import { median, ROOT, WORK_DIR, type Scenario, type ScenarioResult, type Settings } from "./bench/harness.ts";
import { binary } from "./bench/scenarios/binary.ts";
import { compression } from "./bench/scenarios/compression.ts";
import { dataPlaneNginx } from "./bench/scenarios/data-plane-nginx.ts";
import { memoryHit, monitorCost, redisHit } from "./bench/scenarios/http.ts";
import { invalidation } from "./bench/scenarios/invalidation.ts";
import { memoryPerEntry } from "./bench/scenarios/memory-scale.ts";
import { metricsScale } from "./bench/scenarios/metrics-scale.ts";
import { herdDataPlane, herdProxy } from "./bench/scenarios/herd.ts";
import { hitLatencyScale } from "./bench/scenarios/hit-latency-scale.ts";
import { proxyHit, proxyMiss, proxyStreamTtfb } from "./bench/scenarios/proxy.ts";

const SCENARIOS: Scenario[] = [memoryHit, dataPlaneNginx, redisHit, monitorCost, metricsScale, memoryPerEntry, hitLatencyScale, invalidation, binary, compression, proxyHit, proxyMiss, proxyStreamTtfb, herdDataPlane, herdProxy];

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const settings: Settings = { seconds: option("seconds", 4), warmupSeconds: option("warmup", 1), pairs: option("pairs", 3), connections: option("connections", 64) };
const chosenIds = args.filter((arg, i) => !arg.startsWith("--") && !args[i - 1]?.startsWith("--"));
const unknown = chosenIds.filter((id) => !SCENARIOS.some((s) => s.id === id));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(", ")}; choose from ${SCENARIOS.map((s) => s.id).join(", ")}`);
  process.exit(2);
}

// wrk is the load generator; taskset pins servers and load to separate cores; nginx is the proxy-hit baseline.
const tools = Bun.spawnSync(["bash", "scripts/ensure-debian.sh", "wrk:wrk", "redis-server:redis-server", "taskset:util-linux", "nginx:nginx-light"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
if (tools.exitCode !== 0) process.exit(1);

const fmt = (value: number, unit: string): string => {
  if (unit.includes("/s")) return value >= 1000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(1);
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
};
const spread = (values: number[], unit: string) => `${fmt(median(values), unit)} (${fmt(Math.min(...values), unit)}–${fmt(Math.max(...values), unit)})`;

const results: ScenarioResult[] = [];
const started = Date.now();
for (const scenario of SCENARIOS.filter((s) => chosenIds.length === 0 || chosenIds.includes(s.id))) {
  process.stderr.write(`bench: ${scenario.id}...\n`);
  const t0 = Date.now();
  results.push(await scenario.run(settings));
  process.stderr.write(`bench: ${scenario.id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

const versions = {
  service: pkg.version,
  bun: Bun.version,
  elysia: pkg.dependencies.elysia,
  redis_client: pkg.dependencies.redis,
  redis_server: (Bun.spawnSync(["redis-server", "--version"]).stdout.toString().match(/v=([\d.]+)/) ?? [])[1] ?? "?",
  wrk: (Bun.spawnSync(["wrk", "-v"]).stdout.toString().match(/wrk (\S+)/) ?? [])[1] ?? "?",
};
const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? "?", memoryGiB: Math.round(totalmem() / 1024 ** 3) };

const lines: string[] = [];
lines.push("| scenario | baseline: median (min–max) | ours: median (min–max) | ratio: median (min–max) | target | met |");
lines.push("|---|---|---|---|---|---|");
for (const r of results) {
  lines.push(
    `| ${r.title} | ${r.baseline.label}: ${spread(r.baseline.samples, r.baseline.unit)} ${r.baseline.unit} | ${r.candidate.label}: ${spread(r.candidate.samples, r.candidate.unit)} ${r.candidate.unit} | ${r.ratioOf}: **${median(r.ratios).toFixed(2)}** (${Math.min(...r.ratios).toFixed(2)}–${Math.max(...r.ratios).toFixed(2)}) | ${r.target} | ${r.met === "inconclusive" ? "inconclusive" : r.met ? "yes" : "**no**"} |`,
  );
}
const memoryResult = results.find((r) => r.id === "memory-hit");
const redisResult = results.find((r) => r.id === "redis-hit");
if (memoryResult && redisResult) {
  // Raw pipelined GETs measure Redis, not an HTTP service; the HTTP ceiling puts the Redis-tier path in proportion.
  const ofCeiling = median(redisResult.candidate.samples) / median(memoryResult.baseline.samples);
  redisResult.notes.push(`against the HTTP ceiling of this run (bare Bun.serve, ${(median(memoryResult.baseline.samples) / 1000).toFixed(1)}k req/s) the Redis-tier hit reaches ${ofCeiling.toFixed(2)}`);
}
const notes = results.flatMap((r) => r.notes.map((note) => `- ${r.id}: ${note}`));
const compressionRows = results.find((r) => r.id === "compression")?.extra?.rows as { codec: string; size: number; ratio: number; compressMBs: number; decompressMBs: number }[] | undefined;
const compressionTable: string[] = [];
if (compressionRows) {
  compressionTable.push("| codec | size | compressed / original | compress MB/s | decompress MB/s |", "|---|---|---|---|---|");
  for (const row of compressionRows) {
    compressionTable.push(`| ${row.codec} | ${row.size / 1024} KB | ${row.ratio.toFixed(3)} | ${row.compressMBs.toFixed(0)} | ${row.decompressMBs.toFixed(0)} |`);
  }
}

const report = [
  `Run ${new Date().toISOString()} on ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB; bun ${versions.bun}, elysia ${versions.elysia}, node-redis ${versions.redis_client}, redis-server ${versions.redis_server}, wrk ${versions.wrk}.`,
  `Settings: ${settings.pairs} alternating pairs, ${settings.warmupSeconds} s warm-up + ${settings.seconds} s per HTTP run, ${settings.connections} connections; took ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  "",
  ...lines,
  "",
  ...notes,
  ...(compressionTable.length ? ["", ...compressionTable] : []),
].join("\n");
console.log(report);

await Bun.write(`${WORK_DIR}/latest.json`, JSON.stringify({ date: new Date().toISOString(), machine, versions, settings, results }, null, 2));
console.error(`bench: wrote ${WORK_DIR}/latest.json`);

if (args.includes("--write")) {
  const path = `${ROOT}BENCHMARKS.md`;
  const existing = await Bun.file(path).text().catch(() => "");
  const marker = "<!-- latest run -->";
  const head = existing.includes(marker) ? existing.slice(0, existing.indexOf(marker)) : "# Benchmarks\n\n";
  await Bun.write(path, `${head}${marker}\n${report}\n`);
  console.error("bench: updated BENCHMARKS.md");
}
