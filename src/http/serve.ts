import type { Server } from "bun";
import { BODY_DISCARD_LIMIT_BYTES } from "./body.ts";
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

type FetchHandler = (request: Request, server: Server<undefined>) => Response | Promise<Response>;

/** Path of a request URL without parsing the whole URL. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const query = url.indexOf("?", start);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}

/**
 * Elysia finds the path by searching for "/" from the 12th character of the URL, which assumes
 * an authority of at least four characters ("http://a.bc/"). Requests with a shorter Host, or
 * none (HTTP/1.0, where the URL is only the path), are given the loopback name instead. Every
 * request pays one look at its URL (a few nanoseconds); only the rare short-host request is
 * rebuilt, its body passed on unread.
 */
function withRoutableUrl(handler: FetchHandler): FetchHandler {
  return (request, server) => {
    const url = request.url;
    const pathOnly = url.charCodeAt(0) === 47; // "/"
    if (!pathOnly && url.indexOf("/", 7) >= 11) return handler(request, server);
    const start = pathOnly ? 0 : url.indexOf("/", 7);
    return handler(new Request(`http://localhost${start < 0 ? "/" : url.slice(start)}`, request), server);
  };
}

/**
 * Serves a fetch handler with one access-log line per request and graceful shutdown. Logging
 * wraps the handler here instead of using framework lifecycle hooks, which measurably slow
 * every route (see BENCHMARKS.md).
 */
export function serve(handler: FetchHandler, options: ServeOptions): RunningServer {
  const { logger } = options;
  const logRequests = logger.enabled("info");

  // Without an access log the framework's handler is served without an async wrapper: wrapping
  // every request in another async function costs measurable throughput (see BENCHMARKS.md).
  const logged = logRequests
    ? async (request: Request, server: Server<undefined>): Promise<Response> => {
        const started = Bun.nanoseconds();
        let status = 500;
        try {
          const response = await handler(request, server);
          status = response.status;
          return response;
        } finally {
          logger.info("request", { method: request.method, path: pathOf(request.url), status, duration_ms: Math.round((Bun.nanoseconds() - started) / 1e4) / 100 });
        }
      }
    : handler;
  const fetch = withRoutableUrl(logged);

  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    // The application refuses bodies over MAX_BODY_BYTES with a JSON 413, reading and throwing
    // away up to this much more so the sender can read it; past this the runtime closes the
    // connection (at once for a declared length).
    maxRequestBodySize: options.maxBodyBytes + BODY_DISCARD_LIMIT_BYTES,
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
