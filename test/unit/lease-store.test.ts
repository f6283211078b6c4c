import { expect, test } from "bun:test";
import { LocalLeaseStore } from "../../src/engine/leases/local-lease-store.ts";
import { newToken, tokenScope } from "../../src/engine/leases/lease-store.ts";
import { leaseStoreContract } from "../support/lease-store-contract.ts";

let serial = 0;
const local = new LocalLeaseStore();
leaseStoreContract("local (one sidecar)", () => ({ store: local, writeValue: null, key: (name) => `ai_cache:op:local_${name}_${++serial}` }));

test("tokens say which store granted them; anything else is not a token", () => {
  expect(tokenScope(newToken("redis"))).toBe("redis");
  expect(tokenScope(newToken("memory"))).toBe("memory");
  for (const bad of ["", "r", `x${"0".repeat(32)}`, `r${"0".repeat(31)}`, `r${"G".repeat(32)}`, `m${"0".repeat(33)}`]) expect(tokenScope(bad)).toBeNull();
});

test("local commit ends the lease for its holder only; voidMatching drops leases by glob", async () => {
  const store = new LocalLeaseStore();
  const a = newToken("memory");
  await store.acquire("ai_cache:op:x|txt:1", a, 5000);
  expect(store.commit("ai_cache:op:x|txt:1", newToken("memory"))).toBe(false);
  expect(store.commit("ai_cache:op:x|txt:1", a)).toBe(true);
  expect(store.commit("ai_cache:op:x|txt:1", a)).toBe(false);
  await store.acquire("ai_cache:op:x|txt:2", newToken("memory"), 5000);
  await store.acquire("ai_cache:op:y|txt:3", newToken("memory"), 5000);
  store.voidMatching("ai_cache:*op:x|*");
  expect((await store.acquire("ai_cache:op:x|txt:2", newToken("memory"), 5000)).state).toBe("granted");
  expect((await store.acquire("ai_cache:op:y|txt:3", newToken("memory"), 5000)).state).toBe("held");
});
