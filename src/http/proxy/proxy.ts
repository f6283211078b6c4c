import type { Server } from "bun";
import { canonicalJson } from "../../engine/key.ts";
import type { ResponseCache } from "../../engine/service.ts";
import { BodyBudgetExceededError, BodyTooLargeError, discardUnreadBody, exceedsDepth, MAX_JSON_DEPTH, readBodyBytes, type BodyLimits } from "../body.ts";
import { CACHE_STATUS } from "../cache-status.ts";
import type { ApiKeyVerifier } from "../auth/verifier.ts";
import type { Logger } from "../../logging/logger.ts";
import { CONTROL_HEADERS, ControlHeaderError, readControls, type RequestControls } from "./controls.ts";
import { decodeEntry, encodeEntry, isReplayable, type ProxyEntry } from "./entry.ts";
import { Flight, FlightTable, type FlightHead } from "./flight.ts";
import type { ProxyMetrics } from "./metrics.ts";
import { TenantKeys } from "./tenant.ts";
import { callUpstream, clientResponseHeaders, readUpstreamBody, relayBody, upstreamRequestHeaders, UpstreamError } from "./upstream.ts";
import { errorBody, UpstreamRouter, upstreamUrl, type Protocol, type Route, type Upstream } from "./upstreams.ts";
import { judgeJson, StreamJudge, type Endpoint, type Verdict } from "./verdict.ts";

/** The header carrying the sidecar's own API key on proxy routes: Authorization and x-api-key belong to the upstreams. */
export const PROXY_KEY_HEADER = "x-cache-api-key";

/** Never forwarded: they speak to this cache, not to the upstream. */
const DROPPED_REQUEST_HEADERS: readonly string[] = [...CONTROL_HEADERS, PROXY_KEY_HEADER];

const JSON_TYPE = "application/json";
const UTF8 = new TextDecoder();

export interface ProxyOptions {
  readonly cache: ResponseCache;
  readonly logger: Logger;
  readonly metrics: ProxyMetrics;
  readonly upstreams: readonly Upstream[];
  /** The sidecar's API keys; open (none configured) lets every request through. */
  readonly verifier: ApiKeyVerifier;
  readonly tenants: TenantKeys;
  /** "bypass": requests sampled above temperature 0 always reach the upstream. */
  readonly sampledRequests: "cache" | "bypass";
  /** Top-level request fields that do not change the answer. */
  readonly ignoreFields: readonly string[];
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly bodyLimits: BodyLimits;
  /** CACHE_MAX_RESPONSE_BYTES: larger answers are passed on, not stored. */
  readonly maxResponseBytes: number;
}

/** What the driver of a flight learned about the answer: whether it is being stored, and if not why. */
interface FlightResult {
  readonly stored: boolean;
  readonly detail: string | null;
}

/** A cacheable request, read and keyed. */
interface Keyed {
  readonly route: Route & { readonly endpoint: Endpoint };
  readonly protocol: Protocol;
  readonly key: string;
  readonly body: Uint8Array;
  readonly stream: boolean;
  readonly model: string | null;
  readonly controls: RequestControls;
  readonly headers: Headers;
}

/**
 * The OpenAI- and Anthropic-compatible caching proxy: apps point their SDK's base URL here.
 * POSTs to the generation and embedding endpoints are answered from the cache when they can
 * be, else forwarded once however many identical requests are waiting (singleflight), with
 * the answer stored only when it is complete; everything else passes through untouched.
 */
export class CachingProxy {
  private readonly router: UpstreamRouter;
  private readonly flights = new FlightTable<FlightResult>();
  private readonly ignored: ReadonlySet<string>;

  constructor(private readonly options: ProxyOptions) {
    this.router = new UpstreamRouter(options.upstreams);
    this.ignored = new Set(options.ignoreFields);
  }

  /** Whether a request URL is the proxy's: O(upstreams) prefix checks. */
  ownsUrl(url: string): boolean {
    return this.router.ownsUrl(url);
  }

