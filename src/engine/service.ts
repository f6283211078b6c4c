import type { Logger } from "../logging/logger.ts";
import type { HitTier, PerformanceMonitor } from "../monitor/monitor.ts";
import { decodeValue, encodeValue, UnreadableValueError, type CompressionPolicy } from "./codec.ts";
import { InvalidInputError, LeaseConflictError, LimitExceededError, NotStoredError, RedisUnavailableError } from "./errors.ts";
import { Coalescer } from "./leases/coalescer.ts";
import { FlightLog } from "./leases/flight-log.ts";
import { tokenScope } from "./leases/lease-store.ts";
import { LocalLeaseStore } from "./leases/local-lease-store.ts";
import { RedisLeaseStore } from "./leases/redis-lease-store.ts";
import { patternProblem } from "./glob.ts";
import { CacheKeyBuilder, NAMESPACE_PATTERN, type KeyParts } from "./key.ts";
import type { CacheMode } from "./mode.ts";
import { Purger } from "./purge.ts";
import { checkTag, TagIndex, tagsProblem } from "./tags.ts";
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
  readonly leases?: LeasePolicy;
  /** How long entries stay past their TTL, stale, for callers that accept stale answers. */
  readonly stale?: TtlPolicy;
  /** What the operator lets the cache do (CACHE_MODE); requests may narrow it. Default read_write. */
  readonly mode?: CacheMode;
  readonly now?: () => number;
}

export interface LeasePolicy {
  /** Lease lifetime when the caller names none. */
  readonly defaultTtlMs: number;
  /** How long a not-cacheable release sends callers straight on, when the caller names nothing. */
  readonly hitForMissMs: number;
}

const DEFAULT_LEASES: LeasePolicy = { defaultTtlMs: 10_000, hitForMissMs: 30_000 };

export interface Lease {
  readonly token: string;
  readonly ttlMs: number;
}

export type LookupResult =
  | {
      hit: true;
      key: string;
      json: string;
      tier: HitTier;
      ageSeconds: number | null;
      collapsed?: boolean;
      /** Past its TTL, inside its stale window, by `staleSeconds`. */
      stale?: boolean;
      staleSeconds?: number;
      lease?: Lease;
    }
  | { hit: false; key: string; lease?: Lease; pending?: boolean };

/** How long a lookup may wait for another caller's answer, and the lease it asks for. */
export interface CoalesceRequest {
  readonly waitMs: number;
  readonly leaseTtlMs?: number;
}

/** What a caller names: like KeyParts, but `options` is not yet checked to be an object. */
export interface RequestParts extends Omit<KeyParts, "options"> {
  readonly options?: unknown;
}

/** How a value is stored: each field defaults to the operation's policy. */
export interface StoreOptions {
  readonly ttlSeconds?: number;
  /** Seconds the entry is kept past its TTL, served only to callers that accept stale answers. */
  readonly staleSeconds?: number;
  /** Stores only while this lease holds (409 otherwise), and ends it. */
  readonly leaseToken?: string;
  /** Names under which the entry can be invalidated together (at most MAX_TAGS). */
  readonly tags?: readonly string[];
}

export interface StoreRequest extends RequestParts, StoreOptions {
  readonly response: unknown;
}

export type TierName = "memory" | "redis";

