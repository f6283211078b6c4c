import type { AccessControl } from "../auth/plugin.ts";
import { CACHE_STATUS_HIT, CACHE_STATUS_MISS } from "../cache-status.ts";
import type { LookupRequest } from "./model.ts";
import { BoundedMemo } from "../memo.ts";
import { modeReads, narrowMode, type CacheMode } from "../../engine/mode.ts";
import type { LookupResult, ResponseCache } from "../../engine/service.ts";

export const JSON_TYPE = "application/json; charset=utf-8";
// Shared Headers instances: a Response copies them, and building one from a plain object per
// request costs more than the copy. Cache-Status (RFC 9211) says the same as the proxy's.
const HIT_HEADERS = new Headers({ "content-type": JSON_TYPE, "x-cache": "HIT", "cache-status": CACHE_STATUS_HIT });
const MISS_HEADERS = new Headers({ "content-type": JSON_TYPE, "x-cache": "MISS", "cache-status": CACHE_STATUS_MISS });
// A hit the caller waited for (another caller's answer, through its lease), and a stale one.
const COLLAPSED_HEADERS = new Headers({ "content-type": JSON_TYPE, "x-cache": "HIT", "cache-status": `${CACHE_STATUS_HIT}; collapsed` });
const STALE_HEADERS = new Headers({ "content-type": JSON_TYPE, "x-cache": "STALE", "cache-status": `${CACHE_STATUS_HIT}; stale` });

export const roundMs = (seconds: number): number => Math.round(seconds * 1000) / 1000;

/** A plain hit's answer as last rendered for its key: reused while nothing in it changes. */
interface RenderedHit {
  readonly json: string;
  readonly tier: string;
  /** The age it states, in whole milliseconds. */
  readonly ageMs: number;
  readonly body: string;
  readonly headers: Headers;
}

/** Keys whose last plain hit is kept rendered, for answers up to RENDERED_MAX_CHARS: at most about 2 MB (4 MB as UTF-16). */
const RENDERED_SLOTS = 256;
const RENDERED_MAX_CHARS = 8192;

/**
 * Cached responses are kept as JSON text, so answers are assembled as text around them
 * instead of parsing and re-serialising the response on every hit. The shape is still the
 * LookupResponse schema, which the tests check. A plain hit's text and headers (with its Age)
 * are kept per key and served again while its stored text, tier and age in milliseconds are
 * unchanged: under load a key is hit many times a millisecond, and an answer built once is
 * sent as is (building a 1 KB answer and its headers costs about 3 µs; the check, one Map
 * look-up).
 */
class LookupAnswers {
  private readonly rendered = new BoundedMemo<string, RenderedHit>(RENDERED_SLOTS);

  answer(result: LookupResult, bypassedBy?: CacheMode): Response {
    if (!result.hit) {
      let extra = bypassedBy === undefined ? "" : `,"mode":"${bypassedBy}"`;
      if (result.lease !== undefined) extra = `,"lease":{"token":"${result.lease.token}","ttl_ms":${result.lease.ttlMs}}`;
      else if (result.pending === true) extra = `,"pending":true`;
      return new Response(`{"hit":false,"key":${JSON.stringify(result.key)}${extra}}`, { headers: MISS_HEADERS });
    }
    const plain = result.collapsed !== true && result.stale !== true && result.lease === undefined && result.ageSeconds !== null;
    if (plain) {
      const ageMs = Math.round(result.ageSeconds! * 1000);
      const known = this.rendered.get(result.key);
      if (known !== undefined && known.ageMs === ageMs && known.json === result.json && known.tier === result.tier) {
        return new Response(known.body, { headers: known.headers });
      }
      const body = hitBody(result, "");
      const headers = new Headers(HIT_HEADERS);
      headers.set("age", ageHeader(result.ageSeconds!));
      if (result.json.length <= RENDERED_MAX_CHARS) this.rendered.set(result.key, { json: result.json, tier: result.tier, ageMs, body, headers });
      return new Response(body, { headers });
    }
    let extra = result.collapsed === true ? `,"collapsed":true` : "";
    if (result.stale === true) extra += `,"stale":true`;
    if (result.lease !== undefined) extra += `,"lease":{"token":"${result.lease.token}","ttl_ms":${result.lease.ttlMs}}`;
    const response = new Response(hitBody(result, extra), {
      headers: result.collapsed === true ? COLLAPSED_HEADERS : result.stale === true ? STALE_HEADERS : HIT_HEADERS,
    });
    if (result.ageSeconds !== null) response.headers.set("age", ageHeader(result.ageSeconds));
    return response;
  }
}

type Hit = Extract<LookupResult, { hit: true }>;

/** A hit's body: the stored text as it is, inside the LookupResponse shape; `extra` ends it. */
function hitBody(result: Hit, extra: string): string {
  const age = result.ageSeconds === null ? "null" : String(roundMs(result.ageSeconds));
  return `{"hit":true,"key":${JSON.stringify(result.key)},"response":${result.json},"tier":"${result.tier}","age_seconds":${age}${extra}}`;
}

/** Age (RFC 9111): whole seconds. */
const ageHeader = (seconds: number): string => String(Math.floor(seconds));

/** A checked lookup body, and the key its own namespace gives it once built (memoised by hot-lookup.ts). */
export interface CheckedLookup {
  readonly body: LookupRequest;
  key?: string;
}

/** POST /cache/lookup once its caller is let in and its body fits the schema. */
export type LookupHandler = (request: Request, checked: CheckedLookup) => Promise<Response>;

/**
 * The one handler of POST /cache/lookup, whether Elysia routed the request or the server's own
 * route table did (hot-lookup.ts). `checked.key` is built here when missing, so a caller that
 * keeps `checked` builds it once.
 */
export function lookupHandler(cache: ResponseCache, access: AccessControl): LookupHandler {
  const answers = new LookupAnswers();
  return async (request, checked) => {
    const { body } = checked;
    const namespace = access.namespaceFor(request, body.namespace);
    // The body's own key unless a bound key changed its namespace: no copy on the hot path.
    const key = namespace === body.namespace ? (checked.key ??= cache.keyFor(body)) : cache.keyFor({ ...body, namespace });
    const mode = narrowMode(cache.mode, body.cache_mode);
    // Not reading: a miss that never consults the cache (the key is still built and checked).
    if (!modeReads(mode)) return answers.answer({ hit: false, key }, mode);
    return answers.answer(
      body.coalesce === undefined
        ? await cache.lookupKey(key, body.operation, body.max_stale_seconds)
        : await cache.lookupKeyCoalesced(key, body.operation, { waitMs: body.coalesce.wait_ms, leaseTtlMs: body.coalesce.lease_ttl_ms }, body.max_stale_seconds),
    );
  };
}