  async handle(request: Request, server?: Server<undefined>): Promise<Response> {
    const route = this.router.route(request.method, request.url);
    if (route === null) return new Response(JSON.stringify({ error: "not_found", detail: "no proxy route" }), { status: 404, headers: { "content-type": JSON_TYPE } });
    // LLM answers take longer than the server's idle timeout; the proxy bounds them itself.
    server?.timeout(request, 0);
    const protocol = route.upstream.protocol;
    if (!this.options.verifier.open) {
      const presented = request.headers.get(PROXY_KEY_HEADER)?.trim() || null;
      const outcome = this.options.verifier.check(presented, true);
      if (outcome !== "allowed") {
        const message =
          outcome === "missing" ? `this sidecar requires its API key in the ${PROXY_KEY_HEADER} header (Authorization and x-api-key go to the upstream)` : `the ${PROXY_KEY_HEADER} header does not hold a valid key for this sidecar`;
        return refuse(request, protocol, 401, `sidecar_key_${outcome}`, message);
      }
    }
    if (route.endpoint === null) return this.passThrough(request, route);

    let controls: RequestControls;
    try {
      controls = readControls(request.headers);
    } catch (error) {
      if (error instanceof ControlHeaderError) return refuse(request, protocol, 400, "invalid_cache_header", error.message);
      throw error;
    }
    let body: Uint8Array;
    try {
      body = await readBodyBytes(request, this.options.bodyLimits);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return refuse(request, protocol, 413, "request_too_large", error.message);
      if (error instanceof BodyBudgetExceededError) return refuse(request, protocol, 503, "busy", error.message, { "retry-after": "1" });
      throw error;
    }
    const endpointRoute = route as Route & { endpoint: Endpoint };
    const json = parseObject(body);
    // The upstream judges a body the proxy cannot read; such requests are never keyed.
    if (json === null) return this.bypass(request, endpointRoute, body, "unparseable_request", null, true);
    const model = typeof json.model === "string" ? json.model : null;
    if (this.options.sampledRequests === "bypass" && isSampled(endpointRoute.endpoint, json)) return this.bypass(request, endpointRoute, body, "sampled", model, json.stream === true);

    const keyed: Keyed = {
      route: endpointRoute,
      protocol,
      key: this.keyOf(endpointRoute, request.headers, json, controls.namespace),
      body,
      stream: json.stream === true,
      model,
      controls,
      headers: request.headers,
    };
    return this.answer(request, keyed);
  }

  private async answer(request: Request, keyed: Keyed): Promise<Response> {
    const { controls, key, route, protocol } = keyed;
    const endpoint = route.endpoint;
    let forwardReason = "uri-miss";
    if (controls.read) {
      const found = await this.options.cache.lookupKey(key, endpoint);
      const entry = found.hit ? decodeEntry(found.json) : null;
      if (found.hit && entry !== null) {
        const age = found.ageSeconds;
        if (controls.maxAgeSeconds === null || (age !== null && age <= controls.maxAgeSeconds)) return this.hit(keyed, entry, age);
        forwardReason = "request";
      }
    } else {
      forwardReason = "request";
    }
    if (controls.onlyIfCached) {
      this.options.metrics.recordRequest(endpoint, keyed.model, "miss");
      const headers = cacheHeaders("MISS", `${CACHE_STATUS}; fwd=${forwardReason}; detail=only-if-cached`, key);
      headers.set("x-should-retry", "false");
      return errorResponse(protocol, 504, "cache_miss", "no cached answer for this request, and Cache-Control only-if-cached forbids calling the upstream", headers);
    }
    if (controls.read) {
      const flight = this.flights.joinable(key);
      if (flight !== null) {
        this.options.metrics.recordRequest(endpoint, keyed.model, "miss");
        this.options.metrics.recordCollapsed(endpoint);
        return this.follow(request, keyed, flight, forwardReason, true);
      }
    }
    this.options.metrics.recordRequest(endpoint, keyed.model, "miss");
    const flight = new Flight<FlightResult>(this.options.maxResponseBytes);
    this.flights.add(key, flight);
    // The flight reads the upstream on its own: the clients that follow it may come and go.
    void this.drive(keyed, flight);
    return this.follow(request, keyed, flight, forwardReason, false);
  }