export interface StoreResult {
  key: string;
  ttlSeconds: number;
  staleSeconds: number;
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

/** What an invalidation covers besides its pattern, and how it acts. */
export interface InvalidationScope {
  /** Only keys of this namespace. */
  readonly namespace?: string;
  /** Only keys carrying this tag (read from the tag index, never a scan). */
  readonly tag?: string;
  /** Count what would go; remove nothing. */
  readonly dryRun?: boolean;
  /** Mark matching entries stale instead of removing them. */
  readonly soft?: boolean;
}

/** How an invalidation is recorded in the statistics: manual (a pattern), namespace or tag; soft ones end in _soft. */
export type InvalidationKind = "manual" | "namespace" | "tag";

export interface InvalidationResult {
  pattern: string;
  kind: InvalidationKind;
  /** A dry run: the counts are what would have been removed (or marked stale), and nothing was. */
  dryRun: boolean;
  /** A soft purge: the counts are entries marked stale, none removed. */
  soft: boolean;
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
  private readonly operationStale: ReadonlyMap<string, number>;
  private readonly defaultStaleSeconds: number;
  private readonly startTimeoutMs: number | undefined;
  private readonly logger: Logger;
  private readonly defaultTtlSeconds: number;
  private readonly compression: CompressionPolicy;
  private readonly limits: CacheLimits;
  private readonly now: () => number;
  readonly leasePolicy: LeasePolicy;
  private readonly sharedLeases: RedisLeaseStore | null;
  private readonly localLeases: LocalLeaseStore;
  readonly coalescer: Coalescer;
  /** Streamed answers other sidecars can follow live; null without Redis. */
  readonly flightLog: FlightLog | null;
  readonly tags: TagIndex;
  readonly mode: CacheMode;
  private readonly purger: Purger;
  /** Data-plane lookups that missed, waited, and were answered with another caller's value. */
  collapsedLookups = 0;

