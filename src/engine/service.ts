import type { Logger } from "../logging/logger.ts";
import type { HitTier, PerformanceMonitor } from "../monitor/monitor.ts";
import { decodeValue, encodeValue, UnreadableValueError, type CompressionPolicy } from "./codec.ts";
import { InvalidInputError, LimitExceededError, NotStoredError, RedisUnavailableError } from "./errors.ts";
import { globMatch, patternProblem } from "./glob.ts";
import { CacheKeyBuilder, type KeyParts } from "./key.ts";
import type { MemoryTier } from "./memory-tier.ts";
import { ALONE, type MemoryCoherence } from "./coherence.ts";
import { PromotionGuard } from "./promotion-guard.ts";
import { NO_REDIS, type RedisHealth, type SharedTier } from "./redis/shared-tier.ts";

export interface CacheLimits {
  readonly maxTextBytes: number;
  readonly maxResponseBytes: number;
}

export interface TtlPolicy {
  readonly defaultSeconds: number;
  /** Own properties only are read: an operation named "constructor" has no inherited TTL. */
  readonly perOperation: Readonly<Record<string, number>>;
}

export interface CacheServiceOptions {
  readonly keys: CacheKeyBuilder;
  readonly memory: MemoryTier;
  /** NO_REDIS: memory tier only. */
  readonly redis?: SharedTier;
  /** Announces changes to other sidecars on the same Redis; ALONE when there are none to tell. */
  readonly coherence?: MemoryCoherence;
  /** Shared with coherence, which reports other sidecars' changes to it. */
  readonly guard?: PromotionGuard;
  /** How long start() waits for Redis and for coherence to listen. */
  readonly startTimeoutMs?: number;
  readonly monitor: PerformanceMonitor;
  readonly logger: Logger;
  readonly ttl: TtlPolicy;
  readonly compression: CompressionPolicy;
  readonly limits: CacheLimits;
  readonly now?: () => number;
}

export type LookupResult =
  | { hit: true; key: string; json: string; tier: HitTier; ageSeconds: number | null }
  | { hit: false; key: string };

/** What a caller names: like KeyParts, but `options` is not yet checked to be an object. */
export interface RequestParts extends Omit<KeyParts, "options"> {
  readonly options?: unknown;
}

export interface StoreRequest extends RequestParts {
  readonly response: unknown;
  readonly ttlSeconds?: number;
}

export type TierName = "memory" | "redis";

export interface StoreResult {
  key: string;
  ttlSeconds: number;
  compressed: boolean;
  codec: string;
  storedBytes: number;
  tiers: TierName[];
}

export interface EntryResult {
  key: string;
  json: string;
  tier: HitTier;
  ttlSeconds: number | null;
}

export interface DeleteResult {
  deleted: boolean;
  tiers: TierName[];
  /** False when Redis is configured but could not be reached: its copy may remain. */
  complete: boolean;
}

export interface InvalidationResult {
  pattern: string;
  keysRemoved: number;
  memoryKeysRemoved: number;
  redisKeysRemoved: number;
  redis: "ok" | "unavailable" | "disabled";
  durationSeconds: number;
}

/**
 * The AI response cache: a bounded memory tier in front of Redis. It knows nothing of HTTP.
 * Redis failures never escape: reads fall back to the memory tier, writes land there alone,
 * and the caller learns which tiers were reached.
 */
export class ResponseCache {
  readonly keys: CacheKeyBuilder;
  readonly memory: MemoryTier;
  readonly redis: SharedTier;
  readonly coherence: MemoryCoherence;
  readonly monitor: PerformanceMonitor;
  private readonly guard: PromotionGuard;
  private readonly operationTtls: ReadonlyMap<string, number>;
  private readonly startTimeoutMs: number | undefined;
  private readonly logger: Logger;
  private readonly defaultTtlSeconds: number;
  private readonly compression: CompressionPolicy;
  private readonly limits: CacheLimits;
  private readonly now: () => number;

