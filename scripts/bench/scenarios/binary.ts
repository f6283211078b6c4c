import { existsSync } from "node:fs";
import { BUN, freePort, median, ROOT, rssBytes, WORK_DIR, type Scenario } from "../harness.ts";

/** Alternating starts of each binary timed to the first 200 on /health: cheap, so many, as one start varies a lot on a busy machine. */
const RUNS = 30;
/** Of those, the first few also wait for /ready and read the idle RSS a second later. */
const FULL_RUNS = 5;

async function build(): Promise<{ sidecar: string; hello: string }> {
  const sidecar = `${ROOT}dist/ai-response-cache`;
  const build = Bun.spawnSync(["bash", "scripts/build.sh"], { cwd: ROOT, stdout: "ignore", stderr: "inherit", env: { ...process.env, BUN } });
  if (build.exitCode !== 0 || !existsSync(sidecar)) throw new Error("npm run build failed");
  const hello = `${WORK_DIR}/hello-server`;
  const helloBuild = Bun.spawnSync([BUN, "build", "scripts/bench/servers/hello.ts", "--compile", "--bytecode", "--format=esm", "--minify-whitespace", "--minify-syntax", "--outfile", hello], {
    cwd: ROOT,
    stdout: "ignore",
    stderr: "inherit",
  });
  if (helloBuild.exitCode !== 0) throw new Error("hello-world build failed");
  for (const binary of [sidecar, hello]) uncache(binary);
  return { sidecar, hello };
}

/**
 * Drops a binary's pages from the page cache, so it is read back as a deployed binary is, by the
 * starts themselves. Most of a start's RSS is the executable's own pages, mapped in blocks whose
 * size depends on how the file entered the cache: a file just written by the build maps several
 * MB more than the same bytes read back (measured: 35 MB against 29 MB for one binary), which
 * made the idle RSS depend on the build rather than the code.
 */
function uncache(binary: string): void {
  // coreutils: sync writes the file's pages back (only clean pages can be dropped), and dd with
  // iflag=nocache count=0 asks the kernel to drop the whole file's cached pages.
  for (const command of [["sync", binary], ["dd", `if=${binary}`, "iflag=nocache", "count=0", "status=none"]]) {
    if (Bun.spawnSync(command, { stdout: "ignore", stderr: "inherit" }).exitCode !== 0) throw new Error(`${command[0]} failed on ${binary}`);
  }
}

/** Time from exec to the first 200 on `path`, polling every half millisecond. */
async function firstOk(url: string, started: number, what: string): Promise<number> {
  for (;;) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return (Bun.nanoseconds() - started) / 1e6;
    } catch {
      await Bun.sleep(0.5);
    }
    if (Bun.nanoseconds() - started > 10e9) throw new Error(`${what} did not answer 200`);
  }
}

interface Start {
  readonly startupMs: number;
  /** Only for a full start: exec to the first 200 on /ready, and the RSS a second later. */
  readonly readyMs?: number;
  readonly rss?: number;
}

/** Time from exec to the first 200 on /health; for a full start also to the first on /ready (the whole app loaded), and RSS one second later. */
async function startOnce(binary: string, full: boolean): Promise<Start> {
  const port = await freePort();
  const started = Bun.nanoseconds();
  const child = Bun.spawn([binary], { env: { PATH: process.env.PATH ?? "", PORT: String(port), LOG_LEVEL: "warn" }, stdout: "ignore", stderr: "inherit" });
  try {
    const startupMs = await firstOk(`http://127.0.0.1:${port}/health`, started, binary);
    if (!full) return { startupMs };
    const readyMs = await firstOk(`http://127.0.0.1:${port}/ready`, started, `${binary} /ready`);
    await Bun.sleep(1000);
    return { startupMs, readyMs, rss: rssBytes(child.pid) };
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
}

export const binary: Scenario = {
  id: "binary",
  title: "Binary start-up (exec to first 200 on /health) and idle RSS vs a compiled hello-world",
  async run() {
    const { sidecar, hello } = await build();
    // One start of each, not counted, reads the binaries back into the page cache.
    await startOnce(hello, false);
    await startOnce(sidecar, false);
    const base: Start[] = [];
    const ours: Start[] = [];
    for (let i = 0; i < RUNS; i++) {
      base.push(await startOnce(hello, i < FULL_RUNS));
      ours.push(await startOnce(sidecar, i < FULL_RUNS));
    }
    const startup = median(ours.map((r) => r.startupMs));
    const full = (starts: Start[]) => starts.slice(0, FULL_RUNS) as Required<Start>[];
    const rss = median(full(ours).map((r) => r.rss)) / 1024 / 1024;
    const helloRss = median(full(base).map((r) => r.rss)) / 1024 / 1024;
    const rssRatio = median(full(ours).map((r, i) => r.rss / full(base)[i]!.rss));
    return {
      id: this.id,
      title: this.title,
      baseline: { label: "hello-world Bun.serve binary", unit: "ms to first 200", samples: base.map((r) => r.startupMs) },
      candidate: { label: "dist/ai-response-cache", unit: "ms to first 200", samples: ours.map((r) => r.startupMs) },
      ratioOf: "start-up sidecar / hello (RSS ratio in notes)",
      ratios: ours.map((r, i) => r.startupMs / base[i]!.startupMs),
      target: "start <= 30 ms, idle RSS < 40 MB",
      met: startup <= 30 && rss < 40,
      notes: [
        `start-up median ${startup.toFixed(1)} ms (hello ${median(base.map((r) => r.startupMs)).toFixed(1)} ms); first 200 on /ready, the whole application loaded: ${median(full(ours).map((r) => r.readyMs)).toFixed(1)} ms; idle RSS median ${rss.toFixed(1)} MB vs ${helloRss.toFixed(1)} MB (ratio ${rssRatio.toFixed(2)})`,
        `${RUNS} alternating starts each after one uncounted start (the first ${FULL_RUNS} also to /ready and the RSS 1 s later), memory tier only (no Redis), both built with --compile --bytecode, each binary dropped from the page cache after the build (so its RSS is that of a binary read back, not just written)`,
      ],
      extra: { idleRssMb: rss, helloRssMb: helloRss, rssRatio },
    };
  },
};
