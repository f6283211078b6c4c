import type { Server } from "bun";
import type { Logger } from "../logging/logger.ts";

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly logger: Logger;
}

export interface RunningServer {
  readonly server: Server<undefined>;
  readonly url: string;
  readonly port: number;
  /** Requests being answered right now. */
  inFlight(): number;
  /** Stops accepting, waits (bounded) for in-flight requests, and reports whether all finished. */
  shutdown(): Promise<{ drained: boolean }>;
}

type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Path of a request URL without parsing the whole URL. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const query = url.indexOf("?", start);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}

/**
 * Serves a fetch handler with one access-log line per request and graceful shutdown. Logging
 * wraps the handler here instead of using framework lifecycle hooks, which measurably slow
 * every route (see BENCHMARKS.md).
 */
export function serve(handler: FetchHandler, options: ServeOptions): RunningServer {
  const { logger } = options;
  const logRequests = logger.enabled("info");

  // Without an access log the framework's handler is served as it is: wrapping every request
  // in another async function costs measurable throughput (see BENCHMARKS.md).
  const fetch = logRequests
    ? async (request: Request): Promise<Response> => {
        const started = Bun.nanoseconds();
        let status = 500;
        try {
          const response = await handler(request);
          status = response.status;
          return response;
        } finally {
          logger.info("request", { method: request.method, path: pathOf(request.url), status, duration_ms: Math.round((Bun.nanoseconds() - started) / 1e4) / 100 });
        }
      }
    : handler;

  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    // A backstop for bodies without a Content-Length; declared lengths are refused earlier with a JSON 413.
    maxRequestBodySize: options.maxBodyBytes + 64 * 1024,
    fetch,
    error(error) {
      logger.error("request failed outside the application", { error });
      return new Response(JSON.stringify({ error: "internal_error", detail: "an unexpected error occurred" }), {
        status: 500,
        headers: { "content-type": "application/json; charset=utf-8" },
      });
    },
  });

  return {
    server,
    url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${server.port}`,
    port: server.port ?? options.port,
    inFlight: () => server.pendingRequests,
    async shutdown() {
      // Stop accepting new connections; requests already received run to completion.
      void server.stop(false);
      const deadline = Date.now() + options.shutdownTimeoutMs;
      while (server.pendingRequests > 0 && Date.now() < deadline) await Bun.sleep(5);
      const drained = server.pendingRequests === 0;
      if (!drained) logger.warn("shutdown timeout reached; closing remaining connections", { in_flight: server.pendingRequests });
      // Idle keep-alive connections need not hold the exit.
      await server.stop(true);
      return { drained };
    },
  };
}
