/**
 * Checks a recorded history against the guarantees the README states. A pure function of the
 * history and the bounds: no I/O, no clock.
 *
 * Times are the runner's clock (ms). For an operation O, O.invoke is just before the request
 * was sent and O.complete just after its answer was read, so whatever O did on a sidecar or in
 * Redis happened inside [O.invoke, O.complete] (interval reasoning, as for linearizability):
 * only "completed before the other was invoked" orders two operations; overlapping ones may
 * have taken effect in either order, and the checker never blames either order.
 *
 * Definitions, for a key k:
 * - Every store writes a unique value, so a lookup hit names the store P that produced it.
 * - deadline(P), the latest time P's value may still enter Redis:
 *     P answered with tiers including "redis"  -> P.complete;
 *     P answered memory-only, or with an error  -> settle(P) = max(P.complete, end of every fault
 *       overlapping [P.invoke, P.complete]) + settleMs (a SET that timed out on the sidecar
 *       waits in Redis's queue during a pause or SIGSTOP and runs when it ends);
 *     P never answered                          -> +infinity (never superseded).
 * - A Redis barrier W of k: a store of k answered with "redis", a DELETE of k answered
 *   `complete: true`, or an invalidation matching k answered `redis: "ok"`. Its Redis effect
 *   happened inside [W.invoke, W.complete]. A value whose deadline is before W.invoke reached
 *   Redis (if at all) before W, so from W.complete on Redis never holds it again (values are
 *   unique: nothing writes it twice).
 * - A local write W of k: a store answered memory-only, a DELETE answered `complete: false`, an
 *   invalidation answered `redis: "unavailable"`. It only guarantees the memory tier of its
 *   own sidecar; it may or may not have reached Redis, so it supersedes nothing there.
 * - visible(W, X), from when sidecar X must have applied barrier W:
 *     X is W's sidecar -> W.complete;
 *     otherwise        -> W.complete + crossMs, extended to F.end + deafMs for every fault F that
 *       overlaps [W.invoke, the time so far] (repeated until it no longer moves): a sidecar that
 *       could not hear the announcement must stop serving what it missed within deafMs of the
 *       fault's end (F.end: every sidecar subscribed again).
 *
 * Rules, for every lookup hit L of key k on sidecar X that returned the value of store P:
 * - phantom-value:         the answer names no store at all.
 * - wrong-key:             P stored another key.
 * - value-from-future:     P was invoked after L completed.
 * - stale-after-own-write: a barrier W of k on X, W != P, with deadline(P) < W.invoke and
 *                          W.complete < L.invoke (the same sidecar never serves an old value
 *                          after its own acknowledged delete, invalidation or overwrite).
 * - stale-after-other-write: the same for a barrier W on another sidecar, with
 *                          visible(W, X) < L.invoke.
 * - stale-after-restart:   a Redis restart F (every key gone) with deadline(P) < F.start and
 *                          F.end + deafMs < L.invoke (each sidecar drops what it held from before
 *                          the failure once Redis answers again).
 * - stale-after-own-local-write: a local write W of k on X with P.complete < W.invoke and
 *                          W.complete < L.invoke, where P had already left Redis before W began:
 *                          a barrier R of k with deadline(P) < R.invoke and R.complete <= W.invoke,
 *                          or a restart with deadline(P) < F.start and F.restored <= W.invoke.
 *                          (W cleared X's memory copy and Redis no longer had P to give back.)
 * Misses are never violations: a cache may forget. Failed lookups are counted, not checked.
 *
 * Leases (a coalesced lookup L handed a lease, then a store P under its token, both through
 * sidecar X):
 * - voided-value-served:   a lookup returned the value of a store that answered 409: a refused
 *                          store must never take effect.
 * - lease-outlived-removal: P was acknowledged although a removal W of its key (a DELETE or a
 *                          matching invalidation) began after L completed and completed before P
 *                          began, and W either reached Redis (complete) while the lease was a
 *                          Redis one, or ran on X itself (complete or memory-only). Such a W
 *                          voids the lease, so P's value may be the one W meant to remove.
 */
import { keysWritten, type Fault, type History, type LogicalKey, type LookupOp, type Operation, type StoreOp } from "./history.ts";

