import pkg from "../package.json" with { type: "json" };
import { describeListenFailure, EXIT_LISTEN_FAILED, usage } from "./cli.ts";
import { ConfigError, describeConfig, loadConfig } from "./config/load.ts";
import { requestContext } from "./logging/context.ts";
import { createLogger } from "./logging/logger.ts";
import { stdoutSink } from "./logging/stdout-sink.ts";
import { livenessHandler } from "./http/health/liveness.ts";
import { HttpMetrics } from "./http/prometheus/http-metrics.ts";
import { HOT_ROUTES } from "./http/hot-paths.ts";
import { serve, type RunningServer } from "./http/serve.ts";
import { lazySidecar } from "./lazy-sidecar.ts";

// Only what listening needs is imported above. The application is imported dynamically below, so
// the binary (built with --splitting) loads and evaluates it after the server listens: /health is
// answered before any of it runs, and everything else waits for it (see lazy-sidecar.ts).

const version = pkg.version;
const args = process.argv.slice(2);

if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(usage(version));
  process.exit(0);
}
if (args.includes("--version") || args.includes("-v")) {
  process.stdout.write(`${version}\n`);
  process.exit(0);
}
if (args.length > 0) {
  process.stderr.write(`ai-response-cache: unknown argument ${JSON.stringify(args[0])}; configuration comes from the environment (see --help)\n`);
  process.exit(2);
}

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`ai-response-cache: configuration error: ${error.message}\n`);
  process.exit(2);
}
const settled = config;

const logger = createLogger(config.logLevel, stdoutSink());
const startedAt = Date.now();
// Created here, not by the app: the server records every request from the first one on.
const httpMetrics = new HttpMetrics();
const sidecar = lazySidecar(
  async () => {
    const [{ composeSidecar }, { verifyConfig }] = await Promise.all([import("./compose.ts"), import("./config/verify.ts")]);
    verifyConfig(settled);
    const composed = await composeSidecar(settled, logger, { version, startedAt, httpMetrics });
    // The binary starts with the JIT 16 times as reluctant (build.sh), so code that runs once at
    // start-up is not compiled to machine code (~4 MB of idle RSS); from here on, the normal policy.
    Bun.unsafe.setJITPolicy(1);
    return composed;
  },
  (error) => {
    // Both are bugs, and end the process as they did when they happened before listening.
    if (error instanceof ConfigError) {
      process.stderr.write(`ai-response-cache: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    logger.error("the application failed to load", { error });
    process.exit(1);
  },
);

// The start-up lines are written, and the app loaded, on the heels of the first answer, or
// LOAD_AFTER_MS after listening if no request comes first: the first request, usually a probe of
// /health, is never queued behind them (the lines take ~3 ms, the app ~30 ms of evaluation). A
// request the app must answer loads it at once (lazy-sidecar.ts).
const LOAD_AFTER_MS = 20;
let loadScheduled = false;
let loadTimer: ReturnType<typeof setTimeout> | undefined;
function loadSoon(): void {
  if (loadScheduled) return;
  loadScheduled = true;
  clearTimeout(loadTimer);
  // After this turn of the event loop, so the answer that triggered it is sent first; outside
  // that request's context, so the start-up lines do not carry its id.
  setImmediate(() =>
    requestContext.exit(() => {
      announce();
      if (!stopping) void sidecar.load().catch(() => {});
    }),
  );
}
let announced = false;
function announce(): void {
  if (announced || running === null) return;
  announced = true;
  if (settled.apiKeys.length === 0) logger.warn("no API key configured: development mode, every request is allowed");
  // Described only when the line is written: parsing the upstream URLs is a first use of the URL parser (2 ms).
  if (logger.enabled("info")) logger.info("ai-response-cache started", { version, pid: process.pid, url: running.url, port: running.port, config: describeConfig(settled) });
}
const liveness = livenessHandler(version, startedAt);

// Installed before anything starts, so a signal at any moment ends in an orderly exit 0.
let running: RunningServer | null = null;
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  announce();
  logger.info("shutting down", { signal, in_flight: running?.inFlight() ?? 0 });
  clearInterval(memorySampler);
  // An app not yet asked for is not loaded now; one being loaded is closed once it has started.
  loadScheduled = true;
  clearTimeout(loadTimer);
  const drained = running === null ? true : (await running.shutdown()).drained;
  await sidecar.close();
  logger.info("stopped", { drained });
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
const memorySampler = setInterval(() => sidecar.current()?.cache.sampleMemory(), 60_000);
memorySampler.unref();

try {
  running = serve(sidecar.fetch, {
    host: config.host,
    port: config.port,
    maxBodyBytes: config.maxBodyBytes,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    logger,
    httpMetrics,
    routes: {
      // The hot routes (createHttp), matched by the runtime's router; the sidecar's own dispatch
      // sends them to their hot handlers (waiting for the app while it loads), past Elysia's router.
      ...Object.fromEntries(Object.entries(HOT_ROUTES).map(([path, methods]) => [path, Object.fromEntries(methods.map((method) => [method, sidecar.fetch]))])),
      // Liveness needs nothing of the app: answered from the start.
      "/health": {
        GET: () => {
          const response = liveness();
          loadSoon();
          return response;
        },
      },
    },
  });
} catch (error) {
  const line = describeListenFailure(error, config.host, config.port);
  if (line === null) throw error;
  process.stderr.write(`ai-response-cache: ${line}\n`);
  process.exit(EXIT_LISTEN_FAILED);
}
loadTimer = setTimeout(loadSoon, LOAD_AFTER_MS);
