import type { CacheKeyBuilder } from "../key.ts";
import type { SharedTier } from "../redis/shared-tier.ts";
import { HIT_FOR_MISS_MARK, type AcquireOutcome, type LeaseStore } from "./lease-store.ts";

// Each script touches a key and its lease, which share a hash slot (see CacheKeyBuilder.leaseKey).
// KEYS[1] value, KEYS[2] lease; ARGV[1] token, ARGV[2] ttl ms, ARGV[3] the time now in ms to
// check for a fresh value first ("0": do not). A value in our layout (engine/codec.ts: byte 1 is
// the format version 1, bytes 11-18 the fresh-until time as a float64 LE) past that time is
// stale: it does not end the wait, since its refresh is what the lease is for.
const ACQUIRE = `
if ARGV[3] ~= '0' then
  local value = redis.call('GET', KEYS[1])
  if value then
    local fresh = true
    if string.byte(value, 1) == 1 and string.len(value) >= 18 then
      local until_ms = struct.unpack('<d', string.sub(value, 11, 18))
      fresh = until_ms ~= until_ms or until_ms > tonumber(ARGV[3])
    end
    if fresh then return {'value', value} end
  end
end
local holder = redis.call('GET', KEYS[2])
if not holder then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return {'granted'}
end
if string.sub(holder, 1, ${HIT_FOR_MISS_MARK.length}) == '${HIT_FOR_MISS_MARK}' then return {'hit_for_miss'} end
return {'held', redis.call('PTTL', KEYS[2])}
`;
// KEYS[1] lease; ARGV[1] token, ARGV[2] ttl ms.
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;
// KEYS[1] lease; ARGV[1] token, ARGV[2] hit-for-miss ms (0: none).
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], '${HIT_FOR_MISS_MARK}' .. ARGV[1], 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[1])
end
return 1
`;
// KEYS[1] value, KEYS[2] lease; ARGV[1] token, ARGV[2] value bytes, ARGV[3] ttl ms.
const COMMIT = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
`;

const text = (reply: unknown): string => (Buffer.isBuffer(reply) ? reply.toString("latin1") : String(reply));

/**
 * Leases in Redis, seen alike by every sidecar: each operation is one Lua script, so taking a
 * lease, checking a token and writing the value under it are atomic. One round trip each.
 * Failure rule: as LeaseStore (the tier rejects with RedisUnavailableError).
 */
export class RedisLeaseStore implements LeaseStore {
  readonly scope = "redis" as const;

  constructor(
    private readonly redis: SharedTier,
    private readonly keys: CacheKeyBuilder,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(key: string, token: string, ttlMs: number, checkValue: boolean): Promise<AcquireOutcome> {
    const reply = (await this.redis.script(ACQUIRE, [key, this.keys.leaseKey(key)], [token, String(ttlMs), checkValue ? String(this.now()) : "0"])) as unknown[];
    const state = text(reply[0]);
    if (state === "value" && Buffer.isBuffer(reply[1])) return { state: "value", value: reply[1] };
    if (state === "granted") return { state: "granted" };
    if (state === "hit_for_miss") return { state: "hit_for_miss" };
    return { state: "held", ttlMs: Number(reply[1] ?? -1) };
  }

  async renew(key: string, token: string, ttlMs: number): Promise<boolean> {
    return Number(await this.redis.script(RENEW, [this.keys.leaseKey(key)], [token, String(ttlMs)])) === 1;
  }

  async release(key: string, token: string, hitForMissMs: number): Promise<boolean> {
    return Number(await this.redis.script(RELEASE, [this.keys.leaseKey(key)], [token, String(hitForMissMs)])) === 1;
  }

  /** Writes the value only while `token` holds the lease, and ends the lease: false when it did not hold it. */
  async commit(key: string, token: string, value: Buffer, ttlMs: number): Promise<boolean> {
    return Number(await this.redis.script(COMMIT, [key, this.keys.leaseKey(key)], [token, value, String(Math.max(1, Math.round(ttlMs)))])) === 1;
  }

  async void(key: string): Promise<void> {
    await this.redis.delete(this.keys.leaseKey(key));
  }
}
