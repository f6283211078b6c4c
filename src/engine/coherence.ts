import type { Logger } from "../logging/logger.ts";
import { globMatch } from "./glob.ts";
import type { CacheKeyBuilder } from "./key.ts";
import type { MemoryTier } from "./memory-tier.ts";
import type { PromotionGuard } from "./promotion-guard.ts";
import type { RedisHealth } from "./redis/shared-tier.ts";

/** How long a subscriber failure waits to see whether Redis itself was lost (then logged by the tier); the memory copies are capped at once. */
const LOSS_LOG_DELAY_MS = 1000;

/**
 * What one sidecar tells the others: a key was stored or deleted, or a glob was invalidated.
 * (`at`, the stored-at time, is still sent for older sidecars, which read it; it is not needed.)
 */
type Message = { readonly from: string; readonly key: string; readonly at?: number } | { readonly from: string; readonly glob: string };

/** The part of the Redis tier coherence needs; its failure rule: publish rejects when Redis is unreachable. */
export interface CoherenceChannel {
  /** Redis's state: a subscriber failure while Redis itself is lost is that loss, logged once by the tier. */
  readonly health: RedisHealth;
  publish(channel: string, message: string): Promise<number>;
  /**
   * Subscribes on a connection of its own that reconnects and resubscribes by itself;
   * `onLost` runs whenever that connection fails (messages may be lost until it is back).
   */
  subscribe(subscriptions: readonly { channel: string; listener: (message: string) => void }[], onLost: (error: unknown) => void): Promise<void>;
}

/** Announcements kept for resending while Redis is unreachable; past this, one "everything changed" replaces them. */
const MAX_UNSENT = 1000;

export interface CoherenceStats {
  readonly channel: string;
  readonly instance: string;
  readonly published: number;
  readonly received: number;
  /** listening: announcements are heard; lost: they may be missed, memory copies live at most boundMs/2. */
  readonly state: "listening" | "lost";
  readonly resyncs: number;
  /** Announcements waiting for Redis to take them. */
  readonly unsent: number;
}

/** A change another sidecar announced. */
export type RemoteChange = { readonly key: string; readonly stored: boolean } | { readonly glob: string };

/** How the cache service sees coherence, whether or not there are other sidecars. */
export interface MemoryCoherence {
  /** Resolves once announcements are heard, or after `waitMs`. */
  start(waitMs: number): Promise<void>;
  stop(): void;
  announceKey(key: string, at?: number): void;
  announceGlob(glob: string): void;
  /** The latest a memory copy written now may expire. */
  memoryExpiry(expiresAt: number, now: number): number;
  /** Hears each change another sidecar announced: a key written (`stored`) or deleted, or a glob invalidated. */
  onRemoteChange(listener: (change: RemoteChange) => void): void;
  readonly stats: CoherenceStats | null;
}

/** A sidecar alone (no Redis, or CACHE_COHERENCE=false): nothing to tell, nothing to hear. */
export const ALONE: MemoryCoherence = {
  start: async () => {},
  stop: () => {},
  announceKey: () => {},
  announceGlob: () => {},
  memoryExpiry: (expiresAt) => expiresAt,
  onRemoteChange: () => {},
  stats: null,
};

export interface CoherenceOptions {
  readonly memory: MemoryTier;
  readonly keys: CacheKeyBuilder;
  readonly redis: CoherenceChannel;
  readonly guard: PromotionGuard;
  readonly logger: Logger;
  /** Longest a memory copy may be served after another sidecar changed it, even when announcements are lost. */
  readonly boundMs: number;
  readonly now?: () => number;
}

/**
 * Keeps the memory tiers of sidecars that share a Redis coherent. Each change to Redis is
 * announced on one pub/sub channel per key prefix; every other sidecar drops its memory copy
 * and reads the new value from Redis on its next lookup. One message per change or per
 * invalidated pattern, whatever the number of keys; standalone, Cluster and Sentinel alike.
 *
 * Pub/sub loses messages silently while the subscriber is disconnected, so each sidecar also
 * sends itself a numbered heartbeat every boundMs/8 on a channel of its own. It knows it is
 * listening while its heartbeats arrive in order. When one is missed for 3/8 of the bound, or
 * the subscriber's connection reports a failure, it is "lost": every memory copy is cut to live
 * at most boundMs/2, and so is every new one. A change missed at time t is therefore served
 * until t + boundMs at the latest. When its heartbeats arrive again it resyncs: the memory tier
 * is emptied (any entry may have changed meanwhile) and reads in flight are not promoted.
 */
