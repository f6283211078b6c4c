import type { Logger } from "../../logging/logger.ts";
import type { TopologyTarget } from "./target.ts";
import { ErrorReply } from "redis";
import { errorMessage, RedisRefusedError, RedisUnavailableError } from "../errors.ts";
import { createTopology, type KeySpace, type RedisTopology } from "./topology.ts";
import type { NodeReport, RedisHealth, RedisState, SharedTier, Subscription } from "./shared-tier.ts";

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

function infoField(info: string, name: string): string {
  return new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim() ?? "";
}

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
 * Failures a person must fix: a refused password (WRONGPASS, NOAUTH) or a server certificate
 * we do not trust. They are reported as "error", and reconnection goes on at the slowest pace,
 * so the tier comes back by itself once the password or certificate is fixed.
 */
function isRefusal(error: unknown): boolean {
  const message = errorMessage(error);
  const code = (error as { code?: unknown } | null)?.code;
  return /WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message) || (typeof code === "string" && CERTIFICATE_ERRORS.has(code));
}

/** How often a repeated warning (failed writes, refused credentials) may be logged. */
const WARN_INTERVAL_MS = 10_000;

/** A warning that repeats is logged at most once per WARN_INTERVAL_MS. */
class WarnInterval {
  private lastAt = Number.NEGATIVE_INFINITY;

  due(): boolean {
    const now = Date.now();
    if (now - this.lastAt < WARN_INTERVAL_MS) return false;
    this.lastAt = now;
    return true;
  }
}

/**
 * The shared tier, over a standalone server, a Cluster or Sentinel. Every command fails fast:
 * the offline queue is off (a command while disconnected rejects at once) and each call is
 * bounded by the command timeout, so a slow or dead Redis never holds a request longer than
 * that. Reconnection runs by itself with capped exponential backoff, forever: even a refused
 * password or certificate is retried (at the slowest pace), since an operator may fix it.
 *
 * Failure rule: every method rejects with RedisUnavailableError when Redis cannot answer,
 * and none waits longer than the command timeout.
 */
export class RedisTier implements SharedTier {
  readonly configured = true;
  private readonly topology: RedisTopology;
  private readonly options: RedisTierOptions;
  private stateValue: RedisState = "connecting";
  private lastErrorValue: string | null = null;
  /**
   * A slow Redis (connected, but not answering) would cost every request the whole command
   * timeout. After a few timeouts in a row Redis is skipped for a second, then tried again.
   */
  private consecutiveTimeouts = 0;
  private skipUntil = 0;
  /** Writes refused by a reachable Redis (out of memory, read-only replica) are not connection losses. */
  private writeFailures = 0;
  private lastWriteFailureAt = 0;
  private lastWriteOkAt = 0;
  private lastWriteErrorValue: string | null = null;
  private readonly writeWarning = new WarnInterval();
  private readonly refusalWarning = new WarnInterval();

