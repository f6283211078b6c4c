import type { Logger } from "../logging/logger.ts";
import { globMatch } from "./glob.ts";
import type { CacheKeyBuilder } from "./key.ts";
import type { MemoryTier } from "./memory-tier.ts";
import type { RedisTier } from "./redis-tier.ts";

/**
 * What one sidecar tells the others: a key was stored (`at`: the stored-at time written in
 * the value's header) or deleted (no `at`), or a glob was invalidated.
 */
type Message = { readonly from: string; readonly key: string; readonly at?: number } | { readonly from: string; readonly glob: string };

/** Changed keys remembered for deciding promotions; past this many the memory restarts. */
const RECENT_CHANGES = 1024;

/**
 * Keeps the memory tiers of sidecars that share a Redis coherent. Each change to Redis is
 * announced on one pub/sub channel per key prefix; every other sidecar drops its memory copy,
 * and reads the new value from Redis on its next lookup. One message per change or per
 * invalidated pattern, whatever the number of keys, and it works on Redis 6+ with RESP2,
 * standalone, Cluster (PUBLISH reaches every node) and Sentinel alike.
 *
 * A sidecar whose connection failed may have missed messages: when commands flow again it
 * drops every memory entry stored before the failure. Entries written during the outage were
 * never in Redis and are kept.
 */
export class Coherence {
  readonly channel: string;
  readonly instance = crypto.randomUUID();
  /** Bumped by every message applied; lets a Redis read tell whether changes arrived meanwhile. */
  private generationValue = 0;
  private readonly recent = new Map<string, { generation: number; at: number | undefined }>();
  /** Changes before this generation are no longer remembered key by key. */
  private forgottenBefore = 0;
  private lastGlobGeneration = 0;
  private readonly memory: MemoryTier;
  private readonly keys: CacheKeyBuilder;
  private readonly redis: RedisTier;
  private readonly logger: Logger;
  private received = 0;
  private published = 0;

  constructor(options: { memory: MemoryTier; keys: CacheKeyBuilder; redis: RedisTier; logger: Logger }) {
    this.memory = options.memory;
    this.keys = options.keys;
    this.redis = options.redis;
    this.logger = options.logger;
    this.channel = `${options.keys.prefix}coherence`;
  }

  get generation(): number {
    return this.generationValue;
  }

  get stats(): { channel: string; instance: string; published: number; received: number } {
    return { channel: this.channel, instance: this.instance, published: this.published, received: this.received };
  }

  /**
   * Arranges the resync after connection failures and starts subscribing in the background
   * (Redis may be unreachable for now). Resolves `subscribed` once messages flow.
   */
  start(): void {
    this.redis.onResync((since) => {
      const dropped = this.memory.deleteStoredBefore(since);
      // Reads in flight may predate the failure too.
      this.forgottenBefore = ++this.generationValue;
      this.logger.info("redis reachable again; dropped memory entries that may have gone stale", { dropped });
    });
    this.subscribed = this.redis.subscribe(this.channel, (message) => this.apply(message)).then(
      () => true,
      (error: unknown) => {
        this.logger.warn("could not subscribe for coherence; memory tiers of other sidecars may go stale until their TTL", { error });
        return false;
      },
    );
  }

  /** Whether the subscription went through (false if it failed for good). */
  subscribed: Promise<boolean> = Promise.resolve(false);

  /** `at`: the stored-at time of a store (omit for a delete). */
  announceKey(key: string, at?: number): void {
    this.publish(JSON.stringify(at === undefined ? { from: this.instance, key } : { from: this.instance, key, at }));
  }

  /**
   * Whether a value read from Redis at generation `since` may be promoted into the memory
   * tier: yes unless a change to this key arrived during the read, and that change is not the
   * very write that was read (same stored-at time). Invalidations during the read, or more
   * changes than are remembered, forbid it.
   */
  mayPromote(key: string, since: number, storedAt: number): boolean {
    if (this.generationValue === since) return true;
    if (this.lastGlobGeneration > since || this.forgottenBefore > since) return false;
    const change = this.recent.get(key);
    if (change === undefined || change.generation <= since) return true;
    return change.at === storedAt;
  }

  announceGlob(glob: string): void {
    this.publish(JSON.stringify({ from: this.instance, glob }));
  }

  /** Applies another sidecar's message; malformed or foreign ones are ignored. */
  apply(raw: string): void {
    let message: Message;
    try {
      message = JSON.parse(raw) as Message;
    } catch {
      return;
    }
    if (typeof message !== "object" || message === null || message.from === this.instance) return;
    this.received++;
    const generation = ++this.generationValue;
    if ("key" in message && typeof message.key === "string" && this.keys.isCacheKey(message.key)) {
      this.memory.delete(message.key);
      if (this.recent.size >= RECENT_CHANGES) {
        this.recent.clear();
        this.forgottenBefore = generation;
      }
      this.recent.set(message.key, { generation, at: typeof message.at === "number" ? message.at : undefined });
    } else if ("glob" in message && typeof message.glob === "string" && message.glob.startsWith(this.keys.prefix)) {
      const glob = message.glob;
      this.lastGlobGeneration = generation;
      this.memory.deleteMatching((key) => globMatch(glob, key));
    }
  }

  private publish(message: string): void {
    this.published++;
    // Fire and forget: the change is already in Redis; a lost announcement costs staleness
    // bounded by the entry's TTL, never a failed request.
    this.redis.publish(this.channel, message).catch((error: unknown) => this.logger.debug("coherence announcement not sent", { error }));
  }
}