export class Coherence implements MemoryCoherence {
  readonly channel: string;
  readonly instance = crypto.randomUUID();
  private readonly heartbeatChannel: string;
  private readonly memory: MemoryTier;
  private readonly keys: CacheKeyBuilder;
  private readonly redis: CoherenceChannel;
  private readonly guard: PromotionGuard;
  private readonly remoteListeners: ((change: RemoteChange) => void)[] = [];
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly heartbeatMs: number;
  private readonly silenceMs: number;
  /** How long a memory copy may live while announcements may be missed. */
  private readonly lostTtlMs: number;
  private listening = false;
  private everListened = false;
  /** The subscriber's connection failed since the last heartbeat heard. */
  private failedSinceHeard = false;
  private sentSeq = 0;
  private heardSeq = 0;
  private heardAt = 0;
  private timer: Timer | null = null;
  private firstHeard: (() => void) | null = null;
  private received = 0;
  private published = 0;
  private resyncs = 0;
  /** Announcements Redis did not take yet, oldest first. */
  private readonly unsent: string[] = [];
  private resending = false;
  private stopped = false;

  constructor(options: CoherenceOptions) {
    this.memory = options.memory;
    this.keys = options.keys;
    this.redis = options.redis;
    this.guard = options.guard;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.channel = `${options.keys.prefix}coherence`;
    this.heartbeatChannel = `${this.channel}:heartbeat:${this.instance}`;
    this.heartbeatMs = Math.max(1, options.boundMs / 8);
    this.silenceMs = (options.boundMs * 3) / 8;
    this.lostTtlMs = options.boundMs / 2;
  }

  get stats(): CoherenceStats {
    return {
      channel: this.channel,
      instance: this.instance,
      published: this.published,
      received: this.received,
      state: this.listening ? "listening" : "lost",
      resyncs: this.resyncs,
      unsent: this.unsent.length,
    };
  }