  constructor(options: RedisTierOptions) {
    this.options = options;
    const maxBackoff = options.maxBackoffMs ?? 1000;
    this.topology = createTopology(
      options.target,
      {
        clientName: options.clientName,
        connectTimeoutMs: options.connectTimeoutMs,
        tlsCa: options.tlsCa,
        reconnectDelay: (retries, cause) => (isRefusal(cause) ? maxBackoff : Math.min(50 * 2 ** retries, maxBackoff)) + Math.floor(Math.random() * 50),
      },
      {
        ready: () => this.onReady(),
        error: (error) => this.onError(error),
        down: () => {
          if (this.stateValue === "connected") this.stateValue = "unavailable";
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

  get health(): RedisHealth {
    if (this.available) return "connected";
    return this.stateValue === "error" ? "error" : "unavailable";
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

  /** Where Redis is, with credentials masked. */
  get url(): string {
    return this.topology.description;
  }

  /** failing: the last write Redis refused came after the last one it took. */
  get writes(): SharedTier["writes"] {
    return { state: this.lastWriteFailureAt > this.lastWriteOkAt ? "failing" : "ok", failures: this.writeFailures, lastError: this.lastWriteErrorValue };
  }

  /**
   * Starts connecting and waits at most `waitMs` for the first connection. Never throws: an
   * unreachable Redis leaves the service on its memory tier while reconnection goes on.
   */
  async start(waitMs = this.options.connectTimeoutMs): Promise<void> {
    const connecting = this.topology.connect().then(
      () => undefined,
      (error: unknown) => {
        this.stateValue = "error";
        this.lastErrorValue = errorMessage(error);
        this.options.logger.error("redis connection failed; serving from the memory tier only", { error: this.lastErrorValue });
      },
    );
    let timer: Timer | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    await Promise.race([connecting, waited]);
    clearTimeout(timer);
    if (this.stateValue !== "connected") {
      this.options.logger.warn("redis not reachable at start; serving from the memory tier and retrying", { redis: this.url, error: this.lastErrorValue });
    }
  }

  /** Closes every connection, bounded by the command timeout. Never throws, whatever state Redis is in. */
  async close(): Promise<void> {
    this.stateValue = "closed";
    try {
      await this.bounded(this.topology.close(), "close");
    } catch {
      try {
        this.topology.destroy();
      } catch {
        // Already closed: nothing left to release.
      }
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
    await this.write(() => this.topology.commands.set(key, value, { expiration: { type: "PX", value: Math.max(1, Math.round(ttlMs)) } }), "SET");
  }

  async delete(key: string): Promise<boolean> {
    return (await this.write(() => this.topology.commands.unlink(key), "UNLINK")) > 0;
  }

  /**
   * Removes every key matching a Redis glob with SCAN + UNLINK in batches on every master
   * (never KEYS, which blocks the server).
   */
  async deleteMatching(glob: string, counted?: (key: string) => boolean | null): Promise<number> {
    return this.visitMatchingWith(glob, (space, page) => {
      let keys = page;
      if (counted === undefined) return this.write(() => space.unlink(keys), "UNLINK");
      const uncounted: string[] = [];
      keys = [];
      for (const key of page) {
        const verdict = counted(key);
        if (verdict === true) keys.push(key);
        else if (verdict === false) uncounted.push(key);
      }
      const unlinks: Promise<number>[] = [];
      if (uncounted.length > 0) unlinks.push(this.write(() => space.unlink(uncounted), "UNLINK").then(() => 0));
      if (keys.length > 0) unlinks.push(this.write(() => space.unlink(keys), "UNLINK"));
      return Promise.all(unlinks).then((counts) => counts.reduce((sum, count) => sum + count, 0));
    });
  }

  visitMatching(glob: string, visit: (keys: string[]) => Promise<number>): Promise<number> {
    return this.visitMatchingWith(glob, (_space, keys) => visit(keys));
  }

  /** Cost: one SMEMBERS, linear in the set's size. */
  async members(key: string): Promise<string[]> {
    const members = await this.run(() => this.topology.commands.sMembers(key), "SMEMBERS");
    return members.map(String);
  }

  /** Cost: one EXISTS per key, pipelined (keys may live in different slots). */
  async existing(keys: readonly string[]): Promise<number> {
    const commands = this.topology.commands;
    const found = await this.run(() => Promise.all(keys.map((key) => commands.exists(key))), "EXISTS");
    return found.reduce((sum, count) => sum + count, 0);
  }

  /**
   * SCAN on every master, one page at a time, each bounded by the command timeout; each page's
   * work travels with the next SCAN.
   */
  private async visitMatchingWith(glob: string, visit: (space: KeySpace, keys: string[]) => Promise<number>): Promise<number> {
    const spaces = await this.run(() => this.topology.keySpaces(), "CONNECT");
    let total = 0;
    for (const space of spaces) {
      let cursor = "0";
      const visits: Promise<number>[] = [];
      do {
        const page = await this.run(() => space.scan(cursor, glob, SCAN_BATCH), "SCAN");
        cursor = page.cursor;
        // Some topologies hand keys back as Buffers.
        if (page.keys.length > 0) visits.push(visit(space, page.keys.map(String)));
      } while (cursor !== "0");
      for (const count of await Promise.all(visits)) total += count;
    }
    return total;
  }

  script(source: string, keys: string[], args: (string | Buffer)[]): Promise<unknown> {
    return this.write(() => this.topology.commands.eval(source, { keys, arguments: args }), "EVAL");
  }

  publish(channel: string, message: string): Promise<number> {
    return this.run(() => this.topology.commands.publish(channel, message), "PUBLISH");
  }

  /** Subscribes on a dedicated connection that reconnects (and resubscribes) by itself. */
  subscribe(subscriptions: readonly Subscription[], onLost: (error: unknown) => void): Promise<void> {
    return this.topology.subscribe(subscriptions, onLost);
  }

  /** One report per node (each master and replica of a cluster). */
  nodes(): Promise<NodeReport[]> {
    return Promise.all(
      this.topology.probes().map(async ({ address, role, read }): Promise<NodeReport> => {
        try {
          const { info, keys } = await this.run(read, "INFO");
          return {
            address,
            role,
            status: "connected",
            keys,
            usedMemoryBytes: Number(infoField(info, "used_memory")) || 0,
            usedMemoryHuman: infoField(info, "used_memory_human"),
            connectedClients: Number(infoField(info, "connected_clients")) || 0,
          };
        } catch (error) {
          return { address, role, status: "unavailable", error: errorMessage(error) };
        }
      }),
    );
  }

  private onReady(): void {
    const wasDown = this.stateValue !== "connected";
    this.stateValue = "connected";
    if (wasDown) this.options.logger.info("redis connected", { redis: this.url, topology: this.kind });
  }

  private onError(error: unknown): void {
    const message = errorMessage(error);
    if (this.stateValue === "closed") return;
    if (isRefusal(error)) {
      this.lastErrorValue = `refused: ${message}; retrying`;
      if (!this.topology.isReady()) this.stateValue = "error";
      if (this.refusalWarning.due()) {
        this.options.logger.error("redis refused our credentials or certificate; serving from the memory tier and retrying", { error: message });
      }
      return;
    }
    this.lastErrorValue = message;
    if (this.stateValue === "connected" && !this.topology.isReady()) {
      this.options.logger.warn("redis connection lost; serving from the memory tier", { error: message });
      this.stateValue = "unavailable";
    }
  }

  /** A write, bounded like any command; Redis refusing it is counted, reported and logged (at most every 10 s). */
  private async write<T>(command: () => Promise<T>, name: string): Promise<T> {
    try {
      const result = await this.run(command, name);
      this.lastWriteOkAt = performance.now();
      return result;
    } catch (error) {
      if (error instanceof RedisRefusedError) this.noteWriteFailure(error);
      throw error;
    }
  }

  private noteWriteFailure(error: unknown): void {
    this.writeFailures++;
    this.lastWriteFailureAt = performance.now();
    this.lastWriteErrorValue = errorMessage(error);
    if (!this.writeWarning.due()) return;
    this.options.logger.warn("redis refused a write; entries live in the memory tier only", { error: this.lastWriteErrorValue, write_failures: this.writeFailures });
  }

  /** Fails at once when not connected; otherwise bounds the command by the timeout. */
  private readonly run = <T>(command: () => Promise<T>, name: string): Promise<T> => {
    if (!this.available) return Promise.reject(new RedisUnavailableError(this.stateValue));
    return this.bounded(command(), name);
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
        if (error instanceof RedisUnavailableError) throw error;
        // An error reply (OOM, READONLY...) comes from a Redis that is up but will not do it.
        throw error instanceof ErrorReply ? new RedisRefusedError(`${name} refused: ${errorMessage(error)}`) : new RedisUnavailableError(`${name} failed: ${errorMessage(error)}`);
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
