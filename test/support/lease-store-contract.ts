import { describe, expect, test } from "bun:test";
import type { LeaseStore } from "../../src/engine/leases/lease-store.ts";
import { newToken } from "../../src/engine/leases/lease-store.ts";
import { waitFor } from "./poll.ts";

/** What the contract needs of an adapter: the store, and a way to write a value for its value check. */
export interface LeaseStoreUnderTest {
  readonly store: LeaseStore;
  /** Writes `key`'s value as the cache would (fresh until `freshUntil`), or null to say the adapter does not check values. */
  readonly writeValue: ((key: string, freshUntil: number) => Promise<void>) | null;
  /** A key no other test uses. */
  key(name: string): string;
}

/**
 * One contract for every LeaseStore adapter (the interface's rules, lease-store.ts): one holder
 * at a time, renew/release/void by token, hit-for-miss marks, expiry. Each test uses its own key.
 */
export function leaseStoreContract(label: string, subject: () => LeaseStoreUnderTest): void {
  describe(`LeaseStore contract: ${label}`, () => {
    const token = () => newToken(subject().store.scope);

    test("the first acquire is granted; others see it held, with the time it has left", async () => {
      const { store, key } = subject();
      const k = key("held");
      const first = token();
      expect(await store.acquire(k, first, 5000, false)).toEqual({ state: "granted" });
      const second = await store.acquire(k, token(), 5000, false);
      expect(second.state).toBe("held");
      if (second.state === "held") {
        expect(second.ttlMs).toBeGreaterThan(0);
        expect(second.ttlMs).toBeLessThanOrEqual(5000);
      }
    });

    test("renew and release work only for the holder's token; a release frees the lease for the next caller", async () => {
      const { store, key } = subject();
      const k = key("release");
      const holder = token();
      await store.acquire(k, holder, 5000, false);
      expect(await store.renew(k, token(), 5000)).toBe(false);
      expect(await store.release(k, token(), 0)).toBe(false);
      expect(await store.renew(k, holder, 60_000)).toBe(true);
      expect(await store.release(k, holder, 0)).toBe(true);
      expect(await store.release(k, holder, 0)).toBe(false);
      expect((await store.acquire(k, token(), 5000, false)).state).toBe("granted");
    });

    test("a release with hit-for-miss leaves a mark that nobody can take as a lease, until it expires", async () => {
      const { store, key } = subject();
      const k = key("hfm");
      const holder = token();
      await store.acquire(k, holder, 5000, false);
      expect(await store.release(k, holder, 300)).toBe(true);
      expect(await store.acquire(k, token(), 5000, false)).toEqual({ state: "hit_for_miss" });
      await waitFor(async () => (await store.acquire(k, token(), 5000, false)).state === "granted", { what: "the mark to expire" });
    });

    test("a lease expires by itself; the holder's token is then worth nothing", async () => {
      const { store, key } = subject();
      const k = key("expiry");
      const holder = token();
      await store.acquire(k, holder, 150, false);
      const next = token();
      await waitFor(async () => (await store.acquire(k, next, 5000, false)).state === "granted", { what: "the lease to expire" });
      expect(await store.renew(k, holder, 5000)).toBe(false);
      expect(await store.release(k, holder, 0)).toBe(false);
      expect(await store.renew(k, next, 5000)).toBe(true);
    });

    test("void drops the lease whoever holds it", async () => {
      const { store, key } = subject();
      const k = key("void");
      const holder = token();
      await store.acquire(k, holder, 5000, false);
      await store.void(k);
      expect(await store.renew(k, holder, 5000)).toBe(false);
      expect((await store.acquire(k, token(), 5000, false)).state).toBe("granted");
    });

    test("with the value check, a fresh value answers instead of a lease; a stale one does not", async () => {
      const { store, key, writeValue } = subject();
      if (writeValue === null) return;
      const fresh = key("fresh-value");
      await writeValue(fresh, Date.now() + 60_000);
      const found = await store.acquire(fresh, token(), 5000, true);
      expect(found.state).toBe("value");
      // Without the check the lease is taken regardless.
      expect((await store.acquire(fresh, token(), 5000, false)).state).toBe("granted");
      const stale = key("stale-value");
      await writeValue(stale, Date.now() - 1000);
      expect((await store.acquire(stale, token(), 5000, true)).state).toBe("granted");
    });
  });
}

/** The Redis adapter over a connected cache's own tier, writing values in the cache's layout. */
export async function redisLeaseSubject(cache: {
  readonly redis: import("../../src/engine/redis/shared-tier.ts").SharedTier;
  readonly keys: import("../../src/engine/key.ts").CacheKeyBuilder;
}): Promise<LeaseStoreUnderTest> {
  const { RedisLeaseStore } = await import("../../src/engine/leases/redis-lease-store.ts");
  const { encodeValue } = await import("../../src/engine/codec.ts");
  let serial = 0;
  return {
    store: new RedisLeaseStore(cache.redis, cache.keys),
    writeValue: async (key, freshUntil) => {
      const encoded = encodeValue('{"v":1}', Date.now(), freshUntil, { thresholdBytes: 1000, codec: "zstd", level: 3 });
      await cache.redis.set(key, encoded.bytes, 60_000);
    },
    key: (name) => `${cache.keys.prefix}op:contract_${name}|txt:${String(++serial).padStart(32, "0")}`,
  };
}
