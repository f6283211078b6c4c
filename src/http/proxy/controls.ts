import { MAX_TAGS, NAMESPACE_PATTERN } from "../../engine/key.ts";
import { isCacheMode, type CacheMode } from "../../engine/mode.ts";
import { tagsProblem } from "../../engine/tags.ts";

/**
 * What a caller asks of the cache, per request, in headers the proxy reads and never
 * forwards: `Cache-Control` (no-cache, no-store, max-age=N, only-if-cached, max-stale[=N],
 * stale-if-error=N), `X-Cache-TTL`, `X-Cache-Namespace`, `X-Cache-Tags` and `X-Cache-Mode`.
 */
export interface RequestControls {
  /** False for no-cache: skip the read, still store the fresh answer. */
  readonly read: boolean;
  /** False for no-store. */
  readonly store: boolean;
  /** Accept only entries at most this old (max-age=N); null: any age. */
  readonly maxAgeSeconds: number | null;
  /** only-if-cached: answer 504 on a miss rather than call the upstream. */
  readonly onlyIfCached: boolean;
  /** X-Cache-TTL; null: the endpoint's TTL. */
  readonly ttlSeconds: number | null;
  /** X-Cache-Namespace; "" when unset. Entries of different namespaces never meet. */
  readonly namespace: string;
  /** max-stale[=N]: a stale entry at most N seconds past its TTL answers at once while it is refreshed; null: none. */
  readonly maxStaleSeconds: number | null;
  /** stale-if-error=N: after an upstream failure, a stale entry at most N seconds past its TTL answers; null: the setting. */
  readonly staleIfErrorSeconds: number | null;
  /** X-Cache-Tags: names under which the stored answer can be invalidated together. */
  readonly tags: readonly string[];
  /** X-Cache-Mode: narrows CACHE_MODE for this request; undefined: the operator's mode. */
  readonly mode: CacheMode | undefined;
}

/** A control header the proxy cannot honour: answered 400, naming the header. */
export class ControlHeaderError extends Error {
  constructor(
    readonly header: string,
    problem: string,
  ) {
    super(`${header}: ${problem}`);
    this.name = "ControlHeaderError";
  }
}

/** Request headers that speak to the cache, never to the upstream. */
export const CONTROL_HEADERS = ["cache-control", "pragma", "x-cache-ttl", "x-cache-namespace", "x-cache-tags", "x-cache-mode"] as const;

const MAX_TTL_SECONDS = 365 * 86_400;
const NAMESPACE = new RegExp(NAMESPACE_PATTERN);

export const DEFAULT_CONTROLS: RequestControls = {
  read: true,
  store: true,
  maxAgeSeconds: null,
  onlyIfCached: false,
  ttlSeconds: null,
  namespace: "",
  maxStaleSeconds: null,
  staleIfErrorSeconds: null,
  tags: [],
  mode: undefined,
};

/** A bare max-stale accepts any staleness (RFC 9111 5.2.1.2): as far as a stale window can reach. */
const ANY_STALENESS_SECONDS = 30 * 86_400;

function seconds(value: string | undefined, directive: string): number {
  if (value === undefined || !/^\d{1,10}$/.test(value)) throw new ControlHeaderError("Cache-Control", `${directive} needs a whole number of seconds, e.g. ${directive}=300`);
  return Number(value);
}

/** Reads the control headers; throws ControlHeaderError for a value it cannot honour. O(header length). */
export function readControls(headers: Headers): RequestControls {
  const cacheControl = headers.get("cache-control");
  const ttl = headers.get("x-cache-ttl");
  const namespace = headers.get("x-cache-namespace");
  const tagList = headers.get("x-cache-tags");
  const mode = headers.get("x-cache-mode");
  // Most requests carry none of them.
  if (cacheControl === null && ttl === null && namespace === null && tagList === null && mode === null && headers.get("pragma") === null) return DEFAULT_CONTROLS;
  let read = true;
  let store = true;
  let maxAgeSeconds: number | null = null;
  let onlyIfCached = false;
  let maxStaleSeconds: number | null = null;
  let staleIfErrorSeconds: number | null = null;
  // HTTP/1.0's `Pragma: no-cache` means Cache-Control no-cache when Cache-Control is absent (RFC 9111 5.4).
  if (cacheControl === null && /(^|,)\s*no-cache\s*(,|$)/i.test(headers.get("pragma") ?? "")) read = false;
  for (const directive of (cacheControl ?? "").split(",")) {
    const [rawName = "", rawValue] = directive.split("=", 2);
    const name = rawName.trim().toLowerCase();
    const value = rawValue?.trim().replace(/^"(.*)"$/, "$1");
    if (name === "no-cache") read = false;
    else if (name === "no-store") store = false;
    else if (name === "only-if-cached") onlyIfCached = true;
    else if (name === "max-age") maxAgeSeconds = seconds(value, "max-age");
    else if (name === "max-stale") maxStaleSeconds = value === undefined ? ANY_STALENESS_SECONDS : seconds(value, "max-stale");
    else if (name === "stale-if-error") staleIfErrorSeconds = seconds(value, "stale-if-error");
    // Other directives (no-transform...) have no meaning for this cache and are ignored, as RFC 9111 asks.
  }
  let ttlSeconds: number | null = null;
  if (ttl !== null) {
    const trimmed = ttl.trim();
    if (!/^\d{1,9}$/.test(trimmed) || Number(trimmed) < 1 || Number(trimmed) > MAX_TTL_SECONDS) {
      throw new ControlHeaderError("X-Cache-TTL", `expected a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`);
    }
    ttlSeconds = Number(trimmed);
  }
  if (namespace !== null && !NAMESPACE.test(namespace.trim())) {
    throw new ControlHeaderError("X-Cache-Namespace", "expected 1 to 64 characters of A-Z a-z 0-9 _ . -");
  }
  const tags = tagList === null ? [] : [...new Set(tagList.split(",").map((tag) => tag.trim()))];
  const problem = tagsProblem(tags);
  if (problem !== null) throw new ControlHeaderError("X-Cache-Tags", `${problem} (a comma-separated list of at most ${MAX_TAGS})`);
  const trimmedMode = mode?.trim().toLowerCase();
  if (trimmedMode !== undefined && !isCacheMode(trimmedMode)) throw new ControlHeaderError("X-Cache-Mode", "expected read_write, read_only, write_only or off");
  return { read, store, maxAgeSeconds, onlyIfCached, ttlSeconds, namespace: namespace?.trim() ?? "", maxStaleSeconds, staleIfErrorSeconds, tags, mode: trimmedMode };
}
