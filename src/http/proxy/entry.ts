import type { Usage } from "./verdict.ts";

/**
 * A stored upstream answer. Kept as JSON text in the cache, so `GET /cache/entries/{key}`
 * shows proxy entries like any other; the body is kept verbatim as a string, so a hit
 * returns the bytes the upstream sent (a stream replays its events as they were).
 */
export interface ProxyEntry {
  readonly status: number;
  /** Response headers worth replaying: no auth, cookie, hop-by-hop, rate-limit or per-request ones. */
  readonly headers: readonly (readonly [string, string])[];
  readonly stream: boolean;
  readonly model: string | null;
  /** Tokens the upstream charged for this answer: what every hit saves. */
  readonly usage: Usage | null;
  readonly body: string;
}

const FORMAT = 1;

/** Response headers never stored: they belong to one exchange, one caller, or one connection. */
const NOT_REPLAYED = new Set([
  "authorization",
  "proxy-authorization",
  "www-authenticate",
  "proxy-authenticate",
  "cookie",
  "set-cookie",
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "content-encoding",
  "date",
  "age",
  "expires",
  "retry-after",
  "x-request-id",
  "request-id",
  "openai-processing-ms",
  "cf-ray",
  "cf-cache-status",
  "alt-svc",
  "server",
  "via",
  "x-envoy-upstream-service-time",
  "strict-transport-security",
  "cache-status",
  "x-cache",
]);

/** Whether a response header may be stored with the answer. O(1). */
export function isReplayable(name: string): boolean {
  return !NOT_REPLAYED.has(name) && !name.startsWith("x-ratelimit-") && !name.startsWith("anthropic-ratelimit-");
}

export function encodeEntry(entry: ProxyEntry): string {
  return JSON.stringify({ proxy_entry: FORMAT, ...entry });
}

/** The stored entry, or null for text that is not one (treated as a miss). O(entry) for one JSON.parse. */
export function decodeEntry(json: string): ProxyEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const entry = value as Partial<ProxyEntry> & { proxy_entry?: unknown };
  if (entry.proxy_entry !== FORMAT || typeof entry.status !== "number" || typeof entry.body !== "string" || !Array.isArray(entry.headers)) return null;
  return {
    status: entry.status,
    headers: entry.headers,
    stream: entry.stream === true,
    model: typeof entry.model === "string" ? entry.model : null,
    usage: entry.usage ?? null,
    body: entry.body,
  };
}
