import type { DeleteOp, InvalidateOp, LogicalKey, LookupOp, Operation, RemovalOutcome, StoreOp } from "./history.ts";
import { exchange, field, type Exchange } from "./http.ts";
import { Random } from "./random.ts";

/**
 * Concurrent clients issuing random store / lookup / delete / invalidate operations on a small
 * key space through randomly chosen sidecars, recording each one with its times and answer.
 * Keys collide on purpose: a few hot keys take a third of the traffic, and a write is often
 * followed at once by a lookup of the same key, on the same sidecar or another.
 * Cold keys (operation `translate`) are written by one slow writer only and read by every
 * client: values there live long enough for a sidecar that missed a change to be caught
 * serving it after the bound. Half of them are written only while a fault is under way, in
 * bursts, and then left alone: changes a deaf sidecar may have missed stay the latest ones.
 */

const OPERATIONS = ["summarize", "sentiment", "qa", "translate"] as const;
const COLD_OPERATION = "translate";
const TEXTS = 6;
/** Share of the clients' operations on the hot keys, and (lookups only) on the cold keys. */
const HOT_SHARE = 0.35;
const COLD_SHARE = 0.3;
/** Pause of the cold writer between two writes, in ms, normally and while a fault is under way. */
const COLD_WRITE_GAP_MS: readonly [number, number] = [150, 750];
const FAULT_WRITE_GAP_MS: readonly [number, number] = [20, 80];
/** Share of the clients' hot and warm operations that read through a lease (coalesced lookup, then a store under its token). */
const LEASED_SHARE = 0.12;
/** Longest a leased client waits for another's answer, and the "LLM call" it then makes. */
const LEASE_WAIT_MS: readonly [number, number] = [0, 300];
const LLM_CALL_MS: readonly [number, number] = [0, 60];

export interface KeySpace {
  readonly keys: readonly LogicalKey[];
  readonly hot: readonly LogicalKey[];
  /** Written by the cold writer only (including invalidations of their operation). */
  readonly cold: readonly LogicalKey[];
  /** The cold keys written only while a fault is under way. */
  readonly faultCold: readonly LogicalKey[];
  /** Neither hot nor cold. */
  readonly warm: readonly LogicalKey[];
  parts(key: LogicalKey): { operation: string; text: string };
  /** The sidecar's cache key (`ai_cache:op:…`), learned from an answer. */
  cacheKey(key: LogicalKey): string;
}

/**
 * Builds the key space and learns each key's cache key with one lookup. The texts carry a
 * nonce of the run, so no other process's traffic can ever write one of these keys.
 */
export async function keySpace(sidecarUrl: string, clock: () => number): Promise<KeySpace> {
  const nonce = crypto.randomUUID().slice(0, 8);
  const parts = new Map<LogicalKey, { operation: string; text: string }>();
  for (const operation of OPERATIONS) for (let t = 0; t < TEXTS; t++) parts.set(`${operation}/doc-${t}`, { operation, text: `doc-${t} of run ${nonce}` });
  const cacheKeys = new Map<LogicalKey, string>();
  await Promise.all(
    [...parts].map(async ([key, request]) => {
      const answer = await exchange(clock, `${sidecarUrl}/cache/lookup`, { method: "POST", body: request });
      const cacheKey = field(answer.body, "key");
      if (typeof cacheKey !== "string") throw new Error(`could not learn the cache key of ${key} (status ${answer.status})`);
      cacheKeys.set(key, cacheKey);
    }),
  );
  const keys = [...parts.keys()];
  const hot = keys.filter((key) => /^(summarize|sentiment)\/doc-[01]$/.test(key));
  const cold = keys.filter((key) => parts.get(key)!.operation === COLD_OPERATION);
  return {
    keys,
    hot,
    cold,
    faultCold: cold.slice(cold.length / 2),
    warm: keys.filter((key) => !hot.includes(key) && !cold.includes(key)),
    parts: (key) => parts.get(key)!,
    cacheKey: (key) => cacheKeys.get(key)!,
  };
}

export interface WorkloadOptions {
  readonly sidecars: readonly string[];
  readonly clients: number;
  readonly random: Random;
  readonly space: KeySpace;
  readonly clock: () => number;
  /** Clients issue no new operation after this time. */
  readonly until: number;
  /** Whether a fault is under way (from its injection until every sidecar is subscribed again). */
  readonly faultActive: () => boolean;
}

