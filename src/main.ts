import pkg from "../package.json" with { type: "json" };
import { createApp } from "./app.ts";
import { usage } from "./cli.ts";
import { ConfigError, describeConfig, loadConfig } from "./config/load.ts";
import { createLogger } from "./logging/logger.ts";
import { createRuntime } from "./runtime.ts";
import { serve } from "./server/serve.ts";

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
const { cache, monitor } = await createRuntime(config, logger);
await cache.start();

const app = createApp({
  cache,
  monitor,
  logger,
  apiKeys: config.apiKeys,
  maxBodyBytes: config.maxBodyBytes,
  maxInflightBodyBytes: config.maxInflightBodyBytes,
  instanceId: config.instanceId,
  version,
  startedAt,
});
const running = serve(app.fetch, {
  host: config.host,
  port: config.port,
  maxBodyBytes: config.maxBodyBytes,
  shutdownTimeoutMs: config.shutdownTimeoutMs,
  logger,
});

if (config.apiKeys.length === 0) logger.warn("no API key configured: development mode, every request is allowed");
logger.info("ai-response-cache started", { version, url: running.url, port: running.port, config: describeConfig(config) });

const memorySampler = setInterval(() => cache.sampleMemory(), 60_000);
memorySampler.unref();

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info("shutting down", { signal, in_flight: running.inFlight() });
  clearInterval(memorySampler);
  const { drained } = await running.shutdown();
  await cache.close();
  logger.info("stopped", { drained });
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
