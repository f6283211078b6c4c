import type { Server } from "bun";
import { canonicalJson } from "../../engine/key.ts";
import { modeReads, modeWrites, narrowMode } from "../../engine/mode.ts";
import { allows, ForbiddenError, FULL_ACCESS, missingScope, namespaceFor, type Principal } from "../auth/principal.ts";
import { LeaseConflictError } from "../../engine/errors.ts";
import { tokenScope } from "../../engine/leases/lease-store.ts";
import type { FlightEntry } from "../../engine/leases/flight-log.ts";
import type { Lease, ResponseCache } from "../../engine/service.ts";
import { BodyBudgetExceededError, BodyTooLargeError, discardUnreadBody, exceedsDepth, MAX_JSON_DEPTH, readBodyBytes, type BodyLimits } from "../body.ts";
import { CACHE_STATUS } from "../cache-status.ts";
import type { ApiKeyVerifier } from "../auth/verifier.ts";
import type { Logger } from "../../logging/logger.ts";
import { CONTROL_HEADERS, ControlHeaderError, readControls, type RequestControls } from "./controls.ts";
import { decodeEntry, encodeEntry, isReplayable, type ProxyEntry } from "./entry.ts";
import { Flight, FlightTable, type FlightHead } from "./flight.ts";
import { BoundedMemo } from "../memo.ts";
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
  /** With Redis: how long a miss waits for the same request another sidecar is making (0: never). */
  readonly coalesceWaitMs: number;
  /** After an upstream failure, serve an entry at most this far past its TTL (a request's stale-if-error overrides). */
  readonly staleIfErrorSeconds: number;
  readonly bodyLimits: BodyLimits;
  /** CACHE_MAX_RESPONSE_BYTES: larger answers are passed on, not stored. */
  readonly maxResponseBytes: number;
}

/** What the driver of a flight learned about the answer: whether it is being stored, and if not why. */
interface FlightResult {
  readonly stored: boolean;
  readonly detail: string | null;
}

/** A stale entry kept aside while the upstream is asked: the answer if the upstream fails. */
interface StaleFallback {
  readonly entry: ProxyEntry;
  readonly ageSeconds: number | null;
}

/** How long a streamed miss waits on another sidecar's lease before looking for its live answer again. */
const REMOTE_FOLLOW_STEP_MS = 100;
/** A flight log outlives its last entry by this much; late followers find the stored answer instead. */
const FLIGHT_LOG_TTL_MS = 120_000;
/** Pauses between two reads of another sidecar's flight log, while it has nothing new. */
const REMOTE_POLL_MIN_MS = 5;
const REMOTE_POLL_MAX_MS = 50;

