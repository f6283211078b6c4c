import { describe, expect, test } from "bun:test";
import { waitFor } from "./poll.ts";

/** One sidecar of a fleet, as the contract calls it: in-process or a process over its port. */
export interface FleetMember {
  readonly name: string;
  call(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<Response>;
}

/** Sidecars sharing one Redis (or a single one without Redis). */
export interface LeaseFleet {
  readonly members: readonly FleetMember[];
}

interface Answer {
  status: number;
  body: any;
}

const answer = async (response: Response): Promise<Answer> => ({ status: response.status, body: await response.json() });

/** Callers waiting in herds over the whole fleet, read from each sidecar's /metrics. */
async function waitingOver(fleet: LeaseFleet): Promise<number> {
  let total = 0;
  for (const member of fleet.members) {
    const text = await (await member.call("GET", "/metrics")).text();
    const match = /^ai_cache_coalesce_waiting\{[^}]*\} (\d+)$/m.exec(text);
    if (match === null) throw new Error(`${member.name}: no ai_cache_coalesce_waiting in /metrics`);
    total += Number(match[1]);
  }
  return total;
}

/**
 * Leases across a fleet: every claim of the README's "Leases" section, checked against real
 * sidecars. `label` names the deployment; a one-member fleet checks leases within one sidecar.
 * Each test uses its own operation name, so tests never share keys.
 */
