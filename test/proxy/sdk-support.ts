/**
 * Helpers shared by the SDK-driven proxy tests (test/proxy/sdk-*.test.ts): reading the cache
 * headers of an answer, waiting for an entry to be stored, and reading it back through the
 * management API.
 */
import { expect } from "bun:test";
import { waitFor } from "../support/poll.ts";
import type { ProxyHarness } from "../support/proxy.ts";
export { thrown } from "../support/thrown.ts";

/** The `x-mock-scenario` (and any other) per-request headers, as SDK request options. */
export const scenario = (name: string, extra: Record<string, string> = {}): { headers: Record<string, string> } => ({ headers: { "x-mock-scenario": name, ...extra } });

/** What a cached entry looks like through `GET /cache/entries/{key}`. */
export interface StoredEntry {
  readonly key: string;
  readonly response: {
    readonly proxy_entry: number;
    readonly status: number;
    readonly headers: [string, string][];
    readonly stream: boolean;
    readonly model: string | null;
    readonly usage: { inputTokens: number; outputTokens: number } | null;
    readonly body: string;
  };
}

/** The cache headers of a proxy answer. */
export function cacheOf(response: Response): { xCache: string | null; status: string | null; key: string; age: string | null } {
  const key = response.headers.get("x-cache-key");
  if (key === null || key === "") throw new Error(`no x-cache-key on the answer (x-cache: ${response.headers.get("x-cache")}, cache-status: ${response.headers.get("cache-status")})`);
  return { xCache: response.headers.get("x-cache"), status: response.headers.get("cache-status"), key, age: response.headers.get("age") };
}

/** The stored entry under `key`, or null when there is none. */
export async function readEntry(h: ProxyHarness, key: string): Promise<StoredEntry | null> {
  const res = await h.t.request(`/cache/entries/${encodeURIComponent(key)}`);
  if (res.status === 404) return null;
  expect(res.status).toBe(200);
  return (await res.json()) as StoredEntry;
}

/**
 * Waits until the answer under `key` is stored: a streamed miss is stored just after its last
 * byte reached the client, a non-streamed one just after its answer was handed out.
 */
export async function waitStored(h: ProxyHarness, key: string): Promise<StoredEntry> {
  let entry: StoredEntry | null = null;
  await waitFor(
    async () => {
      entry = await readEntry(h, key);
      return entry !== null;
    },
    { what: `entry ${key} stored` },
  );
  if (entry === null) throw new Error("unreachable");
  return entry;
}

/**
 * Waits until the sidecar answers no request: after a client went away mid-stream, the server
 * has noticed it (and the proxy has let go of the upstream call) once its request is no longer
 * in flight.
 */
export async function waitIdle(h: ProxyHarness): Promise<void> {
  await waitFor(() => h.running.inFlight() === 0, { what: "sidecar idle" });
}

/** The `data:` payloads of an SSE body, in order. */
export function ssePayloads(body: string): string[] {
  return body
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trimStart());
}

/** `ai_cache_proxy_not_stored_total{endpoint, reason}` as `GET /metrics` reports it (0 when absent). */
export async function notStoredCount(h: ProxyHarness, endpoint: string, reason: string): Promise<number> {
  const res = await h.t.request("/metrics");
  expect(res.status).toBe(200);
  const text = await res.text();
  const line = text.split("\n").find((candidate) => candidate.startsWith("ai_cache_proxy_not_stored_total{") && candidate.includes(`endpoint="${endpoint}",reason="${reason}"}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Waits until the proxy has counted one more answer of `endpoint` not stored for `reason` than `before`. */
export async function waitNotStored(h: ProxyHarness, endpoint: string, reason: string, before: number): Promise<void> {
  await waitFor(async () => (await notStoredCount(h, endpoint, reason)) === before + 1, { what: `ai_cache_proxy_not_stored_total{endpoint="${endpoint}",reason="${reason}"} = ${before + 1}` });
}