  private hit(keyed: Keyed, entry: ProxyEntry, ageSeconds: number | null): Response {
    this.options.metrics.recordRequest(keyed.route.endpoint, keyed.model, "hit");
    this.options.metrics.recordSaved(entry.model ?? keyed.model, entry.usage);
    const headers = new Headers(entry.headers as [string, string][]);
    headers.set("cache-status", `${CACHE_STATUS}; hit`);
    headers.set("x-cache", "HIT");
    headers.set("x-cache-key", keyed.key);
    // Entries written before ages were recorded have none to report.
    if (ageSeconds !== null) headers.set("age", String(Math.floor(ageSeconds)));
    if (entry.usage !== null) headers.set("x-cache-saved-tokens", `input=${entry.usage.inputTokens}, output=${entry.usage.outputTokens}`);
    return new Response(entry.body, { status: entry.status, headers });
  }

  /** Calls the upstream for a flight, hands the answer to its clients, and stores it when it is complete. */
  private async drive(keyed: Keyed, flight: Flight<FlightResult>): Promise<void> {
    const { route, controls, key } = keyed;
    const endpoint = route.endpoint;
    const started = performance.now();
    try {
      const response = await callUpstream(upstreamUrl(route), {
        method: "POST",
        headers: upstreamRequestHeaders(keyed.headers, DROPPED_REQUEST_HEADERS),
        body: keyed.body,
        controller: flight.controller,
        timeoutMs: this.options.timeoutMs,
        raw: false,
      });
      flight.setHead({ status: response.status, headers: clientResponseHeaders(response.headers, true) });
      const candidate = controls.store && response.status >= 200 && response.status < 300;
      // An event may be as large as a storable answer (a Responses stream ends with the whole response).
      const judge = candidate && keyed.stream ? new StreamJudge(endpoint, this.options.maxResponseBytes) : null;
      await readUpstreamBody(response.body, flight.controller, this.options.idleTimeoutMs, (bytes) => {
        flight.push(bytes);
        if (judge !== null) {
          judge.push(bytes);
          if (judge.finished) flight.markComplete();
        }
      });
      this.options.metrics.recordUpstreamSeconds(endpoint, (performance.now() - started) / 1000);
      const bodyBytes = flight.body();
      let verdict: Verdict | null = null;
      let detail: string | null;
      if (!controls.store) detail = "no-store";
      else if (!candidate) detail = `status_${response.status}`;
      else if (bodyBytes === null) detail = "too_large";
      else {
        verdict = judge !== null ? judge.end() : judgeJson(endpoint, UTF8.decode(bodyBytes));
        detail = verdict.detail;
      }
      flight.end({ stored: detail === null, detail });
      if (detail !== null || bodyBytes === null || verdict === null) {
        this.options.metrics.recordNotStored(endpoint, detail ?? "unknown");
        this.options.logger.debug("proxy answer not stored", { endpoint, upstream: route.upstream.name, status: response.status, reason: detail });
        return;
      }
      await this.store(keyed, response, bodyBytes, verdict);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (!flight.abandoned) {
        this.options.logger.warn("upstream call failed", { endpoint, upstream: route.upstream.name, error: failure.message });
        if (controls.store) this.options.metrics.recordNotStored(endpoint, failure instanceof UpstreamError ? failure.code : "upstream_broken");
      }
      flight.fail(failure);
    } finally {
      this.flights.remove(key, flight);
    }
  }

