/**
 * Leases (after memcache's at Facebook, NSDI 2013): on a miss, one caller in the whole fleet
 * is granted the right to compute and store the value; the others wait for it. A lease store
 * keeps, per cache key, who holds that right and until when.
 *
 * Failure rule: every method rejects with RedisUnavailableError (or RedisRefusedError) when
 * its backing store cannot answer, within the command timeout, and never throws synchronously.
 * A lease that cannot be checked is never treated as held by the caller.
 */

/** What an attempt to take a lease found. */
export type AcquireOutcome =
  /** A fresh value is stored already (checked in the same step as the lease): no lease needed. */
  | { readonly state: "value"; readonly value: Buffer }
  /** The caller's token now holds the lease. */
  | { readonly state: "granted" }
  /** Another caller holds it; `ttlMs` is how long it still may (-1: unknown). */
  | { readonly state: "held"; readonly ttlMs: number }
  /** A leader found the answer not cacheable: callers should not queue for a while. */
  | { readonly state: "hit_for_miss" };

export interface LeaseStore {
  /** "redis": tokens checked by every sidecar; "memory": this sidecar alone. */
  readonly scope: "redis" | "memory";
  /**
   * One step: the value if `checkValue` and a fresh one is stored, else the lease for `token`
   * if it is free, else who holds it.
   */
  acquire(key: string, token: string, ttlMs: number, checkValue: boolean): Promise<AcquireOutcome>;
  /** Extends the lease if `token` still holds it. */
  renew(key: string, token: string, ttlMs: number): Promise<boolean>;
  /**
   * Gives the lease up if `token` holds it; `hitForMissMs` > 0 leaves a mark that sends later
   * callers straight to the LLM for that long instead of waiting.
   */
  release(key: string, token: string, hitForMissMs: number): Promise<boolean>;
  /** Drops the lease of `key`, whoever holds it: the holder's store will be refused. */
  void(key: string): Promise<void>;
}

/** The mark a not-cacheable release leaves in place of a token. */
export const HIT_FOR_MISS_MARK = "hfm:";

/** A fresh token: the first letter says which store granted it. O(1), 128 random bits. */
export function newToken(scope: LeaseStore["scope"]): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${scope === "redis" ? "r" : "m"}${Buffer.from(bytes).toString("hex")}`;
}

/** Which store granted a token, or null when it is not one of ours. */
export function tokenScope(token: string): LeaseStore["scope"] | null {
  if (!/^[rm][0-9a-f]{32}$/.test(token)) return null;
  return token.startsWith("r") ? "redis" : "memory";
}
