/** Shared pieces of the benchmark suite: processes, the load generator, statistics. */
import { mkdirSync } from "node:fs";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const WORK_DIR = `${ROOT}reports/bench`;
mkdirSync(WORK_DIR, { recursive: true });

export const BUN = process.execPath;
/** Server under test on core 0; load generator and Redis on core 1 (2-core machines). */
export const SERVER_CORE = "0";
export const CLIENT_CORE = "1";

export interface Settings {
  /** Seconds per measured wrk run. */
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Alternating baseline/candidate pairs. */
  readonly pairs: number;
  readonly connections: number;
}

export interface Series {
  readonly label: string;
  readonly unit: string;
  readonly samples: number[];
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly baseline: Series;
  readonly candidate: Series;
  /** How the ratio is formed, e.g. "candidate / baseline". */
  readonly ratioOf: string;
  readonly ratios: number[];
  readonly target: string;
  /** "inconclusive": the pairs' spread crosses the target, so the run cannot tell. */
  readonly met: boolean | "inconclusive";
  readonly notes: string[];
  readonly extra?: Record<string, unknown>;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  run(settings: Settings): Promise<ScenarioResult>;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

export interface Child {
  readonly pid: number;
  readonly process: ReturnType<typeof Bun.spawn>;
  stop(): Promise<void>;
}

/** Spawns a command pinned to a core; stops it by its own PID only. */
export function spawnPinned(core: string, command: string[], env: Record<string, string> = {}): Child {
  const child = Bun.spawn(["taskset", "-c", core, ...command], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdout: "ignore",
    stderr: "inherit",
    cwd: ROOT,
  });
  return {
    pid: child.pid,
    process: child,
    async stop() {
      child.kill("SIGTERM");
      const exited = await Promise.race([child.exited, Bun.sleep(5000).then(() => null)]);
      if (exited === null) {
        child.kill("SIGKILL");
        await child.exited;
      }
    },
  };
}

export async function waitForHttp(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      await Bun.sleep(20);
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export async function startRedis(): Promise<{ port: number; url: string; child: Child }> {
  const port = await freePort();
  const child = spawnPinned(CLIENT_CORE, ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"]);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    try {
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      socket.end();
      return { port, url: `redis://127.0.0.1:${port}`, child };
    } catch {
      await Bun.sleep(20);
    }
  }
  throw new Error("redis-server did not start");
}

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
}

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!match) return Number.NaN;
  const n = Number(match[1]);
  return match[2] === "us" ? n / 1000 : match[2] === "s" ? n * 1000 : n;
}

/** Runs wrk (pinned to the client core) with a POST body, or a GET when body is null. */
export async function wrk(url: string, body: string | null, seconds: number, connections: number): Promise<WrkRun> {
  const script = `${WORK_DIR}/request-${Bun.hash(body ?? "GET").toString(16)}.lua`;
  const lua =
    body === null
      ? 'wrk.method = "GET"\n'
      : `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`;
  await Bun.write(script, lua);
  return wrkScript(url, script, seconds, connections);
}

export interface WrkRun extends WrkResult {
  /** Requests completed (wrk's "N requests in ..."). */
  readonly requests: number;
  /** wrk's "Socket errors: ..." line, or null when it saw none. */
  readonly socketErrors: string | null;
}

/**
 * Runs wrk (pinned to the client core, one thread) with a Lua script file, whose request() may
 * build every request itself. wrk runs for `seconds` even when the script stops its thread;
 * `stopWhen`, if given, is polled every 200 ms and ends the run early with SIGINT (on which wrk
 * still reports).
 */