/**
 * Defaults: crossSidecarMs 1000, far above the few ms the README measures while pub/sub works,
 * but stricter than CACHE_COHERENCE_BOUND_MS (2000 by default), which the README allows in
 * general (pass --cross-bound-ms 2000 to check only its letter); deafMs 2000, that bound again,
 * counted from the end of the fault rather than from the change; settleMs 1000, well above
 * the time Redis takes to run the commands queued during a pause.
 */
export interface Bounds {
  /** How long after a barrier completes another healthy sidecar may still serve what it replaced. */
  readonly crossSidecarMs: number;
  /** How long after a fault ends a sidecar that could not hear announcements may serve stale copies. */
  readonly deafMs: number;
  /** How long after a fault ends (or after its answer) a write that timed out may still land in Redis. */
  readonly settleMs: number;
}

export const DEFAULT_BOUNDS: Bounds = { crossSidecarMs: 1000, deafMs: 2000, settleMs: 1000 };

export type Rule =
  | "phantom-value"
  | "wrong-key"
  | "value-from-future"
  | "stale-after-own-write"
  | "stale-after-other-write"
  | "stale-after-restart"
  | "stale-after-own-local-write"
  | "voided-value-served"
  | "lease-outlived-removal";

export interface Violation {
  readonly rule: Rule;
  readonly key: LogicalKey;
  readonly lookup: LookupOp;
  /** The store whose value the lookup returned, when there is one. */
  readonly store?: StoreOp;
  /** The operation or fault that should have kept the value from being returned. */
  readonly witness?: Operation | Fault;
  /** One sentence with the times that make it a violation. */
  readonly reason: string;
  /** The history around it, in invocation order: the writes of the key and the faults. */
  readonly excerpt: readonly (Operation | Fault)[];
  /** Operations of the key in the excerpt's window that were left out. */
  readonly omitted: number;
}

export interface Counts {
  readonly store: Record<string, number>;
  readonly lookup: Record<string, number>;
  readonly delete: Record<string, number>;
  readonly invalidate: Record<string, number>;
  /** Stores of a key that an earlier acknowledged store had written. */
  readonly overwrites: number;
  readonly faults: Record<string, number>;
  readonly total: number;
}

export interface CheckResult {
  readonly counts: Counts;
  /** Lookup hits examined against the rules. */
  readonly checkedHits: number;
  readonly violations: readonly Violation[];
}

const EXCERPT_LINES = 14;

interface Barrier {
  readonly op: Operation;
  readonly invoke: number;
  readonly complete: number;
  readonly sidecar: number;
  /** visible(W, X) for any X other than W's sidecar. */
  readonly otherVisible: number;
}

/** Entries sorted by invoke, with, per sidecar, the suffix minimum of a time and its witness. */
interface SuffixIndex<T extends { invoke: number }> {
  readonly entries: readonly T[];
  /** best[sidecar][i]: index in entries (>= i) of the smallest time among eligible ones, or -1. */
  readonly best: readonly Int32Array[];
}

function suffixIndex<T extends { invoke: number }>(
  entries: T[],
  sidecars: number,
  timeFor: (entry: T, sidecar: number) => number | null,
): SuffixIndex<T> {
  entries.sort((a, b) => a.invoke - b.invoke);
  const best: Int32Array[] = [];
  for (let x = 0; x < sidecars; x++) {
    const column = new Int32Array(entries.length + 1).fill(-1);
    for (let i = entries.length - 1; i >= 0; i--) {
      const time = timeFor(entries[i]!, x);
      const next = column[i + 1]!;
      const nextTime = next < 0 ? Infinity : timeFor(entries[next]!, x)!;
      column[i] = time !== null && time <= nextTime ? i : next;
    }
    best.push(column);
  }
  return { entries, best };
}

/** First index whose invoke is strictly after `time` (entries sorted by invoke). */
function firstInvokedAfter(entries: readonly { invoke: number }[], time: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (entries[mid]!.invoke > time) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** First index whose invoke is at or after `time`. */
function firstInvokedFrom(entries: readonly { invoke: number }[], time: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (entries[mid]!.invoke >= time) high = mid;
    else low = mid + 1;
  }
  return low;
}

function overlaps(fault: Fault, from: number, to: number): boolean {
  return fault.start <= to && fault.end >= from;
}