  constructor(options: CacheServiceOptions) {
    this.keys = options.keys;
    this.memory = options.memory;
    this.redis = options.redis ?? NO_REDIS;
    this.coherence = options.coherence ?? ALONE;
    this.guard = options.guard ?? new PromotionGuard();
    this.operationTtls = new Map(Object.entries(options.ttl.perOperation));
    this.startTimeoutMs = options.startTimeoutMs;
    this.monitor = options.monitor;
    this.logger = options.logger;
    this.defaultTtlSeconds = options.ttl.defaultSeconds;
    this.compression = options.compression;
    this.limits = options.limits;
    this.now = options.now ?? Date.now;
  }

  /** Connects Redis and joins the coherence channel, each with a bounded wait; never throws. */
  async start(): Promise<void> {
    if (!this.redis.configured) return;
    await this.redis.start(this.startTimeoutMs);
    // Unreachable Redis: no point waiting for heartbeats; coherence listens once it is back.
    await this.coherence.start(this.redis.available ? (this.startTimeoutMs ?? 2000) : 0);
  }

  ttlFor(operation: string): number {
    return this.operationTtls.get(operation) ?? this.defaultTtlSeconds;
  }

  /** Builds the key for a request, enforcing the text limit and recording the cost. */
  keyFor(parts: RequestParts): string {
    const { options } = parts;
    // Coercing a number, string or array into options would give unequal requests one key.
    if (options !== undefined && options !== null && !isPlainObject(options)) {
      throw new InvalidInputError("options", "options must be a JSON object or null");
    }
    checkSize("text", parts.text, "CACHE_MAX_TEXT_BYTES", this.limits.maxTextBytes);
    if (parts.question) checkSize("question", parts.question, "CACHE_MAX_TEXT_BYTES", this.limits.maxTextBytes);
    return this.buildKey({ operation: parts.operation, text: parts.text, options, question: parts.question });
  }

  /** Memory tier first (O(1)), then Redis with a bounded wait; a Redis hit is promoted. */
  lookup(parts: RequestParts): Promise<LookupResult> {
    return this.lookupKey(this.keyFor(parts), parts.operation);
  }

  /**
   * Builds a key for parts the caller has already checked (the proxy keys whole request
   * bodies, bounded by MAX_BODY_BYTES rather than CACHE_MAX_TEXT_BYTES), recording the cost.
   */
  buildKey(parts: KeyParts): string {
    const started = Bun.nanoseconds();
    const key = this.keys.build(parts);
    this.monitor.recordKeyGeneration(Bun.nanoseconds() - started, parts.text.length);
    return key;
  }

  /** lookup() for a key already built; `operation` picks the TTL given to a promoted copy. */
  async lookupKey(key: string, operation: string): Promise<LookupResult> {
    const started = Bun.nanoseconds();
    const now = this.now();
    const local = this.memory.get(key);
    if (local !== undefined) {
      this.monitor.recordOperation("get", Bun.nanoseconds() - started, "memory", operation);
      return { hit: true, key, json: local.json, tier: "memory", ageSeconds: (now - local.storedAt) / 1000 };
    }
    const since = this.guard.begin();
    const remote = await this.readRedis(key);
    if (remote !== null) {
      const expiresAt = Number.isNaN(remote.expiresAt) ? now + this.ttlFor(operation) * 1000 : remote.expiresAt;
      // A change to this key during the read (here or on another sidecar) may be newer than the value read.
      if (this.guard.mayPromote(key, since)) {
        this.memory.set(key, remote.json, this.coherence.memoryExpiry(expiresAt, this.now()), Number.isNaN(remote.storedAt) ? now : remote.storedAt);
      }
      this.monitor.recordOperation("get", Bun.nanoseconds() - started, "redis", operation);
      return { hit: true, key, json: remote.json, tier: "redis", ageSeconds: Number.isNaN(remote.storedAt) ? null : (now - remote.storedAt) / 1000 };
    }
    this.monitor.recordOperation("get", Bun.nanoseconds() - started, null, operation);
    return { hit: false, key };
  }

