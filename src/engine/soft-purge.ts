import { FORMAT_VERSION, HEADER_BYTES } from "./codec.ts";
import type { SharedTier } from "./redis/shared-tier.ts";

/**
 * Marks one Redis entry stale at ARGV[1] (ms since the epoch) by rewriting the fresh-until time
 * in its header (bytes 10-17, see codec.ts) in place: SETRANGE keeps the key's TTL, so the entry
 * stays for its stale window. Absent keys, values without our header and entries already stale
 * then are left as they are (SETRANGE on an absent key would create it). Returns 1 when marked.
 */
const MARK_STALE = `
local head = redis.call('GETRANGE', KEYS[1], 0, ${HEADER_BYTES - 1})
if #head < ${HEADER_BYTES} or string.byte(head, 1) ~= ${FORMAT_VERSION} then return 0 end
local now = tonumber(ARGV[1])
if struct.unpack('<d', head, 11) <= now then return 0 end
redis.call('SETRANGE', KEYS[1], 10, struct.pack('<d', now))
return 1
`;

/** Marks each key stale at `now`; one script per key (keys may live in different slots), sent together. */
export async function markStaleShared(redis: SharedTier, keys: readonly string[], now: number): Promise<number> {
  const marked = await Promise.all(keys.map((key) => redis.script(MARK_STALE, [key], [String(now)])));
  return marked.reduce<number>((sum, one) => sum + Number(one), 0);
}