/** The latest time a store's value may still enter Redis (see the header). */
export function deadline(store: StoreOp, faults: readonly Fault[], bounds: Bounds): number {
  if (store.outcome === "redis") return store.complete;
  if (store.outcome === "unknown") return Infinity;
  let end = store.complete;
  for (const fault of faults) if (overlaps(fault, store.invoke, store.complete)) end = Math.max(end, fault.end);
  return end + bounds.settleMs;
}

/** visible(W, X) for X other than W's sidecar (see the header). */
export function otherSidecarVisible(write: Operation, faults: readonly Fault[], bounds: Bounds): number {
  let visible = write.complete + bounds.crossSidecarMs;
  for (let moved = true; moved; ) {
    moved = false;
    for (const fault of faults) {
      if (overlaps(fault, write.invoke, visible) && fault.end + bounds.deafMs > visible) {
        visible = fault.end + bounds.deafMs;
        moved = true;
      }
    }
  }
  return visible;
}

function isBarrier(operation: Operation): boolean {
  return operation.kind === "store" ? operation.outcome === "redis" : operation.kind !== "lookup" && operation.outcome === "complete";
}

function isLocalWrite(operation: Operation): boolean {
  return operation.kind === "store" ? operation.outcome === "memory" : operation.kind !== "lookup" && operation.outcome === "memory";
}

function count(history: History): Counts {
  const counts = { store: {}, lookup: {}, delete: {}, invalidate: {}, faults: {} } as Record<Operation["kind"] | "faults", Record<string, number>>;
  const written = new Set<LogicalKey>();
  let overwrites = 0;
  const byInvoke = [...history.operations].sort((a, b) => a.invoke - b.invoke);
  for (const operation of byInvoke) {
    const bucket = counts[operation.kind];
    bucket[operation.outcome] = (bucket[operation.outcome] ?? 0) + 1;
    if (operation.kind === "store") {
      if (written.has(operation.key)) overwrites++;
      if (operation.outcome === "redis" || operation.outcome === "memory") written.add(operation.key);
    }
  }
  for (const fault of history.faults) counts.faults[fault.fault] = (counts.faults[fault.fault] ?? 0) + 1;
  return { ...counts, overwrites, total: history.operations.length };
}

interface KeyIndex {
  readonly barriers: SuffixIndex<Barrier>;
  /** For `stale-after-own-local-write`: local writes, best = earliest completion per sidecar. */
  readonly local: SuffixIndex<Operation>;
  /** Barriers and restarts as Redis removals, best = earliest Redis completion (any sidecar). */
  readonly removals: SuffixIndex<{ invoke: number; removedBy: number; witness: Operation | Fault }>;
  /** Every operation of the key (writes and lookups), for excerpts. */
  readonly operations: Operation[];
}

function indexKeys(history: History, bounds: Bounds): Map<LogicalKey, KeyIndex> {
  const raw = new Map<LogicalKey, { barriers: Barrier[]; local: Operation[]; operations: Operation[] }>();
  const slot = (key: LogicalKey) => {
    let entry = raw.get(key);
    if (entry === undefined) raw.set(key, (entry = { barriers: [], local: [], operations: [] }));
    return entry;
  };
  for (const operation of history.operations) {
    if (operation.kind === "lookup") {
      slot(operation.key).operations.push(operation);
      continue;
    }
    const barrier = isBarrier(operation);
    const local = isLocalWrite(operation);
    const otherVisible = barrier ? otherSidecarVisible(operation, history.faults, bounds) : Infinity;
    for (const key of keysWritten(operation)) {
      const entry = slot(key);
      entry.operations.push(operation);
      if (barrier) entry.barriers.push({ op: operation, invoke: operation.invoke, complete: operation.complete, sidecar: operation.sidecar, otherVisible });
      if (local) entry.local.push(operation);
    }
  }
  const restarts = history.faults.filter((fault) => fault.fault === "restart");
  const sidecars = history.sidecars;
  const index = new Map<LogicalKey, KeyIndex>();
  for (const [key, entry] of raw) {
    const removals = [
      ...entry.barriers.map((barrier) => ({ invoke: barrier.invoke, removedBy: barrier.complete, witness: barrier.op as Operation | Fault })),
      ...restarts.map((fault) => ({ invoke: fault.start, removedBy: fault.restored, witness: fault as Operation | Fault })),
    ];
    index.set(key, {
      barriers: suffixIndex(entry.barriers, sidecars * 2, (barrier, column) => {
        // Columns 0..n-1: barriers on sidecar x (own); n..2n-1: barriers elsewhere (other).
        const own = column < sidecars;
        const x = own ? column : column - sidecars;
        if (own) return barrier.sidecar === x ? barrier.complete : null;
        return barrier.sidecar === x ? null : barrier.otherVisible;
      }),
      local: suffixIndex(entry.local, sidecars, (write, x) => (write.sidecar === x ? write.complete : null)),
      removals: suffixIndex(removals, 1, (removal) => removal.removedBy),
      operations: entry.operations.sort((a, b) => a.invoke - b.invoke),
    });
  }
  return index;
}

