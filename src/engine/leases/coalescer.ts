import { globMatch } from "../glob.ts";
import type { LocalLeaseStore } from "./local-lease-store.ts";
import { newToken, type AcquireOutcome, type LeaseStore } from "./lease-store.ts";

/** What a caller that waited in a herd is told. */
export type HerdOutcome =
  /** Another caller stored the value meanwhile. */
  | { readonly kind: "value"; readonly json: string; readonly storedAt: number | null; readonly tier: "memory" | "redis" }
  /** This caller holds the lease: it computes the value and stores it with the token. */
  | { readonly kind: "lease"; readonly token: string; readonly ttlMs: number }
  /** The wait ended with the lease held elsewhere and no value yet. */
  | { readonly kind: "pending" }
  /** The key is marked hit-for-miss, or a value this sidecar cannot read is stored: go ahead alone. */
  | { readonly kind: "alone" };

export interface CoalescerOptions {
  /** The fleet's lease store, or null without Redis. */
  readonly shared: LeaseStore | null;
  /** Whether the shared store can be asked now; when not, the local one stands in. */
  readonly sharedAvailable: () => boolean;
  readonly local: LocalLeaseStore;
  /** Reads a value the shared store returned. Throws on bytes it cannot read. */
  readonly decode: (bytes: Buffer) => { json: string; storedAt: number };
  readonly now?: () => number;
}

/** First and longest pause between two polls of a held lease (the wake-ups make most polls unneeded). */
const MIN_POLL_MS = 20;
const MAX_POLL_MS = 250;
/** Tokens handed out are remembered this much longer than their lease, to refuse voided ones. */
const LEDGER_GRACE_MS = 60_000;
const LEDGER_FIRST_SWEEP = 1024;

interface Waiter {
  readonly resolve: (outcome: HerdOutcome) => void;
  readonly leaseTtlMs: number;
  readonly deadline: number;
  /** A poll has been answered since this waiter joined: its wait may end as pending. */
  tried: boolean;
  timer: Timer | null;
}

/** The callers of one sidecar waiting on one key: they share each poll (one round trip for all). */
class Herd {
  readonly waiters: Waiter[] = [];
  polling = false;
  pollAgain = false;
  timer: Timer | null = null;
  pauseMs = MIN_POLL_MS;
}

interface Granted {
  readonly key: string;
  readonly expiresAt: number;
  voided: boolean;
}

/**
 * Single flight across the fleet. On a miss a caller joins this sidecar's herd for the key;
 * the herd asks the lease store (one round trip, whatever the herd's size) and hands the
 * lease, when granted, to exactly one of its callers. The others wait until the value is
 * stored (here: handed over at once; on another sidecar: its coherence announcement wakes the
 * herd, and polling covers a lost announcement), until the lease frees up (a dead leader's
 * lease expires and one waiter takes it over), or until their own wait ends.
 *
 * It also remembers the tokens it granted, so a delete or invalidation on this sidecar voids
 * them even while the shared store cannot be reached.
 *
 * Costs: O(1) per join and per poll step, plus O(herd) to settle a herd; O(tokens) per
 * invalidation. Memory: one herd per key being waited on, one ledger row per live lease.
 */
export class Coalescer {
  /** How each wait ended, since start: leases handed out, values received, pending, sent on alone. */
  readonly outcomes: Record<HerdOutcome["kind"], number> = { lease: 0, value: 0, pending: 0, alone: 0 };
  private readonly herds = new Map<string, Herd>();
  private readonly ledger = new Map<string, Granted>();
  private nextSweep = LEDGER_FIRST_SWEEP;
  private readonly now: () => number;

