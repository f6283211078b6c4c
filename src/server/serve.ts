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
  let inFlight = 0;
  let drained: (() => void) | null = null;

  const fetch = async (request: Request): Promise<Response> => {
    inFlight++;
    const started = Bun.nanoseconds();
    let status = 500;
    try {
      const response = await handler(request);
      status = response.status;
      return response;
    } finally {
      inFlight--;
      if (logRequests) {
        logger.info("request", { method: request.method, path: pathOf(request.url), status, duration_ms: Math.round((Bun.nanoseconds() - started) / 1e4) / 100 });
      }
      if (inFlight === 0 && drained !== null) drained();
    }
  };

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
    inFlight: () => inFlight,
    async shutdown() {
      const allDone = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
      // Stop accepting new connections; requests already received run to completion.
      const stopping = server.stop(false);
      let timer: Timer | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), options.shutdownTimeoutMs);
      });
      const outcome = await Promise.race([allDone.then(() => "done" as const), timedOut]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        logger.warn("shutdown timeout reached; closing remaining connections", { in_flight: inFlight });
        await server.stop(true);
        return { drained: false };
      }
      // Idle keep-alive connections need not hold the exit.
      void stopping;
      await server.stop(true);
      return { drained: true };
    },
  };
}
