import type { Logger } from "../logging/logger.ts";
import type { TopologyTarget } from "../config/redis-target.ts";
import { errorMessage, RedisUnavailableError } from "./errors.ts";
import { createTopology, type NodeReport, type RedisTopology } from "./redis-topology.ts";

export type RedisState = "connecting" | "connected" | "unavailable" | "failed" | "closed";

export interface RedisTierOptions {
  readonly target: TopologyTarget;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** PEM CA for rediss:// servers signed by a private CA. */
  readonly tlsCa?: string | null;
  readonly logger: Logger;
  /** Shown by CLIENT LIST on the server. */
  readonly clientName?: string;
  /** Longest pause between reconnection attempts. */
  readonly maxBackoffMs?: number;
}

export type { NodeReport };

const SCAN_BATCH = 1000;
/** Consecutive command timeouts that make the tier skip Redis, and for how long. */
const BREAKER_TIMEOUTS = 3;
const BREAKER_OPEN_MS = 1000;

const CERTIFICATE_ERRORS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * Failures that retrying cannot fix: a refused password (WRONGPASS, NOAUTH) or a server
 * certificate we do not trust. Reconnecting after these would only loop.
 */
function isUnrecoverable(error: unknown): boolean {
  const message = errorMessage(error);
  const code = (error as { code?: unknown } | null)?.code;
  return /WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message) || (typeof code === "string" && CERTIFICATE_ERRORS.has(code));
}

/**
 * The shared tier, over a standalone server, a Cluster or Sentinel. Every command fails fast:
 * the offline queue is off (a command while disconnected rejects at once) and each call is
 * bounded by the command timeout, so a slow or dead Redis never holds a request longer than
 * that. Reconnection runs by itself with capped exponential backoff, except after a refused
 * password or certificate, which retrying cannot fix.
 */
export class RedisTier {
  private readonly topology: RedisTopology;
  private readonly options: RedisTierOptions;
  private stateValue: RedisState = "connecting";
  private lastErrorValue: string | null = null;
  /** When a connection last failed with no recovery since: changes may have been missed. */
  private suspectSince: number | null = null;
  private readonly resyncListeners: ((since: number) => void)[] = [];
  /**
   * A slow Redis (connected, but not answering) would cost every request the whole command
   * timeout. After a few timeouts in a row Redis is skipped for a second, then tried again.
   */
  private consecutiveTimeouts = 0;
  private skipUntil = 0;

  constructor(options: RedisTierOptions) {
    this.options = options;
    const maxBackoff = options.maxBackoffMs ?? 1000;
    this.topology = createTopology(
      options.target,
      {
        clientName: options.clientName,
        connectTimeoutMs: options.connectTimeoutMs,
        tlsCa: options.tlsCa,
        reconnectDelay: (retries, cause) => (isUnrecoverable(cause) ? false : Math.min(50 * 2 ** retries, maxBackoff) + Math.floor(Math.random() * 50)),
      },
      {
        ready: () => this.onReady(),
        error: (error) => this.onError(error),
        down: () => {
          if (this.stateValue === "connected") this.stateValue = "unavailable";
          this.suspectSince ??= Date.now();
        },
      },
    );
  }

  get kind(): RedisTopology["kind"] {
    return this.topology.kind;
  }

  get state(): RedisState {
    return this.stateValue;
  }

  get lastError(): string | null {
    return this.lastErrorValue;
  }

  get available(): boolean {
    return this.stateValue === "connected" && this.topology.isReady() && !this.skipping;
  }

  /** Whether Redis is being skipped after repeated timeouts. */
  get skipping(): boolean {
    return this.skipUntil !== 0 && Date.now() < this.skipUntil;
  }

  /** Where Redis is, with passwords masked. */
  get url(): string {
    return this.topology.description;
  }

  /**
   * Runs once commands flow again after a connection failed: messages from other sidecars
   * may have been missed since `since`, so their copies cannot be trusted.
   */
  onResync(listener: (since: number) => void): void {
    this.resyncListeners.push(listener);
  }

  /**
   * Starts connecting and waits at most `waitMs` for the first connection. Never throws: an
   * unreachable Redis leaves the service on its memory tier while reconnection goes on.
   */
  async start(waitMs = this.options.connectTimeoutMs): Promise<void> {
    const connecting = this.topology.connect().then(
      () => undefined,
      (error: unknown) => {
        this.stateValue = "failed";
        this.lastErrorValue = errorMessage(error);
        this.options.logger.error("redis connection given up; serving from the memory tier only", { error: this.lastErrorValue });
      },
    );
    let timer: Timer | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    await Promise.race([connecting, waited]);
    clearTimeout(timer);
    if (this.stateValue !== "connected" && this.stateValue !== "failed") {
      this.options.logger.warn("redis not reachable at start; serving from the memory tier and retrying", { redis: this.url, error: this.lastErrorValue });
    }
  }