  async store(request: StoreRequest): Promise<StoreResult> {
    const key = this.keyFor(request);
    const json = JSON.stringify(request.response) ?? "null";
    checkSize("response", json, "CACHE_MAX_RESPONSE_BYTES", this.limits.maxResponseBytes);
    return this.storeKey(key, request.operation, json, request.ttlSeconds);
  }

  /**
   * store() for a key already built and a JSON text the caller has already sized against
   * CACHE_MAX_RESPONSE_BYTES. Throws NotStoredError when neither tier took the value.
   */
  async storeKey(key: string, operation: string, json: string, ttlSecondsAsked?: number): Promise<StoreResult> {
    const started = Bun.nanoseconds();
    const ttlSeconds = ttlSecondsAsked ?? this.ttlFor(operation);
    const now = this.now();
    const expiresAt = now + ttlSeconds * 1000;
    const tiers: TierName[] = [];
    let compressed = false;
    let codec = "none";
    let storedBytes = Buffer.byteLength(json);
    await this.guard.changingKey(key, async () => {
      if (this.memory.set(key, json, this.coherence.memoryExpiry(expiresAt, now), now)) tiers.push("memory");
      // With Redis down there is nothing to compress for.
      if (!this.redis.available) return;
      const encoded = encodeValue(json, now, expiresAt, this.compression);
      if (encoded.compressNs > 0) this.monitor.recordCompression(encoded.originalBytes, encoded.payloadBytes, encoded.compressNs);
      compressed = encoded.codec !== "none";
      codec = encoded.codec;
      storedBytes = encoded.bytes.byteLength;
      if (await this.writeRedis(key, encoded.bytes, ttlSeconds * 1000)) {
        tiers.push("redis");
        this.coherence.announceKey(key, now);
      }
    });
    this.monitor.recordOperation("set", Bun.nanoseconds() - started, undefined, operation);
    if (tiers.length === 0) {
      throw new NotStoredError(
        this.memory.enabled ? "the response does not fit the memory tier and Redis is unavailable" : "the memory tier is disabled and Redis is unavailable",
      );
    }
    return { key, ttlSeconds, compressed, codec, storedBytes, tiers };
  }

  async getEntry(key: string): Promise<EntryResult | null> {
    this.checkKey(key);
    const started = Bun.nanoseconds();
    const local = this.memory.get(key);
    if (local !== undefined) {
      this.monitor.recordOperation("get", Bun.nanoseconds() - started, "memory");
      return { key, json: local.json, tier: "memory", ttlSeconds: Math.max(0, (local.expiresAt - this.now()) / 1000) };
    }
    let entry: EntryResult | null = null;
    if (this.redis.available) {
      try {
        const found = await this.redis.getWithTtl(key);
        if (found !== null) {
          const decoded = decodeValue(found.value);
          entry = { key, json: decoded.json, tier: "redis", ttlSeconds: found.ttlMs >= 0 ? found.ttlMs / 1000 : null };
        }
      } catch (error) {
        this.noteReadFailure(key, error);
      }
    }
    this.monitor.recordOperation("get", Bun.nanoseconds() - started, entry === null ? null : "redis");
    return entry;
  }

  async deleteEntry(key: string): Promise<DeleteResult> {
    this.checkKey(key);
    const started = Bun.nanoseconds();
    const tiers: TierName[] = [];
    let complete = true;
    await this.guard.changingKey(key, async () => {
      if (this.memory.delete(key)) tiers.push("memory");
      try {
        if (await this.redis.delete(key)) tiers.push("redis");
        this.coherence.announceKey(key);
      } catch (error) {
        complete = false;
        this.noteRedisFailure("delete", error);
      }
    });
    this.monitor.recordOperation("delete", Bun.nanoseconds() - started);
    return { deleted: tiers.length > 0, tiers, complete };
  }

