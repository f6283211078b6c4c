import type { Server } from "bun";
import { BODY_DISCARD_LIMIT_BYTES } from "./body.ts";
import { pathOf } from "./path.ts";
import { requestContext, type RequestContext } from "../logging/context.ts";
import type { Logger } from "../logging/logger.ts";
import type { HttpMetrics } from "./prometheus/http-metrics.ts";

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly logger: Logger;
  /** Counts every request by route template and status for /metrics. */
  readonly httpMetrics?: HttpMetrics;
  /**
   * Paths the runtime's router answers before `handler` is asked (by method; other methods fall
   * through to `handler`), with the same request id, access log and metrics as every request:
   * the hot routes (see createHttp) and the liveness probe.
   */
  readonly routes?: Readonly<Record<string, Readonly<Record<string, FetchHandler>>>>;
  /**
   * Routes as above whose handler answers at once and writes no log line (the liveness probe):
   * the same id, access log and metrics, but not run in the log context, so answering one never
   * makes that context's storage (~2 ms in a fresh process, see logging/context.ts).
   */
  readonly plainRoutes?: Readonly<Record<string, Readonly<Record<string, (request: Request) => Response>>>>;
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

/** Probes and scrapes: logged at debug, so a kubelet and a Prometheus do not fill the log. */
const QUIET_PATHS = new Set(["/health", "/ready", "/metrics"]);

const MAX_ID_LENGTH = 128;
/** A header value we may copy into logs and answers: 1 to 128 visible ASCII characters (a loop, no regex). */
function usableId(value: string | null): value is string {
  if (value === null || value.length === 0 || value.length > MAX_ID_LENGTH) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

/**
 * Generated ids: this process's random prefix (48 bits, 12 hex digits) and a counter, unique
 * without a random draw per request. Math.random (seeded per process from the system's random
 * source) is enough for ids, which are not secrets; crypto and Buffer would cost a fresh process
 * ~1 ms before it first answers.
 */
const ID_PREFIX = Math.floor(Math.random() * 2 ** 48)
  .toString(16)
  .padStart(12, "0");
let idSequence = 0;

/** The request's context: its X-Request-Id (or a new one) and its traceparent, when usable. */
function contextOf(request: Request): RequestContext {
  const given = request.headers.get("x-request-id");
  const request_id = usableId(given) ? given : `${ID_PREFIX}-${(++idSequence).toString(36)}`;
  const traceparent = request.headers.get("traceparent");
  return usableId(traceparent) ? { request_id, traceparent } : { request_id };
}

/**
 * Serves a fetch handler with graceful shutdown and, per request: an id (X-Request-Id, taken
 * or generated, echoed on the answer and in every log line written while answering it), one
 * access-log line (debug for probes and scrapes), and the HTTP series of /metrics. This wraps
 * the handler here instead of using framework lifecycle hooks, which measurably slow every
 * route (see BENCHMARKS.md); its cost is two header reads, one header write, entering the log
 * context and a metrics record, well under a microsecond.
 */
export function serve(handler: FetchHandler, options: ServeOptions): RunningServer {
  const { logger, httpMetrics } = options;
  const logInfo = logger.enabled("info");
  const logDebug = logger.enabled("debug");

  const observe = (answer: FetchHandler, inContext = true) => async (request: Request, server: Server<undefined>): Promise<Response> => {
    const started = Bun.nanoseconds();
    const context = contextOf(request);
    let status = 500;
    try {
      const response = inContext ? await requestContext.run(context, answer, request, server) : await answer(request, server);
      status = response.status;
      // A proxied upstream answer keeps the upstream's own id (the SDKs report it); ours goes on the rest.
      if (!response.headers.has("x-request-id")) response.headers.set("x-request-id", context.request_id);
      return response;
    } finally {
      const seconds = (Bun.nanoseconds() - started) / 1e9;
      const path = pathOf(request.url);
      httpMetrics?.record(request.method, path, status, seconds);
      const quiet = QUIET_PATHS.has(path);
      if (quiet ? logDebug : logInfo) {
        const fields = { ...context, method: request.method, path, status, duration_ms: Math.round(seconds * 1e5) / 100 };
        if (quiet) logger.debug("request", fields);
        else logger.info("request", fields);
      }
    }
  };
  const fetch = withRoutableUrl(observe(handler));
  // The same per-request wrapper around each of the runtime's routes; it matches their paths natively.
  const wrap = (table: Readonly<Record<string, Readonly<Record<string, FetchHandler>>>>, inContext: boolean) =>
    Object.entries(table).map(([path, methods]) => [path, Object.fromEntries(Object.entries(methods).map(([method, route]) => [method, observe(route, inContext)]))] as const);
  const routes = Object.fromEntries([...wrap(options.routes ?? {}, true), ...wrap(options.plainRoutes ?? {}, false)]);

  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    // The application refuses bodies over MAX_BODY_BYTES with a JSON 413, reading and throwing
    // away up to this much more so the sender can read it; past this the runtime closes the
    // connection (at once for a declared length).
    maxRequestBodySize: options.maxBodyBytes + BODY_DISCARD_LIMIT_BYTES,
    routes,
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
