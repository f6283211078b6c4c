import { version } from "../package.json" with { type: "json" };
import { ConfigError } from "./config/error.ts";
import { loadListenConfig, type ListenConfig } from "./config/listen.ts";
import type { Config } from "./config/model.ts";
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
// answered before any of it runs, and everything else waits for it (see lazy-sidecar.ts). The
// same goes for the whole configuration (its table and TypeBox schema) and for the command line's
// help and listen-failure texts.

const args = process.argv.slice(2);

if (args.includes("--help") || args.includes("-h")) {
  const { usage } = await import("./cli.ts");
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

/** A bad value ends the process with code 2 and one line naming the variable, whenever it is found. */
function refuseConfig(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`ai-response-cache: configuration error: ${error.message}\n`);
  process.exit(2);
}

// What listening needs is read and checked now: a bad PORT or HOST ends the process before
// anything answers.
let listen: ListenConfig;
try {
  listen = loadListenConfig(process.env);
} catch (error) {
  refuseConfig(error);
}

// The whole configuration is read right after the first answer (or LOAD_AFTER_MS after listening,
// see loadSoon), before the app, which needs it: a bad value then ends the process (exit 2) before
// anything but /health has been answered. Loading its table and schema and checking every
// variable cost ~7 ms that the first probe would otherwise wait for.
let configuration: Promise<Config> | undefined;
function settledConfig(): Promise<Config> {
  configuration ??= import("./config/load.ts").then(({ loadConfig }) => {
    try {
      return loadConfig(process.env);
    } catch (error) {
      return refuseConfig(error);
    }
  });
  return configuration;
}

const logger = createLogger(listen.logLevel, stdoutSink());
const startedAt = Date.now();
// Created here, not by the app: the server records every request from the first one on.
const httpMetrics = new HttpMetrics();
const sidecar = lazySidecar(
  async () => {
    const settled = await settledConfig();
    // Made here, while the app loads, not by its first request (see logging/context.ts).
    requestContext.prepare();
    const [{ composeSidecar }, { verifyConfig }] = await Promise.all([import("./compose.ts"), import("./config/verify.ts")]);
    verifyConfig(settled);
    const composed = await composeSidecar(settled, logger, { version, startedAt, httpMetrics });
    // The binary starts with the JIT 16 times as reluctant (build.sh), so code that runs once at
    // start-up is not compiled to machine code (~4 MB of idle RSS); from here on, the normal policy.
    Bun.unsafe.setJITPolicy(1);
    return composed;
  },
  (error) => {
    // Both are bugs (a configuration its schema refuses, an app that cannot be built), and end
    // the process as they did when they happened before listening.
    if (error instanceof ConfigError) refuseConfig(error);
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
      void announce().catch(() => {}); // a failure is reported by the load below
      if (!stopping) void sidecar.load().catch(() => {});
    }),
  );
}
let announcing: Promise<void> | undefined;
/** The start-up lines, once the whole configuration is read; a bad one ends the process instead. */
function announce(): Promise<void> {
  announcing ??= settledConfig().then(async (settled) => {
    if (running === null) return;
    if (settled.apiKeys.length === 0) logger.warn("no API key configured: development mode, every request is allowed");
    if (!logger.enabled("info")) return;
    const { describeConfig } = await import("./config/load.ts");
    logger.info("ai-response-cache started", { version, pid: process.pid, url: running.url, port: running.port, config: describeConfig(settled) });
  });
  return announcing;
}
const liveness = livenessHandler(version, startedAt);

// Installed before anything starts, so a signal at any moment ends in an orderly exit 0.
let running: RunningServer | null = null;
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  await announce().catch(() => {});
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
    host: listen.host,
    port: listen.port,
    maxBodyBytes: listen.maxBodyBytes,
    shutdownTimeoutMs: listen.shutdownTimeoutMs,
    logger,
    httpMetrics,
    routes: {
      // The hot routes (createHttp), matched by the runtime's router; the sidecar's own dispatch
      // sends them to their hot handlers (waiting for the app while it loads), past Elysia's router.
      ...Object.fromEntries(Object.entries(HOT_ROUTES).map(([path, methods]) => [path, Object.fromEntries(methods.map((method) => [method, sidecar.fetch]))])),
    },
    plainRoutes: {
      // Liveness needs nothing of the app (nor of the configuration beyond listening): answered from the start.
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
  const { describeListenFailure, EXIT_LISTEN_FAILED } = await import("./cli.ts");
  const line = describeListenFailure(error, listen.host, listen.port);
  if (line === null) throw error;
  process.stderr.write(`ai-response-cache: ${line}\n`);
  process.exit(EXIT_LISTEN_FAILED);
}
loadTimer = setTimeout(loadSoon, LOAD_AFTER_MS);
