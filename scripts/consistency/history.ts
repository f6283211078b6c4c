/**
 * The history a consistency run records: every operation a client issued, with its invocation
 * and completion times (milliseconds on one monotonic clock, the runner's `performance.now()`
 * relative to the start of the run), what the sidecar answered, and every fault window.
 * The checker reads nothing else, so a history can be written by hand in a unit test.
 */

/** A logical key of the workload, e.g. "summarize/doc-3": one (operation, text) pair. */
export type LogicalKey = string;

interface Timed {
  /** Unique within the history; also the order in which operations were issued. */
  readonly id: number;
  readonly client: number;
  /** Index of the sidecar the request went to. */
  readonly sidecar: number;
  readonly invoke: number;
  readonly complete: number;
}

/**
 * - `redis`: 201 with `tiers` including "redis": the value was written to Redis.
 * - `memory`: 201 without "redis": only the sidecar's memory tier is known to hold it (the
 *   Redis write may have timed out on the client side and still land later).
 * - `failed`: any other answer; its Redis write may still land later.
 * - `unknown`: no answer (connection error or client timeout); it may take effect at any time.
 * - `conflict`: a store under a lease answered 409: it must never take effect.
 */
export type StoreOutcome = "redis" | "memory" | "failed" | "unknown" | "conflict";

export interface StoreOp extends Timed {
  readonly kind: "store";
  readonly key: LogicalKey;
  /** Unique per store, so a lookup's answer names the store that produced it. */
  readonly value: string;
  readonly outcome: StoreOutcome;
  /** For a store under a lease: the id of the coalesced lookup that was handed the lease. */
  readonly leaseOf?: number;
}

export interface LookupOp extends Timed {
  readonly kind: "lookup";
  readonly key: LogicalKey;
  readonly outcome: "hit" | "miss" | "failed";
  /** For a hit: the value id found in the response, or null when it carries none. */
  readonly value?: string | null;
  /** For a hit: the response as received, shown when it names no store. */
  readonly raw?: string;
  readonly tier?: string;
  /** A coalesced lookup that was handed a lease: which store keeps it (tokens say: r… Redis, m… memory). */
  readonly lease?: "redis" | "memory";
}

/**
 * - `complete`: removed from Redis (DELETE answered `complete: true`, or invalidation `redis: "ok"`).
 * - `memory`: only the sidecar's memory tier is known to be cleared (`complete: false`,
 *   `redis: "unavailable"`); a Redis removal may or may not have happened.
 * - `failed`: no usable answer.
 */
export type RemovalOutcome = "complete" | "memory" | "failed";

export interface DeleteOp extends Timed {
  readonly kind: "delete";
  readonly key: LogicalKey;
  readonly outcome: RemovalOutcome;
}

export interface InvalidateOp extends Timed {
  readonly kind: "invalidate";
  readonly pattern: string;
  /** The workload keys the pattern matches. */
  readonly keys: readonly LogicalKey[];
  readonly outcome: RemovalOutcome;
}

export type Operation = StoreOp | LookupOp | DeleteOp | InvalidateOp;

/**
 * - `pause`: CLIENT PAUSE ALL; `stop`: SIGSTOP/SIGCONT of redis-server (both: commands wait,
 *   nothing is lost, answers time out on the sidecars).
 * - `pubsub-kill`: CLIENT KILL TYPE pubsub, repeated for the duration (announcements published
 *   while a subscriber is down are lost).
 * - `restart`: redis-server killed and started again without persistence (every key is gone).
 */
export type FaultKind = "pause" | "stop" | "pubsub-kill" | "restart";

export interface Fault {
  readonly kind: "fault";
  readonly fault: FaultKind;
  /** Just before the fault was injected. */
  readonly start: number;
  /** When the injected condition was lifted (SIGCONT sent, UNPAUSE answered, server listening). */
  readonly restored: number;
  /** When, after `restored`, every sidecar was subscribed to the coherence channel again. */
  readonly end: number;
}

export interface History {
  readonly sidecars: number;
  readonly operations: readonly Operation[];
  readonly faults: readonly Fault[];
}

/** Keys an operation writes (store, delete) or removes (invalidate); none for a lookup. */
export function keysWritten(operation: Operation): readonly LogicalKey[] {
  switch (operation.kind) {
    case "store":
    case "delete":
      return [operation.key];
    case "invalidate":
      return operation.keys;
    case "lookup":
      return [];
  }
}