  private async store(keyed: Keyed, response: Response, bodyBytes: Uint8Array, verdict: Verdict): Promise<void> {
    const headers: [string, string][] = [];
    response.headers.forEach((value, name) => {
      if (isReplayable(name)) headers.push([name, value]);
    });
    const entry: ProxyEntry = { status: response.status, headers, stream: keyed.stream, model: verdict.model ?? keyed.model, usage: verdict.usage, body: UTF8.decode(bodyBytes) };
    try {
      await this.options.cache.storeKey(keyed.key, keyed.route.endpoint, encodeEntry(entry), keyed.controls.ttlSeconds ?? undefined);
    } catch (error) {
      // Neither tier took it (memory tier off and Redis down): the caller has its answer anyway.
      this.options.logger.warn("proxy answer could not be stored", { endpoint: keyed.route.endpoint, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /**
   * Answers one client from a flight. A streamed request gets the upstream's bytes as they
   * arrive; a non-streamed one gets the whole answer at once, with Cache-Status saying whether
   * it was stored.
   */
  private async follow(request: Request, keyed: Keyed, flight: Flight<FlightResult>, forwardReason: string, collapsed: boolean): Promise<Response> {
    const status = (head: FlightHead, result: FlightResult | null): Headers => {
      let value = `${CACHE_STATUS}; fwd=${forwardReason}; fwd-status=${head.status}`;
      if (collapsed) value += "; collapsed";
      if (result !== null) value += result.stored ? "; stored" : `; detail=${result.detail}`;
      const headers = new Headers(head.headers);
      for (const [name, header] of cacheHeaders("MISS", value, keyed.key)) headers.set(name, header);
      return headers;
    };
    if (keyed.stream) {
      let leave = (): void => {};
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          leave = flight.join({
            chunk: (bytes) => controller.enqueue(bytes),
            end: () => controller.close(),
            // Erroring the body cuts the client's connection: a truncated stream, as the upstream's
            // was. Without a reason, because the runtime prints the reason of a failed body to stderr.
            fail: () => controller.error(),
          });
        },
        cancel: () => leave(),
      });
      request.signal.addEventListener("abort", () => leave(), { once: true });
      const head = await flight.head();
      if (head instanceof Error) {
        leave();
        return failureResponse(keyed, head);
      }
      return new Response(body, { status: head.status, headers: status(head, null) });
    }
    const chunks: Uint8Array[] = [];
    const done = Promise.withResolvers<Error | null>();
    const leave = flight.join({ chunk: (bytes) => chunks.push(bytes), end: () => done.resolve(null), fail: (error) => done.resolve(error) });
    request.signal.addEventListener(
      "abort",
      () => {
        leave();
        // Nobody reads this answer any more; settle so the chunks held here are let go.
        done.resolve(new Error("the client went away"));
      },
      { once: true },
    );
    const failure = await done.promise;
    leave();
    if (failure !== null) return failureResponse(keyed, failure);
    const head = await flight.head();
    if (head instanceof Error) return failureResponse(keyed, head);
    return new Response(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), { status: head.status, headers: status(head, flight.result) });
  }

  /**
   * A cacheable endpoint whose request is not cached: forwarded as it came. A stream (or a body
   * the proxy could not read) is answered as it comes back; a non-streamed answer is read whole
   * first, so that an upstream falling silent inside it gets the same 504 as on a cached route.
   */
  private async bypass(request: Request, route: Route & { endpoint: Endpoint }, body: Uint8Array, detail: string, model: string | null, relay: boolean): Promise<Response> {
    this.options.metrics.recordRequest(route.endpoint, model, "bypass");
    const controller = new AbortController();
    request.signal.addEventListener("abort", () => controller.abort(request.signal.reason), { once: true });
    try {
      const response = await callUpstream(upstreamUrl(route), {
        method: "POST",
        headers: upstreamRequestHeaders(request.headers, DROPPED_REQUEST_HEADERS),
        body,
        controller,
        timeoutMs: this.options.timeoutMs,
        raw: false,
      });
      const headers = clientResponseHeaders(response.headers, true);
      for (const [name, value] of cacheHeaders("BYPASS", `${CACHE_STATUS}; fwd=bypass; fwd-status=${response.status}; detail=${detail}`, null)) headers.set(name, value);
      if (relay) return new Response(relayBody(response.body, controller, this.options.idleTimeoutMs), { status: response.status, headers });
      const chunks: Uint8Array[] = [];
      await readUpstreamBody(response.body, controller, this.options.idleTimeoutMs, (bytes) => chunks.push(bytes));
      return new Response(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), { status: response.status, headers });
    } catch (error) {
      return upstreamFailure(route.upstream.protocol, error, cacheHeaders("BYPASS", `${CACHE_STATUS}; fwd=bypass; detail=${detail}`, null));
    }
  }

  /** Any other request (model lists, files, stored responses...): method, path, query, headers and body as they came. */
  private async passThrough(request: Request, route: Route): Promise<Response> {
    const controller = new AbortController();
    request.signal.addEventListener("abort", () => controller.abort(request.signal.reason), { once: true });
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    try {
      const response = await callUpstream(upstreamUrl(route), {
        method: request.method,
        headers: upstreamRequestHeaders(request.headers, [PROXY_KEY_HEADER]),
        body: hasBody ? request.body : null,
        controller,
        timeoutMs: this.options.timeoutMs,
        raw: true,
      });
      return new Response(relayBody(response.body, controller, this.options.idleTimeoutMs), { status: response.status, headers: clientResponseHeaders(response.headers, false) });
    } catch (error) {
      return upstreamFailure(route.upstream.protocol, error, new Headers());
    }
  }

  /**
   * The key: the endpoint, the canonical request body (sorted keys, minus fields that do not
   * change the answer), the upstream and query string, the caller's credential as a keyed
   * hash, the namespace, and the headers that select an API version.
   */
  private keyOf(route: Route & { endpoint: Endpoint }, headers: Headers, json: Record<string, unknown>, namespace: string): string {
    let keyed: Record<string, unknown> = json;
    for (const field of this.ignored) {
      if (field in keyed) {
        if (keyed === json) keyed = { ...json };
        delete keyed[field];
      }
    }
    const options = {
      upstream: route.upstream.baseUrl,
      query: route.query === "" ? undefined : route.query,
      tenant: this.options.tenants.of(headers),
      namespace: namespace === "" ? undefined : namespace,
      version: versionHeaders(headers),
    };
    return this.options.cache.buildKey({ operation: route.endpoint, text: canonicalJson(keyed), options });
  }
}