/** Upstream answers after which a stale entry may stand in (RFC 5861 stale-if-error). */
const isUpstreamFailure = (status: number): boolean => status === 429 || status >= 500;

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
  private readonly requests = new BoundedMemo<string, ParsedRequest>(MEMO_SLOTS);
  private readonly entries = new BoundedMemo<string, { readonly json: string; readonly entry: ProxyEntry }>(MEMO_SLOTS);
  /** A plain hit's headers, by remembered entry (dropped with it). */
  private readonly hitHeaders = new WeakMap<ProxyEntry, { readonly key: string; readonly headers: Headers }>();

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
    let principal: Principal = FULL_ACCESS;
    if (!this.options.verifier.open) {
      const presented = request.headers.get(PROXY_KEY_HEADER)?.trim() || null;
      const found = presented === null ? null : this.options.verifier.identify(presented);
      if (found === null) {
        const message =
          presented === null ? `this sidecar requires its API key in the ${PROXY_KEY_HEADER} header (Authorization and x-api-key go to the upstream)` : `the ${PROXY_KEY_HEADER} header does not hold a valid key for this sidecar`;
        return refuse(request, protocol, 401, `sidecar_key_${presented === null ? "missing" : "invalid"}`, message);
      }
      if (!allows(found, "data")) return refuse(request, protocol, 403, "sidecar_key_scope", missingScope("data").message);
      principal = found;
    }
    if (route.endpoint === null) return this.passThrough(request, route);

    let controls: RequestControls;
    try {
      controls = this.effective(readControls(request.headers), principal);
    } catch (error) {
      if (error instanceof ControlHeaderError) return refuse(request, protocol, 400, "invalid_cache_header", error.message);
      if (error instanceof ForbiddenError) return refuse(request, protocol, 403, "sidecar_key_namespace", error.message);
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
    const parsed = this.parse(body);
    // The upstream judges a body the proxy cannot read; such requests are never keyed.
    if (parsed === null) return this.bypass(request, endpointRoute, body, "unparseable_request", null, true);
    const { model, stream } = parsed;
    // Sampled above temperature 0: an absent temperature means the provider's default, which is 1. Embeddings never sample.
    if (this.options.sampledRequests === "bypass" && !parsed.greedy && endpointRoute.endpoint !== "openai.embeddings") {
      return this.bypass(request, endpointRoute, body, "sampled", model, stream);
    }
    // Neither read nor written (CACHE_MODE or X-Cache-Mode off): straight through, as a bypass.
    if (controls.mode === "off") return this.bypass(request, endpointRoute, body, "mode_off", model, stream);

    const keyed: Keyed = {
      route: endpointRoute,
      protocol,
      key: this.keyOf(endpointRoute, request.headers, parsed, controls.namespace),
      body,
      stream,
      model,
      controls,
      headers: request.headers,
    };
    return this.answer(request, keyed);
  }

  /**
   * The controls a request gets: the namespace of a bound key (naming another is refused), and
   * the cache mode narrowed by X-Cache-Mode, applied as no-cache (not reading: no stale answers
   * either) and no-store (not writing).
   */
  private effective(controls: RequestControls, principal: Principal): RequestControls {
    const namespace = namespaceFor(principal, controls.namespace === "" ? undefined : controls.namespace) ?? "";
    const mode = narrowMode(this.options.cache.mode, controls.mode);
    if (mode === "read_write" && namespace === controls.namespace) return controls;
    const reads = modeReads(mode);
    return {
      ...controls,
      namespace,
      mode,
      read: controls.read && reads,
      store: controls.store && modeWrites(mode),
      staleIfErrorSeconds: reads ? controls.staleIfErrorSeconds : 0,
      maxStaleSeconds: reads ? controls.maxStaleSeconds : null,
    };
  }

  private async answer(request: Request, keyed: Keyed): Promise<Response> {
    const { controls, key, route, protocol } = keyed;
    const endpoint = route.endpoint;
    let forwardReason = controls.read ? "uri-miss" : "request";
    const staleIfError = controls.staleIfErrorSeconds ?? this.options.staleIfErrorSeconds;
    const maxStale = controls.maxStaleSeconds ?? 0;
    let fallback: StaleFallback | null = null;
    if (controls.read || staleIfError > 0) {
      const found = await this.options.cache.lookupKey(key, endpoint, Math.max(maxStale, staleIfError));
      const entry = found.hit ? this.entryOf(key, found.json) : null;
      if (found.hit && entry !== null) {
        const age = found.ageSeconds;
        const stalePast = found.staleSeconds ?? 0;
        // Kept aside in case the upstream fails: what stale-if-error may answer instead.
        const kept = staleIfError > 0 && stalePast <= staleIfError ? { entry, ageSeconds: age } : null;
        if (!controls.read) {
          fallback = kept;
        } else if (found.stale !== true) {
          if (controls.maxAgeSeconds === null || (age !== null && age <= controls.maxAgeSeconds)) return this.hit(keyed, entry, age);
          forwardReason = "request";
        } else if (maxStale > 0 && stalePast <= maxStale) {
          return this.serveWhileRefreshing(keyed, entry, age);
        } else {
          fallback = kept;
          forwardReason = "stale";
        }
      }
    }
    if (controls.onlyIfCached) {
      this.options.metrics.recordRequest(endpoint, keyed.model, "miss");
      const headers = cacheHeaders("MISS", `${CACHE_STATUS}; fwd=${forwardReason}; detail=only-if-cached`, key);
      headers.set("x-should-retry", "false");
      return errorResponse(protocol, 504, "cache_miss", "no cached answer for this request, and Cache-Control only-if-cached forbids calling the upstream", headers);
    }
    if (controls.read) {
      const joined = this.joinFlight(request, keyed, forwardReason, fallback);
      if (joined !== null) return joined;
    }
    let lease: Lease | null = null;
    if (controls.read && this.options.coalesceWaitMs > 0 && this.options.cache.redis.configured) {
      // Single flight across sidecars: another may be asking the upstream the same question.
      const deadline = performance.now() + this.options.coalesceWaitMs;
      for (;;) {
        const remaining = Math.max(0, deadline - performance.now());
        // A stream waits in short steps: between them it looks for the leader's answer to follow live.
        const waitMs = keyed.stream ? Math.min(REMOTE_FOLLOW_STEP_MS, remaining) : remaining;
        const waited = await this.options.cache.awaitLease(key, { waitMs });
        const entry = waited.hit ? this.entryOf(key, waited.json) : null;
        if (waited.hit && entry !== null) {
          this.options.metrics.recordCollapsed(endpoint);
          return this.hit(keyed, entry, waited.ageSeconds, true);
        }
        if (!waited.hit && waited.lease !== undefined) lease = waited.lease;
        if (waited.hit || waited.pending !== true || !keyed.stream || waitMs >= remaining) break;
        const live = await this.followRemote(request, keyed, forwardReason);
        if (live !== null) return live;
      }
      // A caller of this sidecar may have taken a lease over while this one waited.
      const joined = lease === null ? this.joinFlight(request, keyed, forwardReason, fallback) : null;
      if (joined !== null) return joined;
    }
    this.options.metrics.recordRequest(endpoint, keyed.model, "miss");
    const flight = new Flight<FlightResult>(this.options.maxResponseBytes);
    this.flights.add(key, flight);
    // The flight reads the upstream on its own: the clients that follow it may come and go.
    void this.drive(keyed, flight, lease);
    return this.follow(request, keyed, flight, forwardReason, false, fallback);
  }

  /**
   * Follows, live, a streamed answer another sidecar is receiving under the key's lease: its
   * flight log in Redis, read from the start (head, every piece in order, the end). Null when
   * there is no log yet. A lost piece, a broken upstream or a log that stops growing for
   * PROXY_IDLE_TIMEOUT_MS cuts the answer off, as a broken upstream stream would.
   */
  private async followRemote(request: Request, keyed: Keyed, forwardReason: string): Promise<Response | null> {
    const log = this.options.cache.flightLog;
    if (log === null) return null;
    let read: Awaited<ReturnType<typeof log.read>>;
    try {
      read = await log.read(keyed.key, "0-0");
    } catch {
      return null;
    }
    const head = read[0]?.entry;
    if (head?.type !== "head") return null;
    this.options.metrics.recordRequest(keyed.route.endpoint, keyed.model, "miss");
    this.options.metrics.recordCollapsed(keyed.route.endpoint);
    let lastId = read.at(-1)!.id;
    const queue: (FlightEntry | null)[] = read.slice(1).map((item) => item.entry);
    let next = 0;
    let expected = 0;
    let gone = false;
    request.signal.addEventListener("abort", () => (gone = true), { once: true });
    const idleTimeoutMs = this.options.idleTimeoutMs;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let quietSince = performance.now();
        let pause = REMOTE_POLL_MIN_MS;
        for (;;) {
          if (next < queue.length) {
            const entry = queue[next++]!;
            if (entry?.type === "chunk" && entry.seq === expected) {
              expected++;
              controller.enqueue(entry.bytes);
              return;
            }
            if (entry?.type === "end" && entry.complete) controller.close();
            // A lost piece, an unreadable entry, or an upstream that broke off: cut the answer.
            else controller.error();
            return;
          }
          if (gone) return;
          if (performance.now() - quietSince > idleTimeoutMs) return controller.error();
          await Bun.sleep(pause);
          pause = Math.min(pause * 2, REMOTE_POLL_MAX_MS);
          try {
            const more = await log.read(keyed.key, lastId);
            if (more.length > 0) {
              lastId = more.at(-1)!.id;
              queue.length = 0;
              next = 0;
              for (const item of more) queue.push(item.entry);
              quietSince = performance.now();
              pause = REMOTE_POLL_MIN_MS;
            }
          } catch {
            return controller.error();
          }
        }
      },
      cancel: () => {
        gone = true;
      },
    });
    const headers = new Headers(head.headers);
    for (const [name, value] of cacheHeaders("MISS", `${CACHE_STATUS}; fwd=${forwardReason}; fwd-status=${head.status}; collapsed`, keyed.key)) headers.set(name, value);
    return new Response(body, { status: head.status, headers });
  }

  /** Follows the flight this sidecar already has for the key, if any. */
  private joinFlight(request: Request, keyed: Keyed, forwardReason: string, fallback: StaleFallback | null): Promise<Response> | null {
    const flight = this.flights.joinable(keyed.key);
    if (flight === null) return null;
    this.options.metrics.recordRequest(keyed.route.endpoint, keyed.model, "miss");
    this.options.metrics.recordCollapsed(keyed.route.endpoint);
    return this.follow(request, keyed, flight, forwardReason, true, fallback);
  }

  /**
   * Stale-while-revalidate: the stale entry answers now, and one refresh is started unless one
   * is under way (a flight on this sidecar, or another sidecar's lease).
   */
  private async serveWhileRefreshing(keyed: Keyed, entry: ProxyEntry, ageSeconds: number | null): Promise<Response> {
    if (this.flights.joinable(keyed.key) === null) {
      const lease = await this.options.cache.coalescer.tryLease(keyed.key, this.options.cache.leasePolicy.defaultTtlMs);
      if (lease !== null && this.flights.joinable(keyed.key) === null) {
        const flight = new Flight<FlightResult>(this.options.maxResponseBytes);
        this.flights.add(keyed.key, flight);
        void this.drive(keyed, flight, lease);
      } else if (lease !== null) {
        void this.options.cache.releaseLease(keyed.key, lease.token, 0).catch(() => {});
      }
    }
    return this.staleAnswer(keyed, entry, ageSeconds, `${CACHE_STATUS}; hit; stale; detail=revalidating`);
  }

  /** A stale entry, disclosed: X-Cache STALE, Cache-Status saying why, and its Age. */
  private staleAnswer(keyed: Keyed, entry: ProxyEntry, ageSeconds: number | null, cacheStatus: string): Response {
    return this.fromCache(keyed, entry, ageSeconds, "stale", cacheStatus);
  }

  /** Stale-if-error: the upstream failed (`status` 429 or 5xx, or no answer at all). */
  private staleOnError(keyed: Keyed, fallback: StaleFallback, status: number | string): Response {
    return this.staleAnswer(keyed, fallback.entry, fallback.ageSeconds, `${CACHE_STATUS}; fwd=stale; fwd-status=${status}`);
  }

  private hit(keyed: Keyed, entry: ProxyEntry, ageSeconds: number | null, collapsed = false): Response {
    return this.fromCache(keyed, entry, ageSeconds, "hit", collapsed ? `${CACHE_STATUS}; hit; collapsed` : PLAIN_HIT);
  }

  /** An answer from a stored entry, fresh (a hit) or stale: the stored body unchanged, the cache's headers added. */
  private fromCache(keyed: Keyed, entry: ProxyEntry, ageSeconds: number | null, outcome: "hit" | "stale", cacheStatus: string): Response {
    this.options.metrics.recordRequest(keyed.route.endpoint, keyed.model, outcome);
    this.options.metrics.recordSaved(entry.model ?? keyed.model, entry.usage);
    const response = new Response(entry.body, { status: entry.status, headers: this.cacheHeaders(keyed.key, entry, outcome, cacheStatus) });
    // Entries written before ages were recorded have none to report.
    if (ageSeconds !== null) response.headers.set("age", String(Math.floor(ageSeconds)));
    return response;
  }

  /**
   * The stored headers plus the cache's own. A plain hit's are built once per remembered entry
   * (the Response copies them), so a hit builds no Headers of its own.
   */
  private cacheHeaders(key: string, entry: ProxyEntry, outcome: "hit" | "stale", cacheStatus: string): Headers {
    const plainHit = outcome === "hit" && cacheStatus === PLAIN_HIT;
    if (plainHit) {
      const built = this.hitHeaders.get(entry);
      if (built !== undefined && built.key === key) return built.headers;
    }
    const headers = new Headers(entry.headers as [string, string][]);
    headers.set("cache-status", cacheStatus);
    headers.set("x-cache", outcome === "hit" ? "HIT" : "STALE");
    headers.set("x-cache-key", key);
    if (outcome === "hit" && entry.usage !== null) headers.set("x-cache-saved-tokens", `input=${entry.usage.inputTokens}, output=${entry.usage.outputTokens}`);
    if (plainHit) this.hitHeaders.set(entry, { key, headers });
    return headers;
  }

  /**
   * Calls the upstream for a flight, hands the answer to its clients, and stores it when it is
   * complete. Under a lease (other sidecars wait for this answer) the lease is renewed while the
   * call lasts, the store is made with its token, and an answer that is not stored gives the
   * lease up: at once after a failure, as hit-for-miss when the answer itself is not cacheable.
   */
  private async drive(keyed: Keyed, flight: Flight<FlightResult>, lease: Lease | null): Promise<void> {
    const { route, controls, key } = keyed;
    const endpoint = route.endpoint;
    const started = performance.now();
    const cache = this.options.cache;
    let leaseUsed = false;
    const renewal = lease === null ? null : setInterval(() => void cache.renewLease(key, lease.token, lease.ttlMs).catch(() => {}), Math.max(50, Math.floor(lease.ttlMs / 3)));
    let notCacheable = false;
    // Other sidecars waiting on this lease follow a streamed answer live, through Redis.
    const log = lease !== null && keyed.stream && tokenScope(lease.token) === "redis" ? (cache.flightLog?.writer(key, FLIGHT_LOG_TTL_MS) ?? null) : null;
    try {
      const response = await callUpstream(upstreamUrl(route), {
        method: "POST",
        headers: upstreamRequestHeaders(keyed.headers, DROPPED_REQUEST_HEADERS),
        body: keyed.body,
        controller: flight.controller,
        timeoutMs: this.options.timeoutMs,
        raw: false,
      });
      const head = clientResponseHeaders(response.headers, true);
      flight.setHead({ status: response.status, headers: head });
      log?.head(response.status, [...head]);
      const candidate = controls.store && response.status >= 200 && response.status < 300;
      // An event may be as large as a storable answer (a Responses stream ends with the whole response).
      const judge = candidate && keyed.stream ? new StreamJudge(endpoint, this.options.maxResponseBytes) : null;
      await readUpstreamBody(response.body, flight.controller, this.options.idleTimeoutMs, (bytes) => {
        flight.push(bytes);
        log?.chunk(bytes);
        if (judge !== null) {
          judge.push(bytes);
          if (judge.finished) flight.markComplete();
        }
      });
      this.options.metrics.recordUpstreamSeconds(endpoint, (performance.now() - started) / 1000);
      log?.end(true);
      const bodyBytes = flight.body();
      let verdict: Verdict | null = null;
      let detail: string | null;
      if (!controls.store) detail = controls.mode === "read_only" ? "mode_read_only" : "no-store";
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
        // The answer was whole but may not be cached: the next identical request would fare the same.
        notCacheable = candidate && controls.store;
        return;
      }
      leaseUsed = await this.store(keyed, response, bodyBytes, verdict, lease);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (!flight.abandoned) {
        this.options.logger.warn("upstream call failed", { endpoint, upstream: route.upstream.name, error: failure.message });
        if (controls.store) this.options.metrics.recordNotStored(endpoint, failure instanceof UpstreamError ? failure.code : "upstream_broken");
      }
      log?.end(false);
      flight.fail(failure);
    } finally {
      if (renewal !== null) clearInterval(renewal);
      this.flights.remove(key, flight);
      if (lease !== null && !leaseUsed) void cache.releaseLease(key, lease.token, notCacheable ? cache.leasePolicy.hitForMissMs : 0).catch(() => {});
    }
  }

  /** Stores a complete answer; true when the lease, if any, was used up by the store. */
  private async store(keyed: Keyed, response: Response, bodyBytes: Uint8Array, verdict: Verdict, lease: Lease | null): Promise<boolean> {
    const headers: [string, string][] = [];
    response.headers.forEach((value, name) => {
      if (isReplayable(name)) headers.push([name, value]);
    });
    const entry: ProxyEntry = { status: response.status, headers, stream: keyed.stream, model: verdict.model ?? keyed.model, usage: verdict.usage, body: UTF8.decode(bodyBytes) };
    try {
      await this.options.cache.storeKey(keyed.key, keyed.route.endpoint, encodeEntry(entry), { ttlSeconds: keyed.controls.ttlSeconds ?? undefined, leaseToken: lease?.token, tags: keyed.controls.tags });
      return true;
    } catch (error) {
      if (error instanceof LeaseConflictError) {
        // Deleted or invalidated while the upstream answered: this answer may be the old one.
        this.options.logger.debug("proxy answer not stored: its lease was voided", { endpoint: keyed.route.endpoint });
        return true;
      }
      // Neither tier took it (memory tier off and Redis down): the caller has its answer anyway.
      this.options.logger.warn("proxy answer could not be stored", { endpoint: keyed.route.endpoint, error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  /**
   * Answers one client from a flight. A streamed request gets the upstream's bytes as they
   * arrive; a non-streamed one gets the whole answer at once, with Cache-Status saying whether
   * it was stored.
   */
  private async follow(request: Request, keyed: Keyed, flight: Flight<FlightResult>, forwardReason: string, collapsed: boolean, fallback: StaleFallback | null = null): Promise<Response> {
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
      if (head instanceof Error || (fallback !== null && isUpstreamFailure(head.status))) {
        leave();
        if (fallback !== null) return this.staleOnError(keyed, fallback, head instanceof Error ? failureStatus(head) : head.status);
        return failureResponse(keyed, head as Error);
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
    if (failure !== null) return fallback !== null ? this.staleOnError(keyed, fallback, failureStatus(failure)) : failureResponse(keyed, failure);
    const head = await flight.head();
    if (head instanceof Error) return fallback !== null ? this.staleOnError(keyed, fallback, failureStatus(head)) : failureResponse(keyed, head);
    if (fallback !== null && isUpstreamFailure(head.status)) return this.staleOnError(keyed, fallback, head.status);
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
  private keyOf(route: Route & { endpoint: Endpoint }, headers: Headers, parsed: ParsedRequest, namespace: string): string {
    const tenant = this.options.tenants.of(headers);
    const version = versionHeaders(headers);
    // Everything but the body that enters the key, unambiguously: a remembered body (see parse)
    // keeps the keys built for it, so a hit skips the canonical options and both SHA-256 digests.
    const material = JSON.stringify([namespace, tenant ?? null, version ?? null, route.upstream.baseUrl, route.query]);
    const known = parsed.keys?.get(material);
    if (known !== undefined) return known;
    const options = { upstream: route.upstream.baseUrl, query: route.query === "" ? undefined : route.query, tenant, version };
    // The namespace is the key's own segment, so namespace invalidation and scoped keys cover proxy entries.
    const key = this.options.cache.buildKey({ namespace: namespace === "" ? null : namespace, operation: route.endpoint, text: parsed.canonical, options });
    parsed.keys ??= new Map();
    // A handful of callers (credentials, namespaces) per body; more only under a flood of them.
    if (parsed.keys.size >= KEYS_PER_BODY) parsed.keys.clear();
    parsed.keys.set(material, key);
    return key;
  }

  /**
   * What keying needs of a request body: its canonical JSON (sorted keys, minus the ignored
   * fields) and the fields the proxy reads. A hit is a body seen before, so the answer is
   * remembered by the body's text (bodies up to MEMO_MAX_BODY_CHARS): parsing and canonicalising
   * a chat request costs more than the rest of a hit together.
   */
  private parse(body: Uint8Array): ParsedRequest | null {
    const text = UTF8.decode(body);
    const small = text.length <= MEMO_MAX_BODY_CHARS;
    const known = small ? this.requests.get(text) : undefined;
    if (known !== undefined) return known;
    const json = parseObject(text);
    if (json === null) return null;
    let keyed: Record<string, unknown> = json;
    for (const field of this.ignored) {
      if (field in keyed) {
        if (keyed === json) keyed = { ...json };
        delete keyed[field];
      }
    }
    const parsed: ParsedRequest = { canonical: canonicalJson(keyed), model: typeof json.model === "string" ? json.model : null, stream: json.stream === true, greedy: json.temperature === 0 };
    if (small) this.requests.set(text, parsed);
    return parsed;
  }

  /** The stored entry behind a hit; decoded once per stored text (the memory tier hands back the same string). */
  private entryOf(key: string, json: string): ProxyEntry | null {
    const known = this.entries.get(key);
    if (known !== undefined && known.json === json) return known.entry;
    const entry = decodeEntry(json);
    if (entry !== null && json.length <= MEMO_MAX_ENTRY_CHARS) this.entries.set(key, { json, entry });
    return entry;
  }
}

/** What keying needs of a request body (see CachingProxy.parse). */
interface ParsedRequest {
  readonly canonical: string;
  readonly model: string | null;
  readonly stream: boolean;
  /** temperature 0: never sampled. */
  readonly greedy: boolean;
  /** Keys built for this body, by everything else that enters a key (see keyOf). */
  keys?: Map<string, string>;
}

const KEYS_PER_BODY = 16;
const PLAIN_HIT = `${CACHE_STATUS}; hit`;

/** Memo bounds: at most about 512 × (16 K + 16 K) characters of bodies, and 512 entries of up to 64 K. */
const MEMO_SLOTS = 512;
const MEMO_MAX_BODY_CHARS = 16_384;
const MEMO_MAX_ENTRY_CHARS = 65_536;

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
function parseObject(text: string): Record<string, unknown> | null {
  if (exceedsDepth(text, MAX_JSON_DEPTH)) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
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

/** The status a failed upstream call is answered with: 502 unreachable or broken, 504 timed out. */
function failureStatus(error: Error): number {
  return error instanceof UpstreamError ? error.status : 502;
}

function failureResponse(keyed: Keyed, error: Error): Response {
  const headers = cacheHeaders("MISS", `${CACHE_STATUS}; fwd=uri-miss; detail=${error instanceof UpstreamError ? error.code : "upstream_broken"}`, keyed.key);
  return upstreamFailure(keyed.protocol, error, headers);
}