  async close(): Promise<void> {
    this.stateValue = "closed";
    try {
      await this.bounded(this.topology.close(), "close");
    } catch {
      this.topology.destroy();
    }
  }

  /** The stored bytes, or null when absent. */
  get(key: string): Promise<Buffer | null> {
    return this.run(() => this.topology.commands.get(key), "GET");
  }

  /** The stored bytes and their remaining lifetime in ms (-1: no TTL), in one round trip. */
  async getWithTtl(key: string): Promise<{ value: Buffer; ttlMs: number } | null> {
    const commands = this.topology.commands;
    const [value, ttl] = await this.run(() => Promise.all([commands.get(key), commands.pTTL(key)]), "GET");
    return value === null ? null : { value, ttlMs: ttl };
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    await this.run(() => this.topology.commands.set(key, value, { expiration: { type: "PX", value: Math.max(1, Math.round(ttlMs)) } }), "SET");
  }

  async delete(key: string): Promise<boolean> {
    return (await this.run(() => this.topology.commands.unlink(key), "UNLINK")) > 0;
  }

  /**
   * Removes every key matching a Redis glob with SCAN + UNLINK in batches on every master
   * (never KEYS, which blocks the server).
   */
  deleteMatching(glob: string): Promise<number> {
    return this.topology.deleteMatching(glob, this.run, SCAN_BATCH);
  }

  publish(channel: string, message: string): Promise<number> {
    return this.run(() => this.topology.commands.publish(channel, message), "PUBLISH");
  }

  /** Subscribes on a dedicated connection that reconnects (and resubscribes) by itself. */
  subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    return this.topology.subscribe(channel, listener);
  }

  /** One report per node (each master and replica of a cluster). */
  nodes(): Promise<NodeReport[]> {
    return this.topology.nodes(this.run);
  }

  private onReady(): void {
    const wasDown = this.stateValue !== "connected";
    this.stateValue = "connected";
    if (wasDown) this.options.logger.info("redis connected", { redis: this.url, topology: this.kind });
    this.resyncIfSuspect();
  }

  private onError(error: unknown): void {
    const message = errorMessage(error);
    this.lastErrorValue = message;
    if (this.stateValue !== "connecting") this.suspectSince ??= Date.now();
    if (isUnrecoverable(error)) {
      this.stateValue = "failed";
      this.lastErrorValue = `connection refused for good: ${message}`;
      this.options.logger.error("redis refused our credentials or certificate; serving from the memory tier only", { error: message });
      return;
    }
    if (this.stateValue === "connected" && !this.topology.isReady()) {
      this.options.logger.warn("redis connection lost; serving from the memory tier", { error: message });
      this.stateValue = "unavailable";
    } else if (this.stateValue === "connected") {
      this.options.logger.warn("a redis connection failed; entries may have changed meanwhile", { error: message });
    }
  }

  private resyncIfSuspect(): void {
    const since = this.suspectSince;
    if (since === null) return;
    this.suspectSince = null;
    for (const listener of this.resyncListeners) listener(since);
  }

  /** Fails at once when not connected; otherwise bounds the command by the timeout. */
  private readonly run = <T>(command: () => Promise<T>, name: string): Promise<T> => {
    if (!this.available) return Promise.reject(new RedisUnavailableError(this.stateValue));
    const result = this.bounded(command(), name);
    if (this.suspectSince !== null) void result.then(() => this.resyncIfSuspect(), () => {});
    return result;
  };

  private bounded<T>(promise: Promise<T>, name: string): Promise<T> {
    const timeoutMs = this.options.commandTimeoutMs;
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError(`${name} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([promise, timeout]).then(
      (value) => {
        clearTimeout(timer);
        this.consecutiveTimeouts = 0;
        if (this.skipUntil !== 0 && Date.now() >= this.skipUntil) {
          this.skipUntil = 0;
          this.options.logger.info("redis answers in time again", { redis: this.url });
        }
        return value;
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (error instanceof RedisUnavailableError && error.message.includes("timed out")) this.noteTimeout();
        throw error instanceof RedisUnavailableError ? error : new RedisUnavailableError(`${name} failed: ${errorMessage(error)}`);
      },
    );
  }

  private noteTimeout(): void {
    if (++this.consecutiveTimeouts < BREAKER_TIMEOUTS || this.skipping) return;
    this.skipUntil = Date.now() + BREAKER_OPEN_MS;
    this.lastErrorValue = `${this.consecutiveTimeouts} commands in a row timed out; skipping Redis for ${BREAKER_OPEN_MS} ms at a time`;
    this.options.logger.warn("redis too slow; answering from the memory tier for a while", { redis: this.url, timeout_ms: this.options.commandTimeoutMs });
  }
}