  constructor(private readonly options: CoalescerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Callers waiting right now, over every herd. */
  get waiting(): number {
    let count = 0;
    for (const herd of this.herds.values()) count += herd.waiters.length;
    return count;
  }

  /** Waits at most `waitMs` for the value or the lease of `key` (at least one poll is made). */
  wait(key: string, waitMs: number, leaseTtlMs: number): Promise<HerdOutcome> {
    let herd = this.herds.get(key);
    if (herd === undefined) {
      herd = new Herd();
      this.herds.set(key, herd);
    }
    const current = herd;
    return new Promise<HerdOutcome>((resolve) => {
      const waiter: Waiter = { resolve, leaseTtlMs, deadline: this.now() + waitMs, tried: false, timer: null };
      waiter.timer = setTimeout(() => {
        waiter.timer = null;
        if (waiter.tried) this.settle(key, current, waiter, { kind: "pending" });
      }, waitMs);
      current.waiters.push(waiter);
      void this.poll(key, current);
    });
  }

  /**
   * One attempt, without waiting, at the lease to refresh a stale value: a token, or null when
   * another caller holds it (or it cannot be asked).
   */
  async tryLease(key: string, ttlMs: number): Promise<{ token: string; ttlMs: number } | null> {
    const outcome = await this.ask(key, ttlMs, false);
    if (outcome.state !== "granted") return null;
    this.grant(outcome.token, key, ttlMs);
    this.outcomes.lease++;
    return { token: outcome.token, ttlMs };
  }

  /** A value for `key` was stored by this sidecar: every caller waiting here gets it now. */
  stored(key: string, json: string, storedAt: number): void {
    const herd = this.herds.get(key);
    if (herd !== undefined) this.settleAll(key, herd, { kind: "value", json, storedAt, tier: "memory" });
  }

  /** Another sidecar changed `key`: poll at once rather than at the next tick. */
  changed(key: string): void {
    const herd = this.herds.get(key);
    if (herd !== undefined) void this.poll(key, herd);
  }

  /**
   * Records a token handed to a caller, so local deletes can void it. Expired rows are swept
   * when the ledger has doubled since the last sweep: O(1) amortized per grant.
   */
  private grant(token: string, key: string, ttlMs: number): void {
    const now = this.now();
    if (this.ledger.size >= this.nextSweep) {
      for (const [old, row] of this.ledger) if (row.expiresAt <= now) this.ledger.delete(old);
      this.nextSweep = Math.max(LEDGER_FIRST_SWEEP, this.ledger.size * 2);
    }
    this.ledger.set(token, { key, expiresAt: now + ttlMs + LEDGER_GRACE_MS, voided: false });
  }

  /** Whether a delete or invalidation on this sidecar voided the token. */
  isVoided(token: string): boolean {
    return this.ledger.get(token)?.voided === true;
  }

  /** The token was used (stored or released): nothing more to remember. */
  forget(token: string): void {
    this.ledger.delete(token);
  }

  voidKey(key: string): void {
    for (const row of this.ledger.values()) if (row.key === key) row.voided = true;
    void this.options.local.void(key);
  }

  voidMatching(glob: string): void {
    for (const row of this.ledger.values()) if (globMatch(glob, row.key)) row.voided = true;
    this.options.local.voidMatching(glob);
  }

  /** The store to ask now: the fleet's when it can answer, else this sidecar's. */
  storeNow(): LeaseStore {
    const { shared } = this.options;
    return shared !== null && this.options.sharedAvailable() ? shared : this.options.local;
  }

  private async poll(key: string, herd: Herd): Promise<void> {
    if (herd.polling) {
      herd.pollAgain = true;
      return;
    }
    if (herd.timer !== null) clearTimeout(herd.timer);
    herd.timer = null;
    const asked = herd.waiters.slice();
    const first = asked[0];
    if (first === undefined) return;
    herd.polling = true;
    const outcome = await this.ask(key, first.leaseTtlMs);
    herd.polling = false;
    for (const waiter of asked) waiter.tried = true;
    if (this.herds.get(key) !== herd || herd.waiters.length === 0) {
      // Settled meanwhile (the value was stored here): a lease granted now has nobody to take it.
      if (outcome.state === "granted") void this.giveBack(key, outcome.token);
      return;
    }
    switch (outcome.state) {
      case "value": {
        let read: { json: string; storedAt: number } | null = null;
        try {
          read = this.options.decode(outcome.value);
        } catch {
          // A value this sidecar cannot read is a miss: let the callers compute it alone.
        }
        this.settleAll(key, herd, read === null ? { kind: "alone" } : { kind: "value", json: read.json, storedAt: read.storedAt, tier: "redis" });
        return;
      }
      case "granted": {
        const leader = herd.waiters[0]!;
        this.grant(outcome.token, key, leader.leaseTtlMs);
        this.settle(key, herd, leader, { kind: "lease", token: outcome.token, ttlMs: leader.leaseTtlMs });
        break;
      }
      case "hit_for_miss":
        this.settleAll(key, herd, { kind: "alone" });
        return;
      case "held":
        break;
    }
    const now = this.now();
    for (const waiter of herd.waiters.slice()) if (waiter.tried && waiter.deadline <= now) this.settle(key, herd, waiter, { kind: "pending" });
    if (this.herds.get(key) !== herd) return;
    if (herd.pollAgain) {
      herd.pollAgain = false;
      void this.poll(key, herd);
      return;
    }
    // Poll again after a pause that doubles, but no later than the lease's own expiry.
    let pause = herd.pauseMs;
    if (outcome.state === "held" && outcome.ttlMs >= 0) pause = Math.min(pause, outcome.ttlMs + 1);
    herd.pauseMs = Math.min(herd.pauseMs * 2, MAX_POLL_MS);
    herd.timer = setTimeout(() => {
      herd.timer = null;
      void this.poll(key, herd);
    }, pause);
  }

  /**
   * One attempt on the store of the moment. A shared store that fails a call is not replaced by
   * the local one (that would make a second leader while another sidecar may hold the lease):
   * the herd asks again at its next poll, and only once the tier itself reports Redis
   * unavailable does the local store stand in.
   */
  private async ask(key: string, ttlMs: number, checkValue = true): Promise<AcquireOutcome & { token: string }> {
    const store = this.storeNow();
    const token = newToken(store.scope);
    try {
      return { ...(await store.acquire(key, token, ttlMs, checkValue)), token };
    } catch {
      return { state: "held", ttlMs: -1, token };
    }
  }

  private async giveBack(key: string, token: string): Promise<void> {
    try {
      await this.storeNow().release(key, token, 0);
    } catch {
      // The lease expires by itself.
    }
  }

  private settle(key: string, herd: Herd, waiter: Waiter, outcome: HerdOutcome): void {
    const index = herd.waiters.indexOf(waiter);
    if (index < 0) return;
    herd.waiters.splice(index, 1);
    if (waiter.timer !== null) clearTimeout(waiter.timer);
    this.outcomes[outcome.kind]++;
    waiter.resolve(outcome);
    if (herd.waiters.length === 0) this.drop(key, herd);
  }

  private settleAll(key: string, herd: Herd, outcome: HerdOutcome): void {
    for (const waiter of herd.waiters.splice(0)) {
      if (waiter.timer !== null) clearTimeout(waiter.timer);
      this.outcomes[outcome.kind]++;
      waiter.resolve(outcome);
    }
    this.drop(key, herd);
  }

  private drop(key: string, herd: Herd): void {
    if (herd.timer !== null) clearTimeout(herd.timer);
    herd.timer = null;
    if (this.herds.get(key) === herd) this.herds.delete(key);
  }
}
