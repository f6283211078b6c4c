import { RedisUnavailableError } from "../errors.ts";

/**
 * One word for Redis's state, used alike by /ready, /internal/cache/status and /metrics:
 * disabled (not configured: memory tier only), connected, unavailable (unreachable or too slow;
 * retrying), error (refused our credentials or certificate; retrying).
 */
export const REDIS_HEALTH_STATES = ["disabled", "connected", "unavailable", "error"] as const;
export type RedisHealth = (typeof REDIS_HEALTH_STATES)[number];

/** Connection state in more detail, for status: connecting and closed come before and after. */
export type RedisState = "disabled" | "connecting" | "connected" | "unavailable" | "error" | "closed";

export type RedisWrites = "ok" | "failing";

/** What one node (or the single server) reports for /internal/cache/status. */
export interface NodeReport {
  readonly address: string;
  readonly role: "master" | "replica";
  readonly status: "connected" | "unavailable";
  readonly keys?: number;
  readonly usedMemoryBytes?: number;
  readonly usedMemoryHuman?: string;
  readonly connectedClients?: number;
  readonly error?: string;
}

export interface Subscription {
  readonly channel: string;
  readonly listener: (message: string) => void;
}

/**
 * The tier every sidecar shares. Failure rule: every command rejects with
 * RedisUnavailableError when Redis cannot answer (RedisRefusedError when it answers with a
 * refusal), never waits longer than the command timeout, and never throws synchronously.
 * `start` and `close` never reject.
 */
export interface SharedTier {
  /** False for NO_REDIS: the service runs on its memory tier alone. */
  readonly configured: boolean;
  readonly kind: "none" | "standalone" | "cluster" | "sentinel";
  readonly health: RedisHealth;
  readonly state: RedisState;
  /** Whether commands may be sent now (connected and not being skipped). */
  readonly available: boolean;
  /** Where Redis is, with credentials masked. */
  readonly url: string;
  readonly lastError: string | null;
  readonly writes: { readonly state: RedisWrites; readonly failures: number; readonly lastError: string | null };
  start(waitMs?: number): Promise<void>;
  close(): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  /** The stored bytes and their remaining lifetime in ms (-1: no TTL). */
  getWithTtl(key: string): Promise<{ value: Buffer; ttlMs: number } | null>;
  set(key: string, value: Buffer, ttlMs: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /**
   * Removes every key matching a Redis glob; returns how many went, counting only the keys
   * `counted` accepts (all when it is absent). Keys for which it answers null are left alone.
   */
  deleteMatching(glob: string, counted?: (key: string) => boolean | null): Promise<number>;
  /** Hands every key matching a glob to `visit`, a page at a time; returns the sum of its answers. */
  visitMatching(glob: string, visit: (keys: string[]) => Promise<number>): Promise<number>;
  /** The members of a set (SMEMBERS); empty when it is absent. */
  members(key: string): Promise<string[]>;
  /** How many of `keys` exist (one EXISTS per key, sent together). */
  existing(keys: readonly string[]): Promise<number>;
  publish(channel: string, message: string): Promise<number>;
  /**
   * Runs a Lua script that may write, atomically on the server. Its keys must share one hash
   * slot (a cluster routes it by the first). Blob replies come back as Buffers.
   */
  script(source: string, keys: string[], args: (string | Buffer)[]): Promise<unknown>;
  /** Subscribes on a connection of its own; `onLost` hears each failure of it. */
  subscribe(subscriptions: readonly Subscription[], onLost: (error: unknown) => void): Promise<void>;
  nodes(): Promise<NodeReport[]>;
}

const notConfigured = () => Promise.reject(new RedisUnavailableError("not configured"));

/**
 * No Redis configured. Reads find nothing and removals remove nothing (there is nothing a
 * missing tier could hold), so callers need no special case; writes are never attempted
 * because it is never available.
 */
export const NO_REDIS: SharedTier = {
  configured: false,
  kind: "none",
  health: "disabled",
  state: "disabled",
  available: false,
  url: "disabled",
  lastError: null,
  writes: { state: "ok", failures: 0, lastError: null },
  start: async () => {},
  close: async () => {},
  get: async () => null,
  getWithTtl: async () => null,
  set: notConfigured,
  delete: async () => false,
  deleteMatching: async () => 0,
  visitMatching: async () => 0,
  members: async () => [],
  existing: async () => 0,
  publish: notConfigured,
  script: notConfigured,
  subscribe: notConfigured,
  nodes: async () => [],
};