/** Headers that select an API version or beta: the same body may be answered differently under each. */
const VERSION_HEADERS = ["anthropic-version", "anthropic-beta", "openai-beta"];

function versionHeaders(headers: Headers): string | undefined {
  let found: string | undefined;
  for (const name of VERSION_HEADERS) {
    const value = headers.get(name);
    if (value !== null) found = `${found ?? ""}${name}=${value};`;
  }
  return found;
}

/** The request body as a JSON object, or null when it is not one (or nests too deep to key safely). */
function parseObject(body: Uint8Array): Record<string, unknown> | null {
  const text = UTF8.decode(body);
  if (exceedsDepth(text, MAX_JSON_DEPTH)) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Sampled above temperature 0: an absent temperature means the provider's default, which is 1. Embeddings never sample. */
function isSampled(endpoint: Endpoint, json: Record<string, unknown>): boolean {
  if (endpoint === "openai.embeddings") return false;
  return json.temperature !== 0;
}

function cacheHeaders(xCache: "HIT" | "MISS" | "BYPASS", cacheStatus: string, key: string | null): Headers {
  const headers = new Headers({ "cache-status": cacheStatus, "x-cache": xCache });
  if (key !== null) headers.set("x-cache-key", key);
  return headers;
}

function errorResponse(protocol: Protocol, status: number, code: string, message: string, headers = new Headers()): Response {
  headers.set("content-type", JSON_TYPE);
  return new Response(errorBody(protocol, status, code, message), { status, headers });
}

/** An error answered before the request body was read: the rest of it is drained (bounded) so the client can read the answer. */
async function refuse(request: Request, protocol: Protocol, status: number, code: string, message: string, extra: Record<string, string> = {}): Promise<Response> {
  const response = errorResponse(protocol, status, code, message, new Headers(extra));
  if (!(await discardUnreadBody(request))) response.headers.set("connection", "close");
  return response;
}

/** 502 or 504 in the upstream's own error format. */
function upstreamFailure(protocol: Protocol, error: unknown, headers: Headers): Response {
  if (error instanceof UpstreamError) return errorResponse(protocol, error.status, error.code, error.message, headers);
  const message = error instanceof Error ? error.message : String(error);
  return errorResponse(protocol, 502, "upstream_broken", `the upstream's answer broke off before its end (${message})`, headers);
}

function failureResponse(keyed: Keyed, error: Error): Response {
  const headers = cacheHeaders("MISS", `${CACHE_STATUS}; fwd=uri-miss; detail=${error instanceof UpstreamError ? error.code : "upstream_broken"}`, keyed.key);
  return upstreamFailure(keyed.protocol, error, headers);
}