  constructor(options: CacheServiceOptions) {
    this.keys = options.keys;
    this.memory = options.memory;
    this.redis = options.redis ?? NO_REDIS;
    this.coherence = options.coherence ?? ALONE;
    this.guard = options.guard ?? new PromotionGuard();
    this.operationTtls = new Map(Object.entries(options.ttl.perOperation));
    this.operationStale = new Map(Object.entries(options.stale?.perOperation ?? {}));
    this.defaultStaleSeconds = options.stale?.defaultSeconds ?? 0;
    this.startTimeoutMs = options.startTimeoutMs;
    this.monitor = options.monitor;
    this.logger = options.logger;
    this.defaultTtlSeconds = options.ttl.defaultSeconds;
    this.compression = options.compression;
    this.limits = options.limits;
    this.now = options.now ?? Date.now;
    this.leasePolicy = options.leases ?? DEFAULT_LEASES;
    this.sharedLeases = this.redis.configured ? new RedisLeaseStore(this.redis, this.keys, this.now) : null;
    this.localLeases = new LocalLeaseStore(this.now);
    this.flightLog = this.redis.configured ? new FlightLog(this.redis, this.keys) : null;
    this.tags = new TagIndex(this.keys, this.redis, this.memory);
    this.mode = options.mode ?? "read_write";
    this.coalescer = new Coalescer({
      shared: this.sharedLeases,
      sharedAvailable: () => this.redis.available,
      local: this.localLeases,
      decode: (bytes) => decodeValue(bytes),
      now: this.now,
    });
    this.purger = new Purger({
      keys: this.keys,
      memory: this.memory,
      redis: this.redis,
      coherence: this.coherence,
      coalescer: this.coalescer,
      tags: this.tags,
      voidSharedLease: (key) => this.sharedLeases?.void(key),
      noteRedisFailure: (operation, error) => this.noteRedisFailure(operation, error),
      now: this.now,
    });
    // Another sidecar's store wakes the callers waiting here for that key.
    this.coherence.onRemoteChange((change) => {
      if ("glob" in change) this.coalescer.voidMatching(change.glob);
      else if (change.stored) this.coalescer.changed(change.key);
      else this.coalescer.voidKey(change.key);
    });
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

  staleFor(operation: string): number {
    return this.operationStale.get(operation) ?? this.defaultStaleSeconds;
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
    const namespace = parts.namespace ?? null;
    if (namespace !== null) checkNamespace(namespace);
    return this.buildKey({ namespace, operation: parts.operation, text: parts.text, options, question: parts.question });
  }

  /**
   * Memory tier first (O(1)), then Redis with a bounded wait; a fresh Redis hit is promoted.
   * An entry past its TTL but inside its stale window answers only when it is at most
   * `maxStaleSeconds` past its TTL, and says it is stale.
   */
  lookup(parts: RequestParts, maxStaleSeconds = 0): Promise<LookupResult> {
    return this.lookupKey(this.keyFor(parts), parts.operation, maxStaleSeconds);
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

  /**
   * lookup(), and on a miss single flight across the fleet: exactly one caller gets a lease
   * to compute the value; the others wait up to `waitMs` for it (collapsed hits), or are told
   * it is still pending. A caller whose wait ends as the lease expires may take it over.
   */
  async lookupCoalesced(parts: RequestParts, coalesce: CoalesceRequest, maxStaleSeconds = 0): Promise<LookupResult> {
    const key = this.keyFor(parts);
    return this.lookupKeyCoalesced(key, parts.operation, coalesce, maxStaleSeconds);
  }

  /**
   * lookupCoalesced() for a key already built. A stale hit is served at once, and the one caller
   * that gets the key's lease (stale-while-revalidate) is handed it to refresh the entry.
   */
  async lookupKeyCoalesced(key: string, operation: string, coalesce: CoalesceRequest, maxStaleSeconds = 0): Promise<LookupResult> {
    const found = await this.lookupKey(key, operation, maxStaleSeconds);
    if (found.hit) {
      if (found.stale !== true) return found;
      const lease = await this.coalescer.tryLease(key, this.leaseTtl(coalesce));
      return lease === null ? found : { ...found, lease };
    }
    const waited = await this.awaitLease(key, coalesce);
    if (waited.hit) this.collapsedLookups++;
    return waited;
  }

  /** The coalescing half of lookupKeyCoalesced(), for a caller that has just missed. */
  async awaitLease(key: string, coalesce: CoalesceRequest): Promise<LookupResult> {
    const outcome = await this.coalescer.wait(key, coalesce.waitMs, this.leaseTtl(coalesce));
    switch (outcome.kind) {
      case "value":
        return { hit: true, key, json: outcome.json, tier: outcome.tier, ageSeconds: outcome.storedAt === null ? null : Math.max(0, (this.now() - outcome.storedAt) / 1000), collapsed: true };
      case "lease":
        return { hit: false, key, lease: { token: outcome.token, ttlMs: outcome.ttlMs } };
      case "pending":
        return { hit: false, key, pending: true };
      case "alone":
        return { hit: false, key };
    }
  }

  private leaseTtl(coalesce: CoalesceRequest): number {
    return coalesce.leaseTtlMs ?? this.leasePolicy.defaultTtlMs;
  }

  /** Extends a lease its holder still has; false when it lost it. */
  async renewLease(key: string, token: string, ttlMs: number): Promise<boolean> {
    this.checkKey(key);
    if (this.coalescer.isVoided(token)) return false;
    return this.leaseCall(token, (store) => store.renew(key, token, ttlMs));
  }

  /**
   * Gives a lease up before storing (the LLM failed, or the answer is not cacheable). A
   * not-cacheable release (`hitForMissMs` > 0) sends later callers straight on for that long
   * instead of letting them queue behind leaders that will not store.
   */
  async releaseLease(key: string, token: string, hitForMissMs: number): Promise<boolean> {
    this.checkKey(key);
    const released = await this.leaseCall(token, (store) => store.release(key, token, hitForMissMs));
    this.coalescer.forget(token);
    // Callers waiting here need not wait for the next poll to take the lease over.
    if (released) this.coalescer.changed(key);
    return released;
  }

  private async leaseCall(token: string, call: (store: RedisLeaseStore | LocalLeaseStore) => Promise<boolean>): Promise<boolean> {
    const scope = tokenScope(token);
    if (scope === null) throw new InvalidInputError("lease_token", "not a lease token of this cache");
    if (scope === "memory") return call(this.localLeases);
    if (this.sharedLeases === null) return false;
    try {
      return await call(this.sharedLeases);
    } catch (error) {
      this.noteRedisFailure("lease", error);
      throw new NotStoredError("the lease is kept in Redis, which cannot be reached now");
    }
  }

  /** lookup() for a key already built; `operation` picks the TTL given to a promoted copy. */
  async lookupKey(key: string, operation: string, maxStaleSeconds = 0): Promise<LookupResult> {
    const started = Bun.nanoseconds();
    const now = this.now();
    const maxStaleMs = maxStaleSeconds * 1000;
    const local = this.memory.get(key);
    if (local !== undefined) {
      const fresh = local.freshUntil > now;
      if (fresh || (maxStaleMs > 0 && now - local.freshUntil <= maxStaleMs)) {
        this.monitor.recordOperation("get", Bun.nanoseconds() - started, "memory", operation);
        const hit: LookupResult = { hit: true, key, json: local.json, tier: "memory", ageSeconds: (now - local.storedAt) / 1000 };
        if (!fresh) markStale(hit, now - local.freshUntil);
        return hit;
      }
      // Stale beyond what the caller accepts: another sidecar may have refreshed it in Redis.
    }
    const since = this.guard.begin();
    const remote = await this.readRedis(key);
    if (remote !== null) {
      const freshUntil = Number.isNaN(remote.expiresAt) ? now + this.ttlFor(operation) * 1000 : remote.expiresAt;
      const fresh = freshUntil > now;
      if (fresh || (maxStaleMs > 0 && now - freshUntil <= maxStaleMs)) {
        // A change to this key during the read (here or on another sidecar) may be newer than the value read.
        if (fresh && this.guard.mayPromote(key, since)) {
          this.memory.set(key, remote.json, this.coherence.memoryExpiry(freshUntil, this.now()), Number.isNaN(remote.storedAt) ? now : remote.storedAt);
        }
        this.monitor.recordOperation("get", Bun.nanoseconds() - started, "redis", operation);
        const hit: LookupResult = { hit: true, key, json: remote.json, tier: "redis", ageSeconds: Number.isNaN(remote.storedAt) ? null : (now - remote.storedAt) / 1000 };
        if (!fresh) markStale(hit, now - freshUntil);
        return hit;
      }
    }
    this.monitor.recordOperation("get", Bun.nanoseconds() - started, null, operation);
    return { hit: false, key };
  }

  async store(request: StoreRequest): Promise<StoreResult> {
    const key = this.keyFor(request);
    const json = JSON.stringify(request.response) ?? "null";
    checkSize("response", json, "CACHE_MAX_RESPONSE_BYTES", this.limits.maxResponseBytes);
    return this.storeKey(key, request.operation, json, request);
  }

  /**
   * store() for a key already built and a JSON text the caller has already sized against
   * CACHE_MAX_RESPONSE_BYTES. Throws NotStoredError when neither tier took the value.
   */
  async storeKey(key: string, operation: string, json: string, options: StoreOptions = {}): Promise<StoreResult> {
    const { leaseToken } = options;
    const tags = options.tags === undefined ? [] : [...new Set(options.tags)];
    const problem = tagsProblem(tags);
    if (problem !== null) throw new InvalidInputError("tags", problem);
    const scope = leaseToken === undefined ? null : tokenScope(leaseToken);
    if (leaseToken !== undefined) {
      if (scope === null) throw new InvalidInputError("lease_token", "not a lease token of this cache");
      if (this.coalescer.isVoided(leaseToken)) throw new LeaseConflictError("the entry was deleted or invalidated while the lease was out: this answer may be stale, so it is not stored");
      // A memory lease is this sidecar's alone: checked and ended here, before any write.
      if (scope === "memory" && !this.localLeases.commit(key, leaseToken)) throw new LeaseConflictError("the lease expired or is held by another caller");
      if (scope === "redis" && this.sharedLeases === null) throw new LeaseConflictError("no Redis lease can be held: this sidecar has no Redis");
    }
    const started = Bun.nanoseconds();
    const ttlSeconds = options.ttlSeconds ?? this.ttlFor(operation);
    const staleSeconds = options.staleSeconds ?? this.staleFor(operation);
    const now = this.now();
    // Fresh until expiresAt; kept, stale, until staleEnd.
    const expiresAt = now + ttlSeconds * 1000;
    const staleEnd = expiresAt + staleSeconds * 1000;
    const tiers: TierName[] = [];
    let compressed = false;
    let codec = "none";
    let storedBytes = Buffer.byteLength(json);
    const redisLease = scope === "redis" ? leaseToken! : null;
    // A Redis lease that cannot be checked is not held: the answer is not stored (retry later).
    if (redisLease !== null && !this.redis.available) throw new NotStoredError("the lease is kept in Redis, which cannot be reached now, so it cannot be checked; retry the store");
    await this.guard.changingKey(key, async () => {
      // Under a Redis lease the memory copy waits for Redis to accept the token.
      if (redisLease === null && this.memory.set(key, json, this.coherence.memoryExpiry(staleEnd, now), now, expiresAt)) {
        tiers.push("memory");
        if (tags.length > 0) this.tags.noteLocal(key, tags);
      }
      // With Redis down there is nothing to compress for.
      if (!this.redis.available) return;
      const encoded = encodeValue(json, now, expiresAt, this.compression);
      if (encoded.compressNs > 0) this.monitor.recordCompression(encoded.originalBytes, encoded.payloadBytes, encoded.compressNs);
      compressed = encoded.codec !== "none";
      codec = encoded.codec;
      storedBytes = encoded.bytes.byteLength;
      // Without a lease the tag sets are written alongside the value, in the same round trip.
      let [written, tagged] = await Promise.all([
        redisLease === null ? this.writeRedis(key, encoded.bytes, staleEnd - now) : this.commitRedis(key, redisLease, encoded.bytes, staleEnd - now),
        redisLease === null && tags.length > 0 ? this.tagShared(key, tags, staleEnd - now) : true,
      ]);
      // A shared copy missing from its tags' sets could outlive an invalidation by tag.
      if (written === true && !tagged) written = await this.redis.delete(key).then(() => false, () => false);
      if (written === "refused") throw new LeaseConflictError("the lease expired, was taken over, or the entry was deleted or invalidated while it was out");
      if (redisLease !== null && !written) throw new NotStoredError("the lease is kept in Redis, which did not answer, so it could not be checked; retry the store");
      // Under a lease, only a value that was written is tagged: one more round trip.
      if (redisLease !== null && tags.length > 0 && !(await this.tagShared(key, tags, staleEnd - now))) {
        await this.redis.delete(key).catch(() => {});
        throw new NotStoredError("Redis did not record the entry's tags, so it was not kept; retry the store");
      }
      if (redisLease !== null && this.memory.set(key, json, this.coherence.memoryExpiry(staleEnd, now), now, expiresAt)) {
        tiers.push("memory");
        if (tags.length > 0) this.tags.noteLocal(key, tags);
      }
      if (written) {
        tiers.push("redis");
        this.coherence.announceKey(key, now);
      }
    });
    if (leaseToken !== undefined) this.coalescer.forget(leaseToken);
    this.monitor.recordOperation("set", Bun.nanoseconds() - started, undefined, operation);
    if (tiers.length > 0) this.coalescer.stored(key, json, now);
    if (tiers.length === 0) {
      throw new NotStoredError(
        this.memory.enabled ? "the response does not fit the memory tier and Redis is unavailable" : "the memory tier is disabled and Redis is unavailable",
      );
    }
    return { key, ttlSeconds, staleSeconds, compressed, codec, storedBytes, tiers };
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
      this.coalescer.voidKey(key);
      try {
        const [deleted] = await Promise.all([this.redis.delete(key), this.sharedLeases?.void(key)]);
        if (deleted) tiers.push("redis");
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
   * `scope` narrows it to a namespace or a tag, makes it a dry run, or a soft purge.
   */
  async invalidate(pattern: string, operationContext: string, scope: InvalidationScope = {}): Promise<InvalidationResult> {
    const problem = patternProblem(pattern);
    if (problem !== null) throw new InvalidInputError("pattern", problem);
    if (scope.namespace !== undefined) checkNamespace(scope.namespace);
    if (scope.tag !== undefined) checkTag(scope.tag);
    const started = Bun.nanoseconds();
    const everything = pattern === "" && scope.namespace === undefined;
    const glob = scope.namespace !== undefined ? this.keys.namespaceGlob(scope.namespace, pattern) : everything ? `${this.keys.prefix}*` : `${this.keys.prefix}*${pattern}*`;
    const kind: InvalidationKind = scope.tag !== undefined ? "tag" : scope.namespace !== undefined ? "namespace" : "manual";
    const dryRun = scope.dryRun === true;
    const soft = scope.soft === true;
    const counts = await this.guard.changingGlob(scope.tag === undefined ? glob : `${this.keys.prefix}*`, () =>
      scope.tag === undefined ? this.purger.byGlob(glob, everything, dryRun, soft) : this.purger.byTag(scope.tag, glob, everything, dryRun, soft),
    );
    const { memoryKeysRemoved, redisKeysRemoved, redis } = counts;
    const elapsed = Bun.nanoseconds() - started;
    // A key held by both tiers counts once; Redis holds every key the memory tier does when it is up.
    const keysRemoved = redis === "ok" ? Math.max(redisKeysRemoved, memoryKeysRemoved) : memoryKeysRemoved;
    const recorded = scope.tag !== undefined ? scope.tag : scope.namespace !== undefined ? `ns:${scope.namespace}|${pattern}` : pattern;
    if (!dryRun) {
      this.monitor.recordOperation("invalidate", elapsed);
      this.monitor.recordInvalidation(recorded, keysRemoved, elapsed, operationContext, soft ? `${kind}_soft` : kind);
    }
    this.logger.info(dryRun ? "cache invalidation dry run" : soft ? "cache entries marked stale" : "cache invalidated", {
      pattern,
      ...(scope.namespace === undefined ? {} : { namespace: scope.namespace }),
      ...(scope.tag === undefined ? {} : { tag: scope.tag }),
      operation_context: operationContext,
      keys_removed: keysRemoved,
      redis,
    });
    return { pattern, kind, dryRun, soft, keysRemoved, memoryKeysRemoved, redisKeysRemoved, redis, durationSeconds: elapsed / 1e9 };
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
      throw new InvalidInputError("key", `not a cache key: expected ${this.keys.prefix}[ns:{namespace}|]op:{operation}|txt:{32 hex}[|opts:{32 hex}][|q:{32 hex}]`);
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

  /** A write under a Redis lease: "refused" when the token no longer holds it. */
  private async commitRedis(key: string, token: string, bytes: Buffer, ttlMs: number): Promise<boolean | "refused"> {
    try {
      return (await this.sharedLeases!.commit(key, token, bytes, ttlMs)) ? true : "refused";
    } catch (error) {
      this.noteRedisFailure("set", error);
      return false;
    }
  }

  /** Adds the key to its tags' sets; false when Redis did not take them. */
  private tagShared(key: string, tags: readonly string[], ttlMs: number): Promise<boolean> {
    return this.tryWrite(() => this.tags.addShared(key, tags, ttlMs));
  }

  private async writeRedis(key: string, bytes: Buffer, ttlMs: number): Promise<boolean> {
    if (!this.redis.available) return false;
    return this.tryWrite(() => this.redis.set(key, bytes, ttlMs));
  }

  /** A Redis write that never throws: false, with the failure noted, when Redis did not take it. */
  private async tryWrite(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
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

const NAMESPACE = new RegExp(NAMESPACE_PATTERN);

function checkNamespace(namespace: string): void {
  if (!NAMESPACE.test(namespace)) throw new InvalidInputError("namespace", "expected 1 to 64 characters of A-Z a-z 0-9 _ . -");
}

function markStale(hit: LookupResult & { hit: true }, pastTtlMs: number): void {
  hit.stale = true;
  hit.staleSeconds = pastTtlMs / 1000;
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