/** Runs the clients until `until`; resolves once every operation in flight has its answer. */
export async function runWorkload(options: WorkloadOptions, record: (operation: Operation) => void): Promise<void> {
  let nextId = 0;
  const issue = () => nextId++;
  const clients = Array.from({ length: options.clients }, (_, client) => runClient(options, client, options.random.fork(client), issue, record));
  const coldWriter = options.clients;
  await Promise.all([...clients, runColdWriter(options, coldWriter, options.random.fork(coldWriter), issue, record)]);
}

async function runClient(options: WorkloadOptions, client: number, random: Random, issue: () => number, record: (operation: Operation) => void): Promise<void> {
  const { space, clock, sidecars } = options;
  let seq = 0;
  const ctx = { options, client, issue, record };
  const other = (sidecar: number) => (sidecar + random.int(1, sidecars.length - 1)) % sidecars.length;

  while (clock() < options.until) {
    const sidecar = random.int(0, sidecars.length - 1);
    const share = random.next();
    if (share < COLD_SHARE) {
      await lookup(ctx, sidecar, random.pick(space.cold));
      continue;
    }
    const key = share < COLD_SHARE + HOT_SHARE ? random.pick(space.hot) : random.pick(space.warm);
    const roll = random.next();
    if (roll < LEASED_SHARE) {
      await leasedReadThrough(ctx, sidecar, key, `c${client}-${seq++}`, random);
      continue;
    }
    if (roll < 0.5) {
      await lookup(ctx, sidecar, key);
      continue;
    }
    if (roll < 0.78) await store(ctx, sidecar, key, `c${client}-${seq++}`);
    else if (roll < 0.92) await remove(ctx, sidecar, key);
    // Never a whole-operation invalidation of the cold keys: only the cold writer writes them.
    else await invalidate(ctx, sidecar, key, random.chance(0.35));
    // Read right after a write: where staleness shows first.
    if (random.chance(0.35)) await lookup(ctx, sidecar, key);
    else if (random.chance(0.2)) await lookup(ctx, other(sidecar), key);
  }
}

/**
 * Writes the cold keys through random sidecars: the steady ones every COLD_WRITE_GAP_MS, the
 * fault ones (and whole-operation invalidations) every FAULT_WRITE_GAP_MS while a fault is under way.
 */
async function runColdWriter(options: WorkloadOptions, client: number, random: Random, issue: () => number, record: (operation: Operation) => void): Promise<void> {
  const { space, clock, sidecars } = options;
  const steady = space.cold.filter((key) => !space.faultCold.includes(key));
  let seq = 0;
  const ctx = { options, client, issue, record };
  while (clock() < options.until) {
    await Bun.sleep(random.int(...(options.faultActive() ? FAULT_WRITE_GAP_MS : COLD_WRITE_GAP_MS)));
    if (clock() >= options.until) return;
    const during = options.faultActive();
    const key = random.pick(during ? space.faultCold : steady);
    const sidecar = random.int(0, sidecars.length - 1);
    const roll = random.next();
    if (roll < 0.5) await store(ctx, sidecar, key, `c${client}-${seq++}`);
    else if (roll < 0.75) await remove(ctx, sidecar, key);
    else await invalidate(ctx, sidecar, key, during && roll > 0.9);
  }
}

interface Context {
  readonly options: WorkloadOptions;
  readonly client: number;
  readonly issue: () => number;
  readonly record: (operation: Operation) => void;
}

function timing(ctx: Context, sidecar: number, answer: Exchange, id: number) {
  return { id, client: ctx.client, sidecar, invoke: answer.invoke, complete: answer.complete };
}

async function lookup(ctx: Context, sidecar: number, key: LogicalKey): Promise<void> {
  const id = ctx.issue();
  const answer = await exchange(ctx.options.clock, `${ctx.options.sidecars[sidecar]}/cache/lookup`, { method: "POST", body: ctx.options.space.parts(key) });
  ctx.record(lookupOf(ctx, sidecar, key, answer, id));
}

function lookupOf(ctx: Context, sidecar: number, key: LogicalKey, answer: Exchange, id: number): LookupOp {
  const base = { kind: "lookup", key, ...timing(ctx, sidecar, answer, id) } as const;
  const hit = field(answer.body, "hit");
  let operation: LookupOp;
  if (answer.status !== 200 || typeof hit !== "boolean") operation = { ...base, outcome: "failed" };
  else if (!hit) operation = { ...base, outcome: "miss" };
  else {
    const response = field(answer.body, "response");
    const value = field(response, "v");
    const tier = field(answer.body, "tier");
    operation = {
      ...base,
      outcome: "hit",
      value: typeof value === "string" ? value : null,
      raw: JSON.stringify(response),
      tier: typeof tier === "string" ? tier : undefined,
    };
  }
  return operation;
}