function excerpt(history: History, keyIndex: KeyIndex | undefined, lookup: LookupOp, pinned: readonly (Operation | Fault | undefined)[]) {
  const must = pinned.filter((item): item is Operation | Fault => item !== undefined);
  const from = Math.min(lookup.invoke, ...must.map((item) => ("invoke" in item ? item.invoke : item.start)));
  const to = lookup.complete;
  const inWindow = (keyIndex?.operations ?? []).filter((operation) => operation.complete >= from && operation.invoke <= to && !must.includes(operation));
  // Writes explain a violation, so they come first; then the latest lookups on the same sidecar.
  const room = Math.max(0, EXCERPT_LINES - must.length);
  const writes = inWindow.filter((operation) => operation.kind !== "lookup").slice(-room);
  const reads = inWindow.filter((operation) => operation.kind === "lookup" && operation.sidecar === lookup.sidecar);
  const chosen = [...writes, ...reads.slice(reads.length - (room - writes.length))];
  const faults = history.faults.filter((fault) => overlaps(fault, from, to) && !must.includes(fault));
  const lines = [...new Set([...must, ...chosen, ...faults])];
  lines.sort((a, b) => ("invoke" in a ? a.invoke : a.start) - ("invoke" in b ? b.invoke : b.start));
  return { excerpt: lines, omitted: inWindow.length - chosen.length };
}

const ms = (time: number) => `${time.toFixed(1)} ms`;
const describe = (item: Operation | Fault) => (item.kind === "fault" ? `Redis ${item.fault}` : `${item.kind} #${item.id} on sidecar ${item.sidecar}`);