  /** Subscribes in the background (Redis may be unreachable for now) and starts the heartbeat. */
  async start(waitMs: number): Promise<void> {
    const heard = new Promise<void>((resolve) => {
      this.firstHeard = resolve;
    });
    this.redis
      .subscribe(
        [
          { channel: this.channel, listener: (message) => this.apply(message) },
          { channel: this.heartbeatChannel, listener: (message) => this.heard(message) },
        ],
        (error) => this.lose("the subscriber's connection failed", error),
      )
      .catch((error: unknown) => this.logger.warn("could not subscribe for coherence; retrying with the connection", { error }));
    this.timer = setInterval(() => this.tick(), this.heartbeatMs);
    this.timer.unref();
    this.tick();
    let timer: Timer | undefined;
    await Promise.race([heard, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  /** Stops the heartbeat; the connection closing afterwards is not a loss worth reporting. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.stopped = true;
  }

  memoryExpiry(expiresAt: number, now: number): number {
    return this.listening ? expiresAt : Math.min(expiresAt, now + this.lostTtlMs);
  }

  onRemoteChange(listener: (change: RemoteChange) => void): void {
    this.remoteListeners.push(listener);
  }

  announceKey(key: string, at?: number): void {
    this.publish(JSON.stringify(at === undefined ? { from: this.instance, key } : { from: this.instance, key, at }));
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
    if ("key" in message && typeof message.key === "string" && this.keys.isCacheKey(message.key)) {
      this.received++;
      this.guard.keyChanged(message.key);
      this.memory.delete(message.key);
      // Stores announce when they wrote; deletes do not.
      const stored = "at" in message && message.at !== undefined;
      for (const listener of this.remoteListeners) listener({ key: message.key, stored });
    } else if ("glob" in message && typeof message.glob === "string" && message.glob.startsWith(this.keys.prefix)) {
      this.received++;
      const glob = message.glob;
      this.guard.globChanged();
      this.memory.deleteMatching((key) => globMatch(glob, key));
      for (const listener of this.remoteListeners) listener({ glob });
    }
  }

  /** One of our own heartbeats arrived: announcements are heard; if some may have been missed, resync. */
  heard(raw: string): void {
    const seq = Number(raw);
    if (!Number.isSafeInteger(seq)) return;
    const inOrder = seq === this.heardSeq + 1;
    this.heardSeq = seq;
    this.heardAt = this.now();
    if (this.listening && inOrder && !this.failedSinceHeard) return;
    if (this.everListened) this.resync(inOrder ? "the subscriber reconnected" : "heartbeats were missed");
    this.listening = true;
    this.everListened = true;
    this.failedSinceHeard = false;
    this.firstHeard?.();
    this.firstHeard = null;
  }

  /** Every heartbeat period: notice silence, and send the next heartbeat. */
  tick(): void {
    if (this.listening && this.now() - this.heardAt > this.silenceMs) this.lose(`no heartbeat heard for ${Math.round(this.silenceMs)} ms`);
    const seq = ++this.sentSeq;
    // A heartbeat that cannot be sent leaves a gap in the numbers: the next one heard resyncs.
    this.redis.publish(this.heartbeatChannel, String(seq)).catch(() => {});
    if (this.unsent.length > 0) void this.resend();
  }

  /** Announcements may be missed from now on: cut every memory copy's life to the bound. */
  lose(reason: string, error?: unknown): void {
    this.failedSinceHeard = true;
    if (!this.listening || this.stopped) return;
    this.listening = false;
    const capped = this.memory.capExpiry(this.now() + this.lostTtlMs);
    const message = "coherence lost: changes by other sidecars may be missed; memory copies now expire within the bound";
    const fields = { reason, ...(error === undefined ? {} : { error }), memory_entries_capped: capped, lost_ttl_ms: this.lostTtlMs };
    if (error === undefined) {
      this.logger.warn(message, fields);
      return;
    }
    // Losing Redis closes the subscriber's connection too, a moment before the data connection
    // notices: the Redis tier then logs the loss, once, and this line adds nothing at warn.
    setTimeout(() => {
      if (this.redis.health === "connected") this.logger.warn(message, fields);
      else this.logger.debug(message, fields);
    }, LOSS_LOG_DELAY_MS).unref();
  }

  private resync(reason: string): void {
    const dropped = this.memory.size;
    this.memory.clear();
    // Reads in flight may have fetched values changed while we were not listening.
    this.guard.forgetAll();
    this.resyncs++;
    this.logger.info("coherence regained; dropped memory entries that may have gone stale", { reason, dropped });
  }

  /**
   * Never holds the request: the change is already in Redis. An announcement Redis did not take
   * is kept and sent again every heartbeat period (other sidecars' heartbeats cannot reveal a
   * message that was never sent), so their copies go once Redis takes it.
   */
  private publish(message: string): void {
    this.published++;
    if (this.unsent.length > 0) {
      this.keepUnsent(message);
      return;
    }
    this.redis.publish(this.channel, message).catch((error: unknown) => {
      this.logger.warn("coherence announcement not sent; it will be sent again", { error });
      this.keepUnsent(message);
    });
  }

  private keepUnsent(message: string): void {
    if (this.unsent.length < MAX_UNSENT) {
      this.unsent.push(message);
      return;
    }
    // Too many to keep one by one: one invalidation of every key says at least as much.
    this.unsent.length = 0;
    this.unsent.push(JSON.stringify({ from: this.instance, glob: `${this.keys.prefix}*` }));
  }

  /** Sends kept announcements in order, stopping at the first refusal. */
  private async resend(): Promise<void> {
    if (this.resending) return;
    this.resending = true;
    try {
      while (this.unsent.length > 0) {
        await this.redis.publish(this.channel, this.unsent[0]!);
        this.unsent.shift();
      }
    } catch {
      // Still unreachable; the next heartbeat period tries again.
    } finally {
      this.resending = false;
    }
  }
}
