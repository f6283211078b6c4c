import { globMatch } from "../glob.ts";
import type { AcquireOutcome, LeaseStore } from "./lease-store.ts";

interface LocalLease {
  /** A token, or null for a hit-for-miss mark. */
  readonly token: string | null;
  expiresAt: number;
}

/**
 * Leases within one sidecar: used when there is no Redis, or while it cannot be reached (each
 * sidecar then coalesces its own callers). Never rejects. O(1) per call but `voidMatching`,
 * which is O(leases); expired leases are dropped when next touched, so the map holds at most
 * the keys with a lease taken in the last lease TTL.
 */
export class LocalLeaseStore implements LeaseStore {
  readonly scope = "memory" as const;
  private readonly leases = new Map<string, LocalLease>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(key: string, token: string, ttlMs: number): Promise<AcquireOutcome> {
    const lease = this.live(key);
    if (lease === undefined) {
      this.leases.set(key, { token, expiresAt: this.now() + ttlMs });
      return { state: "granted" };
    }
    if (lease.token === null) return { state: "hit_for_miss" };
    return { state: "held", ttlMs: lease.expiresAt - this.now() };
  }

  async renew(key: string, token: string, ttlMs: number): Promise<boolean> {
    const lease = this.live(key);
    if (lease?.token !== token) return false;
    lease.expiresAt = this.now() + ttlMs;
    return true;
  }

  async release(key: string, token: string, hitForMissMs: number): Promise<boolean> {
    if (this.live(key)?.token !== token) return false;
    if (hitForMissMs > 0) this.leases.set(key, { token: null, expiresAt: this.now() + hitForMissMs });
    else this.leases.delete(key);
    return true;
  }

  /** Takes the lease away for a store by its holder: true when `token` held it. */
  commit(key: string, token: string): boolean {
    if (this.live(key)?.token !== token) return false;
    this.leases.delete(key);
    return true;
  }

  async void(key: string): Promise<void> {
    this.leases.delete(key);
  }

  voidMatching(glob: string): void {
    for (const key of this.leases.keys()) if (globMatch(glob, key)) this.leases.delete(key);
  }

  private live(key: string): LocalLease | undefined {
    const lease = this.leases.get(key);
    if (lease !== undefined && lease.expiresAt <= this.now()) {
      this.leases.delete(key);
      return undefined;
    }
    return lease;
  }
}
