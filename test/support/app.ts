import { composeSidecar, type Sidecar } from "../../src/compose.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/model.ts";
import type { Logger } from "../../src/logging/logger.ts";
import { createMemoryLogger } from "./logger.ts";

export const PRIMARY_KEY = "primary-test-key-0123456789";
export const ADDITIONAL_KEY = "additional-test-key-9876543210";

/** The configuration a fresh environment gives, with overrides. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ INSTANCE_ID: "test" }), ...overrides };
}

export interface TestApp {
  readonly app: Sidecar["app"];
  /** The whole sidecar's handler: proxy paths included. */
  readonly fetch: Sidecar["fetch"];
  /** The routes a server answers natively, ahead of `fetch` (pass as serve()'s `routes`, as main.ts does). */
  readonly hot: Sidecar["hot"];
  readonly cache: Sidecar["cache"];
  readonly monitor: Sidecar["monitor"];
  /** The HTTP series /metrics exports; serve() records into it. */
  readonly httpMetrics: Sidecar["httpMetrics"];
  readonly logger: ReturnType<typeof createMemoryLogger>;
  readonly config: Config;
  /** Sends a request to the sidecar in-process, through the same dispatch as a server (hot routes, proxy, app). */
  request(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/** Builds the real app in-process; connects Redis when the config names one. */
export async function buildTestApp(overrides: Partial<Config> = {}, logger = createMemoryLogger()): Promise<TestApp> {
  const config = testConfig(overrides);
  // The same composition root as main.ts.
  const sidecar = await composeSidecar(config, logger as Logger, { version: "test" });
  await sidecar.start();
  const { app, cache, monitor } = sidecar;
  return {
    app,
    fetch: sidecar.fetch,
    hot: sidecar.hot,
    cache,
    monitor,
    httpMetrics: sidecar.httpMetrics,
    logger,
    config,
    request(path, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set("content-type", "application/json");
      return Promise.resolve(sidecar.fetch(new Request(`http://localhost${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body })));
    },
    close: () => sidecar.close(),
  };
}