/** Checks every lookup hit of the history against the rules in the header. */
export function checkHistory(history: History, bounds: Bounds = DEFAULT_BOUNDS): CheckResult {
  const stores = new Map<string, StoreOp>();
  for (const operation of history.operations) if (operation.kind === "store") stores.set(operation.value, operation);
  const index = indexKeys(history, bounds);
  const restarts = history.faults.filter((fault) => fault.fault === "restart");
  const sidecars = history.sidecars;
  const violations: Violation[] = [];
  let checkedHits = 0;

  for (const lookup of history.operations) {
    if (lookup.kind !== "lookup" || lookup.outcome !== "hit") continue;
    checkedHits++;
    const keyIndex = index.get(lookup.key);
    const report = (rule: Rule, reason: string, store?: StoreOp, witness?: Operation | Fault, also?: Operation | Fault) => {
      violations.push({ rule, key: lookup.key, lookup, store, witness, reason, ...excerpt(history, keyIndex, lookup, [store, witness, also, lookup]) });
    };
    const store = lookup.value == null ? undefined : stores.get(lookup.value);
    if (store === undefined) {
      report("phantom-value", `the lookup returned ${lookup.raw ?? JSON.stringify(lookup.value)}, which no store of the run wrote`);
      continue;
    }
    if (store.key !== lookup.key) {
      report("wrong-key", `the value was stored for ${store.key}, not ${lookup.key}`, store);
      continue;
    }
    if (store.outcome === "conflict") {
      report("voided-value-served", `store #${store.id} was refused (409) under its lease, yet its value was served`, store);
      continue;
    }
    if (store.invoke > lookup.complete) {
      report("value-from-future", `the store was invoked at ${ms(store.invoke)}, after the lookup completed at ${ms(lookup.complete)}`, store);
      continue;
    }
    if (keyIndex === undefined) continue;
    const due = deadline(store, history.faults, bounds);
    const x = lookup.sidecar;

    const { barriers } = keyIndex;
    const first = firstInvokedAfter(barriers.entries, due);
    const own = barriers.best[x]![first]!;
    if (own >= 0 && barriers.entries[own]!.complete < lookup.invoke) {
      const witness = barriers.entries[own]!;
      report(
        "stale-after-own-write",
        `sidecar ${x} acknowledged ${witness.op.kind} #${witness.op.id} at ${ms(witness.complete)}; the value had reached Redis by ${ms(due)} at the latest, before it began at ${ms(witness.invoke)}; the lookup began at ${ms(lookup.invoke)}`,
        store,
        witness.op,
      );
      continue;
    }
    const other = barriers.best[sidecars + x]![first]!;
    if (other >= 0 && barriers.entries[other]!.otherVisible < lookup.invoke) {
      const witness = barriers.entries[other]!;
      report(
        "stale-after-other-write",
        `sidecar ${witness.sidecar} acknowledged ${witness.op.kind} #${witness.op.id} at ${ms(witness.complete)} (must be visible on sidecar ${x} from ${ms(witness.otherVisible)}); the value had reached Redis by ${ms(due)} at the latest, before it began at ${ms(witness.invoke)}; the lookup began at ${ms(lookup.invoke)}`,
        store,
        witness.op,
      );
      continue;
    }
    const restart = restarts.find((fault) => due < fault.start && fault.end + bounds.deafMs < lookup.invoke);
    if (restart !== undefined) {
      report(
        "stale-after-restart",
        `Redis restarted at ${ms(restart.start)} (every sidecar subscribed again at ${ms(restart.end)}); the value had reached Redis by ${ms(due)} at the latest; the lookup began at ${ms(lookup.invoke)}`,
        store,
        restart,
      );
      continue;
    }
    const { removals, local } = keyIndex;
    const removal = removals.best[0]![firstInvokedAfter(removals.entries, due)]!;
    if (removal < 0) continue;
    const goneFromRedis = removals.entries[removal]!;
    const start = Math.max(firstInvokedAfter(local.entries, store.complete), firstInvokedFrom(local.entries, goneFromRedis.removedBy));
    const write = local.best[x]![start]!;
    if (write >= 0 && local.entries[write]!.complete < lookup.invoke) {
      const witness = local.entries[write]!;
      report(
        "stale-after-own-local-write",
        `sidecar ${x} acknowledged its local ${witness.kind} #${witness.id} at ${ms(witness.complete)}, after the value had left Redis by ${ms(goneFromRedis.removedBy)} (${describe(goneFromRedis.witness)}); the lookup began at ${ms(lookup.invoke)}`,
        store,
        witness,
        goneFromRedis.witness,
      );
    }
  }
  violations.push(...checkLeases(history, index));
  return { counts: count(history), checkedHits, violations };
}

/** The lease rules of the header: every acknowledged store under a lease against the removals of its key. */
function checkLeases(history: History, index: Map<LogicalKey, KeyIndex>): Violation[] {
  const lookups = new Map<number, LookupOp>();
  for (const operation of history.operations) if (operation.kind === "lookup" && operation.lease !== undefined) lookups.set(operation.id, operation);
  const violations: Violation[] = [];
  for (const store of history.operations) {
    if (store.kind !== "store" || store.leaseOf === undefined || (store.outcome !== "redis" && store.outcome !== "memory")) continue;
    const grant = lookups.get(store.leaseOf);
    const keyIndex = index.get(store.key);
    if (grant === undefined || keyIndex === undefined) continue;
    const removal = keyIndex.operations.find(
      (op) =>
        (op.kind === "delete" || op.kind === "invalidate") &&
        op.invoke > grant.complete &&
        op.complete < store.invoke &&
        ((op.outcome === "complete" && grant.lease === "redis") || (op.sidecar === grant.sidecar && op.outcome !== "failed")),
    );
    if (removal === undefined) continue;
    violations.push({
      rule: "lease-outlived-removal",
      key: store.key,
      lookup: grant,
      store,
      witness: removal,
      reason: `the ${grant.lease} lease was handed out at ${ms(grant.complete)}; ${describe(removal)} removed the key between ${ms(removal.invoke)} and ${ms(removal.complete)}; store #${store.id} under the lease began at ${ms(store.invoke)} and was acknowledged`,
      ...excerpt(history, keyIndex, grant, [store, removal, grant]),
    });
  }
  return violations;
}