export function leaseFleetContract(label: string, fleet: () => LeaseFleet): void {
  let serial = 0;
  const request = (operation: string) => ({ operation, text: `lease contract ${label} ${++serial}`, options: { model: "m" } });
  const member = (i: number): FleetMember => {
    const members = fleet().members;
    return members[i % members.length]!;
  };
  const lookup = async (i: number, parts: object, coalesce: object): Promise<Answer> => answer(await member(i).call("POST", "/cache/lookup", { ...parts, coalesce }));
  const store = async (i: number, parts: object, response: unknown, leaseToken?: string): Promise<Answer> =>
    answer(await member(i).call("POST", "/cache/store", { ...parts, response, ...(leaseToken === undefined ? {} : { lease_token: leaseToken }) }));
  const waitUntilWaiting = (count: number) => waitFor(async () => (await waitingOver(fleet())) >= count, { what: `${count} callers waiting` });

  describe(`leases: ${label}`, () => {
    test("concurrent identical misses spread over the fleet: exactly one lease, and every other caller gets the leader's answer", async () => {
      const parts = request("lease_herd");
      const callers = Array.from({ length: 12 }, (_, i) => lookup(i, parts, { wait_ms: 20_000 }));
      // The lease goes to one caller; the other eleven wait for its answer.
      const first = await Promise.race(callers.map(async (call, i) => ({ i, ...(await call) })));
      expect(first.body.lease?.token).toBeString();
      await waitUntilWaiting(11);
      const stored = await store(first.i, parts, { summary: "computed once" }, first.body.lease.token);
      expect(stored.status).toBe(201);
      const answers = await Promise.all(callers);
      const leased = answers.filter((a) => a.body.lease !== undefined);
      expect(leased.length).toBe(1);
      const followers = answers.filter((a) => a.body.lease === undefined);
      expect(followers.length).toBe(11);
      for (const follower of followers) expect(follower.body).toMatchObject({ hit: true, response: { summary: "computed once" }, collapsed: true });
      // The lease ended with the store: the next caller hits without waiting.
      expect((await lookup(3, parts, { wait_ms: 0 })).body).toMatchObject({ hit: true, response: { summary: "computed once" } });
    });

    test("a leader that never stores: its lease expires and exactly one waiting caller takes it over", async () => {
      const parts = request("lease_dead_leader");
      const dead = await lookup(0, parts, { wait_ms: 0, lease_ttl_ms: 400 });
      expect(dead.body.lease.ttl_ms).toBe(400);
      const waiters = Array.from({ length: 6 }, (_, i) => lookup(i + 1, parts, { wait_ms: 20_000 }));
      const next = await Promise.race(waiters.map(async (call, i) => ({ i: i + 1, ...(await call) })));
      expect(next.body.lease?.token).toBeString();
      expect(next.body.lease.token).not.toBe(dead.body.lease.token);
      // The dead leader's token is worth nothing now.
      expect((await store(0, parts, { from: "the dead leader" }, dead.body.lease.token)).status).toBe(409);
      await waitUntilWaiting(5);
      expect((await store(next.i, parts, { from: "the new leader" }, next.body.lease.token)).status).toBe(201);
      const answers = await Promise.all(waiters);
      expect(answers.filter((a) => a.body.lease !== undefined).length).toBe(1);
      for (const a of answers.filter((a) => a.body.lease === undefined)) expect(a.body).toMatchObject({ hit: true, response: { from: "the new leader" }, collapsed: true });
    });

    test("a delete of the key while the lease is out voids it: the leader's store is refused (409) and nothing is stored", async () => {
      const parts = request("lease_voided_delete");
      const leader = await lookup(0, parts, { wait_ms: 0 });
      const key = leader.body.key as string;
      const deleted = await member(1).call("DELETE", `/cache/entries/${encodeURIComponent(key)}`);
      expect(deleted.status).toBe(200);
      const refused = await store(0, parts, { stale: true }, leader.body.lease.token);
      expect(refused).toMatchObject({ status: 409, body: { error: "lease_conflict", field: "lease_token" } });
      for (let i = 0; i < fleet().members.length; i++) expect((await lookup(i, parts, { wait_ms: 0 })).body.hit).toBe(false);
    });

    test("an invalidation matching the key while the lease is out voids it too", async () => {
      const parts = request("lease_voided_glob");
      const leader = await lookup(0, parts, { wait_ms: 0 });
      const invalidated = await member(1).call("POST", "/internal/cache/invalidate?pattern=op:lease_voided_glob|*");
      expect(invalidated.status).toBe(200);
      expect((await invalidated.json()).keys_removed).toBe(0); // a lease is not an entry
      expect((await store(0, parts, { stale: true }, leader.body.lease.token)).status).toBe(409);
      // The lease is gone with it: the next caller is the new leader.
      expect((await lookup(2, parts, { wait_ms: 0 })).body.lease?.token).toBeString();
    });

    test("a release after an LLM error hands the lease to a waiting caller at once, not at its expiry", async () => {
      const parts = request("lease_release");
      const leader = await lookup(0, parts, { wait_ms: 0, lease_ttl_ms: 60_000 });
      const waiter = lookup(1, parts, { wait_ms: 20_000 });
      await waitUntilWaiting(1);
      const released = await member(0).call("POST", "/cache/lease/release", { key: leader.body.key, lease_token: leader.body.lease.token });
      expect(await answer(released)).toEqual({ status: 200, body: { released: true } });
      // Long before the first lease's 60 s: the waiter took it over.
      expect((await waiter).body.lease?.token).toBeString();
      // Released means released: a second release is a conflict.
      const again = await member(0).call("POST", "/cache/lease/release", { key: leader.body.key, lease_token: leader.body.lease.token });
      expect(again.status).toBe(409);
    });

    test("a not-cacheable release sends waiting and later callers straight on for a while (hit-for-miss)", async () => {
      const parts = request("lease_hit_for_miss");
      const leader = await lookup(0, parts, { wait_ms: 0 });
      const waiter = lookup(1, parts, { wait_ms: 20_000 });
      await waitUntilWaiting(1);
      const released = await member(0).call("POST", "/cache/lease/release", { key: leader.body.key, lease_token: leader.body.lease.token, cacheable: false, hit_for_miss_seconds: 60 });
      expect(released.status).toBe(200);
      expect((await waiter).body).toEqual({ hit: false, key: leader.body.key });
      // A later caller neither waits nor leads: the answer is known not to be cacheable.
      expect((await lookup(2, parts, { wait_ms: 20_000 })).body).toEqual({ hit: false, key: leader.body.key });
    });

    test("wait_ms 0 answers pending at once while another caller holds the lease; a renewed lease outlives its first TTL", async () => {
      const parts = request("lease_pending");
      const leader = await lookup(0, parts, { wait_ms: 0, lease_ttl_ms: 300 });
      const renewed = await member(0).call("POST", "/cache/lease/renew", { key: leader.body.key, lease_token: leader.body.lease.token, ttl_ms: 60_000 });
      expect(await answer(renewed)).toEqual({ status: 200, body: { renewed: true, ttl_ms: 60_000 } });
      expect((await lookup(1, parts, { wait_ms: 0 })).body).toEqual({ hit: false, key: leader.body.key, pending: true });
      // Well past the first TTL, the renewed lease still holds.
      const later = await lookup(1, parts, { wait_ms: 1000 });
      expect(later.body.pending).toBe(true);
      expect((await store(0, parts, { ok: 1 }, leader.body.lease.token)).status).toBe(201);
    });

    test("a renew or store by a leader whose lease expired and was taken over is refused (409)", async () => {
      const parts = request("lease_taken_over");
      const slow = await lookup(0, parts, { wait_ms: 0, lease_ttl_ms: 150 });
      const taker = await lookup(1, parts, { wait_ms: 20_000 });
      expect(taker.body.lease?.token).toBeString();
      const renew = await member(0).call("POST", "/cache/lease/renew", { key: slow.body.key, lease_token: slow.body.lease.token });
      expect(renew.status).toBe(409);
      expect((await store(0, parts, { slow: true }, slow.body.lease.token)).status).toBe(409);
      expect((await store(1, parts, { taker: true }, taker.body.lease.token)).status).toBe(201);
      expect((await lookup(2, parts, { wait_ms: 0 })).body.response).toEqual({ taker: true });
    });
  });
}

/** A sidecar process as a fleet member. */
export function processMember(name: string, url: string, apiKey?: string): FleetMember {
  return {
    name,
    call: (method, path, body) =>
      fetch(`${url}${path}`, {
        method,
        headers: { "content-type": "application/json", ...(apiKey === undefined ? {} : { "x-api-key": apiKey }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
}

/** An in-process app (test/support/app.ts) as a fleet member. */
export function appMember(name: string, app: { request(path: string, init?: RequestInit & { json?: unknown }): Promise<Response> }): FleetMember {
  return { name, call: (method, path, body) => app.request(path, { method, json: body }) };
}