export async function wrkScript(url: string, script: string, seconds: number, connections: number, stopWhen?: () => Promise<boolean>): Promise<WrkRun> {
  const run = Bun.spawn(["taskset", "-c", CLIENT_CORE, "wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, url], { stdout: "pipe", stderr: "pipe" });
  if (stopWhen) {
    void (async () => {
      while (run.exitCode === null) {
        await Bun.sleep(200);
        // A failed poll (the server busy, say) is retried at the next one.
        if (run.exitCode === null && (await stopWhen().catch(() => false))) run.kill("SIGINT");
      }
    })();
  }
  const output = await new Response(run.stdout).text();
  if ((await run.exited) !== 0) throw new Error(`wrk failed: ${await new Response(run.stderr).text()}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(output)?.[1] ?? "");
  const p99 = toMs(/\s99%\s+(\S+)/.exec(output)?.[1] ?? "");
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
  const socketErrors = /Socket errors: (.*)/.exec(output)?.[1] ?? null;
  return { requestsPerSecond: rps, p50Ms: p50, p99Ms: p99, non2xx, requests, socketErrors };
}

const CLOCK_TICKS_PER_SECOND = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

/** CPU time (user + system) a process has used so far, in seconds: /proc/PID/stat fields 14 and 15. */
export function cpuSeconds(pid: number): number {
  const stat = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8") as string;
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export interface MeasuredHttp extends WrkRun {
  /**
   * The server's CPU time per answered request in microseconds (when its PID was given): on a
   * shared machine this moves far less than req/s, which also counts time the server waited
   * for a core.
   */
  readonly cpuMicrosPerRequest: number | null;
}

/** Warm up, then measure, one server; with its PID, also the CPU it spent per request. */
export async function measureHttp(url: string, body: string | null, settings: Settings, pid?: number): Promise<MeasuredHttp> {
  await wrk(url, body, settings.warmupSeconds, settings.connections);
  const cpuBefore = pid === undefined ? 0 : cpuSeconds(pid);
  const result = await wrk(url, body, settings.seconds, settings.connections);
  const cpuMicrosPerRequest = pid === undefined || result.requests === 0 ? null : ((cpuSeconds(pid) - cpuBefore) * 1e6) / result.requests;
  if (result.non2xx > 0) throw new Error(`${url} answered ${result.non2xx} non-2xx responses under load`);
  return { ...result, cpuMicrosPerRequest };
}

/** Server CPU per request of each side, collected as the pairs run (see MeasuredHttp). */
export interface CpuSamples {
  readonly base: number[];
  readonly cand: number[];
}

export const cpuSamples = (): CpuSamples => ({ base: [], cand: [] });

/** One note comparing the two sides' CPU per request (medians), the figure least moved by a shared machine. */
export function cpuNote(cpu: CpuSamples, baseLabel: string, candLabel: string): string {
  const b = median(cpu.base);
  const c = median(cpu.cand);
  return `server CPU per request (medians; user + system time over requests answered): ${baseLabel} ${b.toFixed(1)} µs, ${candLabel} ${c.toFixed(1)} µs; ${baseLabel} / ${candLabel} = ${(b / c).toFixed(2)} (pairs: ${cpu.cand.map((x, i) => (cpu.base[i]! / x).toFixed(2)).join(", ")})`;
}

export function rssBytes(pid: number): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

export function sidecarCommand(): string[] {
  return [BUN, "src/main.ts"];
}

/** Runs the raw node-redis baseline script on the server core and returns its JSON line. */
export async function rawRedis<T>(...args: string[]): Promise<T> {
  const run = Bun.spawn(["taskset", "-c", SERVER_CORE, BUN, "scripts/bench/servers/raw-redis.ts", ...args], { stdout: "pipe", stderr: "inherit", cwd: ROOT });
  const output = await new Response(run.stdout).text();
  if ((await run.exited) !== 0) throw new Error(`raw-redis ${args[0]} failed`);
  return JSON.parse(output.trim().split("\n").at(-1)!) as T;
}

/**
 * Whether ratios measured pair by pair meet `target`: yes when every pair does, no when none
 * does, "inconclusive" when the spread crosses it (noise as large as the effect).
 */
export function verdict(ratios: readonly number[], target: number, direction: ">=" | "<=" = ">="): boolean | "inconclusive" {
  const meets = (ratio: number) => (direction === ">=" ? ratio >= target : ratio <= target);
  const count = ratios.filter(meets).length;
  if (count === ratios.length) return true;
  if (count === 0) return false;
  return "inconclusive";
}
