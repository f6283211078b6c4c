import type { Coalescer } from "./leases/coalescer.ts";
import type { MemoryCoherence } from "./coherence.ts";
import { globMatch } from "./glob.ts";
import type { CacheKeyBuilder } from "./key.ts";
import type { MemoryTier } from "./memory-tier.ts";
import type { SharedTier } from "./redis/shared-tier.ts";
import { markStaleShared } from "./soft-purge.ts";
import type { TagIndex } from "./tags.ts";

/** What an invalidation did in each tier: removed, counted (dry run) or marked stale (soft). */
export interface TierCounts {
  memoryKeysRemoved: number;
  redisKeysRemoved: number;
  redis: "ok" | "unavailable" | "disabled";
}

/** The parts of the cache an invalidation touches. */
export interface PurgeParts {
  readonly keys: CacheKeyBuilder;
  readonly memory: MemoryTier;
  readonly redis: SharedTier;
  readonly coherence: MemoryCoherence;
  readonly coalescer: Coalescer;
  readonly tags: TagIndex;
  /** Voids the Redis lease of a key (none without Redis). */
  voidSharedLease(key: string): Promise<void> | undefined;
  noteRedisFailure(operation: string, error: unknown): void;
  readonly now: () => number;
}

/**
 * The work of an invalidation in both tiers, by glob or by tag, for real, as a dry run (the
 * same rules, counting), or as a soft purge (marking stale). The cache service validates,
 * guards promotions and records; Redis failures never escape (redis: "unavailable").
 */
export class Purger {
  constructor(private readonly parts: PurgeParts) {}

  /**
   * Which keys a glob invalidation counts (true), removes uncounted (false: leases of matching
   * keys, and tag sets when everything goes) or leaves alone (null: tag sets otherwise).
   */
  private invalidationVerdict(everything: boolean): (key: string) => boolean | null {
    return (key) => {
      if (this.parts.keys.isAuxiliaryKey(key)) return false;
      if (this.parts.keys.isTagKey(key)) return everything ? false : null;
      return true;
    };
  }

  async byGlob(glob: string, everything: boolean, dryRun: boolean, soft: boolean): Promise<TierCounts> {
    const matches = (key: string) => globMatch(glob, key);
    const verdict = this.invalidationVerdict(everything);
    const now = this.staleFrom();
    let memoryKeysRemoved: number;
    if (dryRun) memoryKeysRemoved = this.parts.memory.countMatching(matches);
    else if (soft) memoryKeysRemoved = this.parts.memory.markStaleMatching(matches, now);
    else {
      memoryKeysRemoved = this.parts.memory.deleteMatching(matches);
      this.parts.coalescer.voidMatching(glob);
    }
    try {
      let redisKeysRemoved: number;
      if (dryRun) redisKeysRemoved = await this.parts.redis.visitMatching(glob, async (keys) => keys.filter((key) => verdict(key) === true).length);
      else if (soft) redisKeysRemoved = await this.parts.redis.visitMatching(glob, (keys) => markStaleShared(this.parts.redis, keys.filter((key) => this.parts.keys.isCacheKey(key)), now));
      // The glob matches the leases of matching keys too (CacheKeyBuilder.leaseKey): they go, uncounted.
      else redisKeysRemoved = await this.parts.redis.deleteMatching(glob, verdict);
      // Other sidecars drop their memory copies: removed, or to be read again, stale, from Redis.
      if (!dryRun) this.parts.coherence.announceGlob(glob);
      return { memoryKeysRemoved, redisKeysRemoved, redis: this.parts.redis.configured ? "ok" : "disabled" };
    } catch (error) {
      this.parts.noteRedisFailure("invalidate", error);
      return { memoryKeysRemoved, redisKeysRemoved: 0, redis: "unavailable" };
    }
  }

  /**
   * Invalidation by tag: the keys come from the tag's set in Redis (and the local index for
   * memory copies), never from a scan, so the cost is proportional to the tag's members. Each
   * removed key is announced to the other sidecars and its lease is voided, as a delete would.
   */
  async byTag(tag: string, glob: string, everything: boolean, dryRun: boolean, soft: boolean): Promise<TierCounts> {
    const now = this.staleFrom();
    const inScope = (key: string) => this.parts.keys.isCacheKey(key) && (everything || globMatch(glob, key));
    const local = this.parts.tags.localKeys(tag);
    let shared: string[] = [];
    // Without Redis the shared index is empty (NO_REDIS), and the calls below touch nothing.
    let redis: TierCounts["redis"] = this.parts.redis.configured ? "ok" : "disabled";
    try {
      shared = await this.parts.tags.sharedKeys(tag);
    } catch (error) {
      this.parts.noteRedisFailure("invalidate", error);
      redis = "unavailable";
    }
    const keys = [...new Set([...shared, ...local])].filter(inScope);
    const sharedKeys = shared.filter(inScope);
    let memoryKeysRemoved = 0;
    if (dryRun) memoryKeysRemoved = keys.filter((key) => this.parts.memory.has(key)).length;
    else if (soft) memoryKeysRemoved = keys.filter((key) => this.parts.memory.markStale(key, now)).length;
    else {
      for (const key of keys) {
        // Counted as the dry run counts: a copy past its expiry is dropped, not counted.
        if (this.parts.memory.has(key)) memoryKeysRemoved++;
        this.parts.memory.delete(key);
        this.parts.coalescer.voidKey(key);
      }
      if (everything) this.parts.tags.forgetLocal(tag);
    }
    let redisKeysRemoved = 0;
    if (redis !== "unavailable") {
      try {
        if (dryRun) redisKeysRemoved = await this.parts.redis.existing(sharedKeys);
        else if (soft) redisKeysRemoved = await markStaleShared(this.parts.redis, sharedKeys, now);
        else {
          const [removed] = await Promise.all([
            Promise.all(sharedKeys.map((key) => this.parts.redis.delete(key))),
            Promise.all(sharedKeys.map((key) => this.parts.voidSharedLease(key))),
          ]);
          redisKeysRemoved = removed.filter(Boolean).length;
          // The set goes with its members; scoped to a namespace or pattern, it keeps the others.
          if (everything) await this.parts.tags.dropShared(tag);
          else await this.parts.tags.forgetShared(tag, sharedKeys);
        }
      } catch (error) {
        this.parts.noteRedisFailure("invalidate", error);
        redis = "unavailable";
      }
    }
    if (!dryRun) for (const key of keys) this.parts.coherence.announceKey(key);
    return { memoryKeysRemoved, redisKeysRemoved, redis };
  }

  /**
   * When a soft purge makes entries stop being fresh: a millisecond ago, so that a lookup in
   * the same millisecond that accepts no staleness already misses.
   */
  private staleFrom(): number {
    return this.parts.now() - 1;
  }
}