async function store(ctx: Context, sidecar: number, key: LogicalKey, value: string, lease?: { token: string; grantedBy: number }): Promise<void> {
  const id = ctx.issue();
  const body = { ...ctx.options.space.parts(key), response: { v: value }, ...(lease === undefined ? {} : { lease_token: lease.token }) };
  const answer = await exchange(ctx.options.clock, `${ctx.options.sidecars[sidecar]}/cache/store`, { method: "POST", body });
  const tiers = field(answer.body, "tiers");
  let outcome: StoreOp["outcome"];
  if (answer.status === null) outcome = "unknown";
  else if (answer.status === 409 && lease !== undefined) outcome = "conflict";
  else if (answer.status !== 201 || !Array.isArray(tiers)) outcome = "failed";
  else outcome = tiers.includes("redis") ? "redis" : "memory";
  ctx.record({ kind: "store", key, value, outcome, ...timing(ctx, sidecar, answer, id), ...(lease === undefined ? {} : { leaseOf: lease.grantedBy }) });
}

/**
 * The read-through an app does with leases: a coalesced lookup; on a lease, "call the LLM"
 * (a short pause) and store under the token through the same sidecar (a memory lease is that
 * sidecar's alone). Hits and collapsed hits are checked like any lookup.
 */
async function leasedReadThrough(ctx: Context, sidecar: number, key: LogicalKey, value: string, random: Random): Promise<void> {
  const id = ctx.issue();
  const body = { ...ctx.options.space.parts(key), coalesce: { wait_ms: random.int(...LEASE_WAIT_MS), lease_ttl_ms: 5000 } };
  const answer = await exchange(ctx.options.clock, `${ctx.options.sidecars[sidecar]}/cache/lookup`, { method: "POST", body });
  const operation = lookupOf(ctx, sidecar, key, answer, id);
  const token = field(field(answer.body, "lease"), "token");
  if (operation.outcome !== "miss" || typeof token !== "string") {
    ctx.record(operation);
    return;
  }
  ctx.record({ ...operation, lease: token.startsWith("r") ? "redis" : "memory" });
  await Bun.sleep(random.int(...LLM_CALL_MS));
  await store(ctx, sidecar, key, value, { token, grantedBy: id });
}

async function remove(ctx: Context, sidecar: number, key: LogicalKey): Promise<void> {
  const id = ctx.issue();
  const url = `${ctx.options.sidecars[sidecar]}/cache/entries/${encodeURIComponent(ctx.options.space.cacheKey(key))}`;
  const answer = await exchange(ctx.options.clock, url, { method: "DELETE" });
  const complete = field(answer.body, "complete");
  const outcome: RemovalOutcome = answer.status !== 200 || typeof complete !== "boolean" ? "failed" : complete ? "complete" : "memory";
  const operation: DeleteOp = { kind: "delete", key, outcome, ...timing(ctx, sidecar, answer, id) };
  ctx.record(operation);
}

/** Invalidates one key (`op:{operation}|txt:{digest}`) or a whole operation (`op:{operation}|*`). */
async function invalidate(ctx: Context, sidecar: number, key: LogicalKey, wholeOperation: boolean): Promise<void> {
  const { space } = ctx.options;
  const id = ctx.issue();
  const cacheKey = space.cacheKey(key);
  const literal = wholeOperation ? `op:${space.parts(key).operation}|` : cacheKey.slice(cacheKey.indexOf("op:"));
  const pattern = wholeOperation ? `${literal}*` : literal;
  // The sidecar matches `{prefix}:*{pattern}*`; with no glob characters but a trailing `*`,
  // that is "the key contains the literal".
  const keys = space.keys.filter((candidate) => space.cacheKey(candidate).includes(literal));
  const query = new URLSearchParams({ pattern, operation_context: "consistency-check" });
  const answer = await exchange(ctx.options.clock, `${ctx.options.sidecars[sidecar]}/internal/cache/invalidate?${query}`, { method: "POST" });
  const redis = field(answer.body, "redis");
  const outcome: RemovalOutcome = answer.status !== 200 ? "failed" : redis === "ok" ? "complete" : redis === "unavailable" ? "memory" : "failed";
  const operation: InvalidateOp = { kind: "invalidate", pattern, keys, outcome, ...timing(ctx, sidecar, answer, id) };
  ctx.record(operation);
}
