import pkg from "../package.json" with { type: "json" };
import { describeListenFailure, EXIT_LISTEN_FAILED, usage } from "./cli.ts";
import { ConfigError, describeConfig, loadConfig } from "./config/load.ts";
import { createLogger } from "./logging/logger.ts";
import { composeSidecar } from "./compose.ts";
import { serve, type RunningServer } from "./http/serve.ts";

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

const logger = createLogger(config.logLevel);
const startedAt = Date.now();
const sidecar = await composeSidecar(config, logger, { version, startedAt });

// Installed before anything starts, so a signal at any moment ends in an orderly exit 0.
let running: RunningServer | null = null;
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info("shutting down", { signal, in_flight: running?.inFlight() ?? 0 });
  clearInterval(memorySampler);
  const drained = running === null ? true : (await running.shutdown()).drained;
  await sidecar.close();
  logger.info("stopped", { drained });
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
const memorySampler = setInterval(() => sidecar.cache.sampleMemory(), 60_000);
memorySampler.unref();

await sidecar.start();
if (!stopping) {
  try {
    running = serve(sidecar.fetch, {
      host: config.host,
      port: config.port,
      maxBodyBytes: config.maxBodyBytes,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      logger,
      httpMetrics: sidecar.httpMetrics,
      hot: sidecar.hot,
    });
  } catch (error) {
    const line = describeListenFailure(error, config.host, config.port);
    if (line === null) throw error;
    process.stderr.write(`ai-response-cache: ${line}\n`);
    await sidecar.close();
    process.exit(EXIT_LISTEN_FAILED);
  }
  if (config.apiKeys.length === 0) logger.warn("no API key configured: development mode, every request is allowed");
  logger.info("ai-response-cache started", { version, pid: process.pid, url: running.url, port: running.port, config: describeConfig(config) });
}
