import { createClient, RESP_TYPES } from "redis";
import type { Logger } from "../logging/logger.ts";
import { redactUrl } from "../config/load.ts";
import { RedisUnavailableError } from "./errors.ts";

export type RedisState = "connecting" | "connected" | "unavailable" | "failed" | "closed";

export interface RedisTierOptions {
  readonly url: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** PEM CA for rediss:// servers signed by a private CA. */
  readonly tlsCa?: string | null;
  readonly logger: Logger;
  /** Longest pause between reconnection attempts. */
  readonly maxBackoffMs?: number;
}

export interface RedisInfo {
  readonly usedMemoryBytes: number;
  readonly usedMemoryHuman: string;
  readonly connectedClients: number;
  readonly keys: number;
  readonly version: string;
}


const SCAN_BATCH = 1000;

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
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return /WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message) || (typeof code === "string" && CERTIFICATE_ERRORS.has(code));
}

/**
 * The shared tier. Every command fails fast: the offline queue is off (a command while
 * disconnected rejects at once) and each call is bounded by the command timeout, so a slow or
 * dead Redis never holds a request for longer than that. Reconnection runs by itself with
 * capped exponential backoff, except after a refused password, which retrying cannot fix.
 */
export class RedisTier {
  private readonly client;
  private readonly binary;
  private readonly options: RedisTierOptions;
  private stateValue: RedisState = "connecting";
  private lastErrorValue: string | null = null;
  private connectedSince: number | null = null;
  private readonly connectListeners: (() => void)[] = [];

  constructor(options: RedisTierOptions) {
    this.options = options;
    const maxBackoff = options.maxBackoffMs ?? 1000;
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        ...(options.tlsCa ? { tls: true as const, ca: options.tlsCa } : {}),
        connectTimeout: options.connectTimeoutMs,
        reconnectStrategy: (retries: number, cause: Error) => {
          if (isUnrecoverable(cause)) return false;
          return Math.min(50 * 2 ** retries, maxBackoff) + Math.floor(Math.random() * 50);
        },
      },
    });
    this.binary = this.client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    this.client.on("ready", () => {
      const wasDown = this.stateValue !== "connected";
      this.stateValue = "connected";
      this.connectedSince = Date.now();
      if (wasDown) {
        options.logger.info("redis connected", { redis: redactUrl(options.url) });
        for (const listener of this.connectListeners) listener();
      }
    });
    this.client.on("error", (error: unknown) => {
      const message = error instanceof Error ? error.message || error.name : String(error);
      if (isUnrecoverable(error)) {
        this.stateValue = "failed";
        this.lastErrorValue = `connection refused for good: ${message}`;
        options.logger.error("redis refused our credentials or certificate; serving from the memory tier only", { error: message });
        return;
      }
      if (this.stateValue === "connected") options.logger.warn("redis connection lost; serving from the memory tier", { error: message });
      if (this.stateValue !== "failed" && this.stateValue !== "closed") this.stateValue = "unavailable";
      this.lastErrorValue = message;
    });
  }

  get state(): RedisState {
    return this.stateValue;
  }

  get lastError(): string | null {
    return this.lastErrorValue;
  }

  get available(): boolean {
    return this.stateValue === "connected" && this.client.isReady;
  }

  get url(): string {
    return redactUrl(this.options.url);
  }

  /** Runs after every (re)connection; a sidecar that was offline may have missed changes. */
  onConnect(listener: () => void): void {
    this.connectListeners.push(listener);
  }

  /**
   * Starts connecting and waits at most `waitMs` for the first connection. Never throws: an
   * unreachable Redis leaves the service on its memory tier while reconnection goes on.
   */
  async start(waitMs = this.options.connectTimeoutMs): Promise<void> {
    const connecting = this.client.connect().then(
      () => undefined,
      (error: unknown) => {
        this.stateValue = "failed";
        this.lastErrorValue = error instanceof Error ? error.message : String(error);
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
      this.options.logger.warn("redis not reachable at start; serving from the memory tier and retrying", {
        redis: this.url,
        error: this.lastErrorValue,
      });
    }
  }

  async close(): Promise<void> {
    const wasOpen = this.client.isOpen;
    this.stateValue = "closed";
    if (!wasOpen) return;
    try {
      await this.bounded(this.client.close(), "close");
    } catch {
      this.client.destroy();
    }
  }

  /** The stored bytes, or null when absent. */
  get(key: string): Promise<Buffer | null> {
    return this.run(() => this.binary.get(key) as Promise<Buffer | null>, "GET");
  }

  /** The stored bytes and their remaining lifetime in ms (-1: no TTL), in one round trip. */
  async getWithTtl(key: string): Promise<{ value: Buffer; ttlMs: number } | null> {
    const [value, ttl] = await this.run(
      () => Promise.all([this.binary.get(key) as Promise<Buffer | null>, this.client.pTTL(key)]),
      "GET",
    );
    return value === null ? null : { value, ttlMs: ttl };
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    await this.run(() => this.client.set(key, value, { expiration: { type: "PX", value: Math.max(1, Math.round(ttlMs)) } }), "SET");
  }

  async delete(key: string): Promise<boolean> {
    return (await this.run(() => this.client.unlink(key), "UNLINK")) > 0;
  }

  /**
   * Removes every key matching a Redis glob with SCAN + UNLINK in batches (never KEYS, which
   * blocks the server). Each UNLINK is sent without waiting, so it travels in the same
   * round trip as the next SCAN.
   */
  async deleteMatching(glob: string): Promise<number> {
    let cursor = "0";
    const unlinks: Promise<number>[] = [];
    do {
      const reply = await this.run(() => this.client.scan(cursor, { MATCH: glob, COUNT: SCAN_BATCH }), "SCAN");
      cursor = String(reply.cursor);
      if (reply.keys.length > 0) {
        unlinks.push(this.run(() => this.client.unlink(reply.keys), "UNLINK"));
      }
    } while (cursor !== "0");
    const counts = await Promise.all(unlinks);
    let removed = 0;
    for (const count of counts) removed += count;
    return removed;
  }

  async info(): Promise<RedisInfo> {
    const [text, keys] = await this.run(() => Promise.all([this.client.info(), this.client.dbSize()]), "INFO");
    const field = (name: string): string => new RegExp(`^${name}:(.*)$`, "m").exec(text)?.[1]?.trim() ?? "";
    return {
      usedMemoryBytes: Number(field("used_memory")) || 0,
      usedMemoryHuman: field("used_memory_human"),
      connectedClients: Number(field("connected_clients")) || 0,
      keys: Number(keys) || 0,
      version: field("redis_version"),
    };
  }

  uptimeMs(): number {
    return this.connectedSince === null || !this.available ? 0 : Date.now() - this.connectedSince;
  }

  /** Fails at once when not connected; otherwise bounds the command by the timeout. */
  private run<T>(command: () => Promise<T>, name: string): Promise<T> {
    if (!this.available) return Promise.reject(new RedisUnavailableError(this.stateValue));
    return this.bounded(command(), name);
  }

  private bounded<T>(promise: Promise<T>, name: string): Promise<T> {
    const timeoutMs = this.options.commandTimeoutMs;
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError(`${name} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([promise, timeout]).then(
      (value) => {
        clearTimeout(timer);
        return value;
      },
      (error: unknown) => {
        clearTimeout(timer);
        throw error instanceof RedisUnavailableError ? error : new RedisUnavailableError(`${name} failed: ${error instanceof Error ? error.message || error.name : String(error)}`);
      },
    );
  }
}