  /**
   * Removes every key matching `{prefix}:*{pattern}*` from both tiers with one glob semantics
   * (an empty pattern matches every cache key); keys outside the prefix are never touched.
   */
  async invalidate(pattern: string, operationContext: string): Promise<InvalidationResult> {
    const problem = patternProblem(pattern);
    if (problem !== null) throw new InvalidInputError("pattern", problem);
    const started = Bun.nanoseconds();
    const glob = pattern === "" ? `${this.keys.prefix}*` : `${this.keys.prefix}*${pattern}*`;
    const { memoryKeysRemoved, redisKeysRemoved, redis } = await this.guard.changingGlob(glob, async () => {
      const memoryKeysRemoved = this.memory.deleteMatching((key) => globMatch(glob, key));
      try {
        const redisKeysRemoved = await this.redis.deleteMatching(glob);
        this.coherence.announceGlob(glob);
        return { memoryKeysRemoved, redisKeysRemoved, redis: this.redis.configured ? ("ok" as const) : ("disabled" as const) };
      } catch (error) {
        this.noteRedisFailure("invalidate", error);
        return { memoryKeysRemoved, redisKeysRemoved: 0, redis: "unavailable" as const };
      }
    });
    const elapsed = Bun.nanoseconds() - started;
    // A key held by both tiers counts once; Redis holds every key the memory tier does when it is up.
    const keysRemoved = redis === "ok" ? Math.max(redisKeysRemoved, memoryKeysRemoved) : memoryKeysRemoved;
    this.monitor.recordOperation("invalidate", elapsed);
    this.monitor.recordInvalidation(pattern, keysRemoved, elapsed, operationContext);
    this.logger.info("cache invalidated", { pattern, operation_context: operationContext, keys_removed: keysRemoved, redis });
    return { pattern, keysRemoved, memoryKeysRemoved, redisKeysRemoved, redis, durationSeconds: elapsed / 1e9 };
  }

  /** Redis's state in the one vocabulary every endpoint uses. */
  redisStatus(): RedisHealth {
    return this.redis.health;
  }

  /** Feeds the monitor's memory trend; called by a timer and on every status or metrics read. */
  sampleMemory(): void {
    this.monitor.recordMemoryUsage({
      memoryTierBytes: this.memory.bytes,
      memoryTierEntries: this.memory.size,
      processRssBytes: process.memoryUsage.rss(),
    });
  }

  async close(): Promise<void> {
    this.coherence.stop();
    await this.redis.close();
  }

  private checkKey(key: string): void {
    if (!this.keys.isCacheKey(key)) {
      throw new InvalidInputError("key", `not a cache key: expected ${this.keys.prefix}op:{operation}|txt:{32 hex}[|opts:{32 hex}][|q:{32 hex}]`);
    }
  }

  private async readRedis(key: string): Promise<{ json: string; storedAt: number; expiresAt: number } | null> {
    if (!this.redis.available) return null;
    try {
      const bytes = await this.redis.get(key);
      return bytes === null ? null : decodeValue(bytes);
    } catch (error) {
      this.noteReadFailure(key, error);
      return null;
    }
  }

  private async writeRedis(key: string, bytes: Buffer, ttlMs: number): Promise<boolean> {
    if (!this.redis.available) return false;
    try {
      await this.redis.set(key, bytes, ttlMs);
      return true;
    } catch (error) {
      this.noteRedisFailure("set", error);
      return false;
    }
  }

  private noteReadFailure(key: string, error: unknown): void {
    if (error instanceof UnreadableValueError) {
      this.logger.warn("unreadable cache entry treated as a miss", { key, error: error.message });
      return;
    }
    this.noteRedisFailure("get", error);
  }

  private noteRedisFailure(operation: string, error: unknown): void {
    this.monitor.recordRedisError();
    if (!(error instanceof RedisUnavailableError)) {
      this.logger.error("unexpected redis failure", { operation, error });
      return;
    }
    this.logger.debug("redis call failed; memory tier answered", { operation, error: error.message });
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** UTF-8 size check that skips encoding whenever the UTF-16 length already decides it. */
function checkSize(field: string, value: string, limitName: string, maxBytes: number): void {
  if (value.length * 3 <= maxBytes) return;
  if (value.length > maxBytes || Buffer.byteLength(value) > maxBytes) throw new LimitExceededError(field, limitName, maxBytes);
}

